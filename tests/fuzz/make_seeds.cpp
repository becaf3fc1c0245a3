// Writes the seed corpora of the fuzz targets: `make_seeds tests/fuzz/corpus`.
// Binary seeds are built with the project's own encoders (protobuf bodies,
// AppendChildFrame), in the input layouts the targets document, so each
// seed is a valid input from which the fuzzer starts; text seeds are the
// examples of README.md and the unit tests.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/framing.h"
#include "jobq/store.pb.h"
#include "jobq/wire.pb.h"
#include "tests/fuzz/json_expand.h"
#include "worker/child/child_frames.h"

namespace jobq::fuzz {
namespace {

namespace fs = std::filesystem;

fs::path root;

void Write(const std::string& target, const std::string& name, std::string_view bytes) {
  const fs::path dir = root / target;
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

std::string Byte(uint8_t value) { return std::string(1, static_cast<char>(value)); }
std::string U16(size_t value) { return Byte(value & 0xff) + Byte((value >> 8) & 0xff); }
std::string Cmd(Command command) { return Byte(static_cast<uint8_t>(command)); }

const std::string kClient("\0\x6b\x8b\x45\x67", 5);  // a ROUTER's routing id
const std::string kWorker("\0\x2c\x3a\x01\x01", 5);

wire::Submit SampleSubmit() {
  wire::Submit submit;
  submit.set_first_seq(1);
  submit.set_notify(true);
  wire::JobSpec& job = *submit.add_jobs();
  job.set_task("sleep");
  job.set_payload(R"({"seconds":1})");
  job.set_queue("default");
  job.set_max_attempts(3);
  job.set_idempotency_key("k1");
  submit.add_jobs()->set_task("noop");
  return submit;
}

wire::Hello SampleHello() {
  wire::Hello hello;
  hello.set_name("w1");
  hello.set_host("host");
  hello.set_pid(42);
  for (auto [kind, capacity] : {std::pair{wire::KIND_IO, 8}, std::pair{wire::KIND_CPU, 2}}) {
    wire::PoolCapacity& pool = *hello.add_pools();
    pool.set_kind(kind);
    pool.set_capacity(capacity);
  }
  hello.add_queues("default");
  wire::TaskInfo& task = *hello.add_tasks();
  task.set_name("sum_squares");
  task.set_kind(wire::KIND_CPU);
  return hello;
}

wire::DispatchedJob SampleJob() {
  wire::DispatchedJob job;
  job.set_id(std::string(16, '\x01'));
  job.set_queue("default");
  job.set_task("sum_squares");
  job.set_payload(R"({"n":10})");
  job.set_content_type("application/json");
  job.set_kind(wire::KIND_CPU);
  job.set_attempt(1);
  job.set_timeout_ms(1500);
  return job;
}

// fuzz_wire_frames: a mode byte, then frames of a u8 length.
void WireFrames() {
  auto frames = [](Channel channel, bool routed, std::initializer_list<std::string> list) {
    std::string out = Byte(static_cast<uint8_t>(channel) | (routed ? 4 : 0));
    for (const std::string& frame : list) {
      out += Byte(static_cast<uint8_t>(frame.size())) + frame;
    }
    return out;
  };
  const std::string sig(kProtocolSignature);
  wire::Submitted submitted;
  submitted.add_acks()->set_client_seq(1);
  wire::Dispatch dispatch;
  *dispatch.add_jobs() = SampleJob();
  wire::Credit credit;
  credit.set_kind(wire::KIND_IO);
  credit.set_credits(4);
  const std::string t = "fuzz_wire_frames";
  Write(t, "submit_router",
        frames(Channel::kClientToBroker, true,
               {kClient, "", sig, Cmd(Command::kSubmit), SampleSubmit().SerializeAsString()}));
  Write(t, "submitted_dealer",
        frames(Channel::kBrokerToClient, false,
               {"", sig, Cmd(Command::kSubmitted), submitted.SerializeAsString()}));
  Write(t, "hello_router",
        frames(Channel::kWorkerToBroker, true,
               {kWorker, "", sig, Cmd(Command::kHello), SampleHello().SerializeAsString()}));
  Write(t, "credit_router",
        frames(Channel::kWorkerToBroker, true,
               {kWorker, "", sig, Cmd(Command::kCredit), credit.SerializeAsString()}));
  Write(t, "bye_no_body",
        frames(Channel::kWorkerToBroker, true, {kWorker, "", sig, Cmd(Command::kBye)}));
  Write(t, "dispatch_dealer",
        frames(Channel::kBrokerToWorker, false,
               {"", sig, Cmd(Command::kDispatch), dispatch.SerializeAsString()}));
  Write(t, "bad_version",
        frames(Channel::kClientToBroker, true, {kClient, "", "JQ\x02", Cmd(Command::kWait), ""}));
  wire::Progress progress;
  for (auto [done, total] : {std::pair{3, 10}, std::pair{11, 10}, std::pair{7, 0}}) {
    wire::ProgressReport& report = *progress.add_reports();
    report.set_id(std::string(16, '\x07'));
    report.set_attempt(1);
    report.set_done(done);
    report.set_total(total);
    report.set_message("page " + std::to_string(done));
  }
  Write(t, "progress_router",
        frames(Channel::kWorkerToBroker, true,
               {kWorker, "", sig, Cmd(Command::kProgress), progress.SerializeAsString()}));
  Write(t, "too_many_frames",
        frames(Channel::kBrokerToWorker, false, {"", sig, Cmd(Command::kReconnect), "", "extra"}));
}

// Expansion markers (json_expand.h): the seeds below stay a few bytes long
// and expand to the inputs of issue 14 (100,000 and 50,000 levels deep).
std::string Deep(uint16_t count, uint8_t scale = 0) {
  return JsonExpandMarker(JsonPiece::kArrays, count, scale);
}

// Each extreme number between `before` and `after`, joined by `separator`.
std::string ExtremeNumbers(const std::string& before, const std::string& after,
                           const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < kExtremeNumbers.size(); ++i) {
    out += (i == 0 ? "" : separator) + before +
           JsonExpandMarker(JsonPiece::kExtremeNumber, static_cast<uint16_t>(i)) + after;
  }
  return out;
}

// fuzz_wire_frames with bit 3: a DISPATCH of one job, a task byte (0 echo,
// 1 noop, 2 sleep, 3 fail), then its payload.
void DispatchedPayloads() {
  auto job = [](uint8_t task, const std::string& payload) {
    return Byte(8) + Byte(task) + payload;
  };
  const std::string t = "fuzz_wire_frames";
  Write(t, "dispatch_deep_payload", job(0, "{\"d\":" + Deep(25'000, 1) + "}"));
  Write(t, "dispatch_at_the_bound", job(0, "{\"d\":" + Deep(511) + "}"));
  Write(t, "dispatch_deep_objects_to_sleep", job(2, JsonExpandMarker(JsonPiece::kObjects, 600)));
  Write(t, "dispatch_long_strings",
        job(3, "{\"message\":" + JsonExpandMarker(JsonPiece::kLongString, 65'535, 1) +
                   ",\"type\":" + JsonExpandMarker(JsonPiece::kEscapedString, 1'000) + "}"));
  Write(t, "dispatch_extreme_numbers",
        job(0, "{\"n\":[" + ExtremeNumbers("", "", ",") +
                   "],\"long\":" + JsonExpandMarker(JsonPiece::kLongNumber, 400) + "}"));
}

// fuzz_child_frames: chunks of a u16 length.
void ChildFrames() {
  using worker::child::AppendChildFrame;
  using worker::child::ChildFrameType;
  auto chunks = [](std::initializer_list<std::string> list) {
    std::string out;
    for (const std::string& chunk : list) {
      out += U16(chunk.size()) + chunk;
    }
    return out;
  };
  auto frame = [](ChildFrameType type, const std::string& body) {
    std::string out;
    if (!AppendChildFrame(type, body, &out)) {
      std::abort();
    }
    return out;
  };
  wire::JobResult result;
  result.set_id(std::string(16, '\x01'));
  result.set_attempt(1);
  result.set_ok(true);
  result.set_result("385");
  result.set_content_type("application/json");
  result.set_run_time_us(120);
  const std::string job = frame(ChildFrameType::kJob, SampleJob().SerializeAsString());
  const std::string ready = frame(ChildFrameType::kReady, "");
  const std::string done = frame(ChildFrameType::kResult, result.SerializeAsString());
  const std::string t = "fuzz_child_frames";
  Write(t, "child_says", chunks({ready, done}));
  Write(t, "parent_says", chunks({job + frame(ChildFrameType::kStop, "")}));
  Write(t, "job_cut_in_three", chunks({job.substr(0, 3), job.substr(3, 10), job.substr(13)}));
  Write(t, "ready_and_result_in_one_read", chunks({ready + done}));
  Write(t, "bad_type", chunks({std::string("\0\0\0\x01\x09", 5)}));
  wire::ProgressReport report;
  report.set_id(std::string(16, '\x01'));
  report.set_attempt(1);
  report.set_done(2);
  report.set_total(3);
  report.set_message("block 2 of 3");
  Write(t, "child_reports_progress",
        chunks({ready, frame(ChildFrameType::kProgress, report.SerializeAsString()), done}));
}

// fuzz_broker_core: an options byte, then steps (see the target).
void BrokerCore() {
  const std::string t = "fuzz_broker_core";
  auto op = [](uint8_t what, uint8_t arg) { return Byte(static_cast<uint8_t>(what | arg << 4)); };
  auto raw = [&](uint8_t what, Command command, const std::string& body) {
    const std::vector<Command> order = {
        Command::kSubmit,       Command::kSentinel,       Command::kWait,
        Command::kCancel,       Command::kSubmitted,      Command::kClientResult,
        Command::kError,        Command::kHello,          Command::kCredit,
        Command::kWorkerResult, Command::kProgress,       Command::kWorkerHeartbeat,
        Command::kBye,          Command::kWelcome,        Command::kDispatch,
        Command::kWorkerCancel, Command::kWorkerSentinel, Command::kBrokerHeartbeat,
        Command::kReconnect};
    uint8_t index = 0;
    while (order[index] != command) {
      ++index;
    }
    return op(what, 0) + Byte(0) + Byte(index) + U16(body.size()) + body;
  };
  // hello(worker 0, name w0, queue default, 2 io + 1 cpu); a submit with
  // notify of noop, sleep on the CPU pool with a timeout, noop with two
  // attempts. They go out as leases 0, 1 and 2.
  const std::string hello = op(4, 4) + Byte(0) + Byte(2 | 1 << 3) + Byte(0);
  const std::string submit3 = op(3, 1 | 2 << 1) + Byte(0) + Byte(1) + Byte(0) + Byte(0) +
                              Byte(1 | 16) + Byte(4) + Byte(0) + Byte(16);
  const std::string tick = op(2, 2) + U16(2);                  // 2 s
  const std::string credit_io = op(5, 1) + Byte(0) + Byte(1);  // worker 0, one more I/O job
  const std::string credit_cpu = op(5, 2) + Byte(0) + Byte(1);
  // Results for leases (dispatches, oldest first): ok, or failed with an
  // error type.
  auto ok = [&](uint8_t lease) { return op(6, 1) + Byte(lease); };
  auto failed = [&](uint8_t lease, uint8_t type) { return op(6, 0) + Byte(lease) + Byte(type); };
  Write(t, "run_and_succeed",
        Byte(0) + hello + submit3 + tick + ok(0) + credit_io + ok(1) + credit_cpu + ok(2) +
            op(8, 0) + Byte(0) + Byte(0));
  // Three attempts (options bit 2), each failing, then dead and forgotten
  // (bit 8: dead jobs kept 10 s), then a retry of what is gone.
  Write(t, "fail_retry_dead",
        Byte(2 | 8) + hello + submit3 + failed(0, 0) + credit_io + tick + failed(3, 1) + credit_io +
            tick + failed(4, 0) + credit_io + op(2, 3) + U16(1) + op(9, 1) + Byte(0));
  Write(t, "worker_dies",
        Byte(16 | 32) + hello + submit3 + op(2, 2) + U16(5) + hello + op(7, 2) + Byte(0));
  Write(
      t, "reconnect_holding",
      Byte(0) + hello + submit3 + op(4, 4) + Byte(1) + Byte(3) + Byte(3) + op(6, 1 | 4) + Byte(1));
  Write(t, "sentinel_and_shutdown",
        Byte(1) + hello + submit3 + op(3, 0) + Byte(1) + Byte(9) + Byte(64) + Byte(0) + op(9, 3) +
            Byte(0) + op(9, 4) + Byte(0) + op(9, 6) + Byte(0) + op(9, 7) + Byte(2));
  Write(t, "cancel_and_purge",
        Byte(4) + submit3 + op(8, 1 | 2) + Byte(0) + Byte(0) + hello + op(9, 0) + Byte(1) +
            op(9, 2) + Byte(0) + op(9, 5) + Byte(0));
  // Issue 17: a rate limit (1 per 100 ms, burst 2) on the queue, a cap of 1
  // on task noop, a rate of 0 refused, the jobs run under them, the queue's
  // limit cleared.
  const std::string limit_rate = op(10, 4) + Byte(0) + U16(1) + U16(100) + Byte(2) + Byte(0);
  const std::string limit_task = op(10, 1) + Byte(0) + Byte(0) + Byte(1);
  const std::string limit_zero = op(10, 4) + Byte(1) + U16(0) + U16(1000) + Byte(1) + Byte(0);
  const std::string limit_clear = op(10, 2) + Byte(0);
  Write(t, "limits",
        Byte(0) + hello + limit_rate + limit_task + limit_zero + submit3 + tick + ok(0) +
            credit_io + tick + ok(1) + limit_clear + tick);
  wire::Sentinel sentinel;
  sentinel.set_queue("default");
  wire::WorkerResults results;
  results.add_results()->set_id(std::string(16, '\x07'));
  Write(t, "raw_bodies",
        Byte(0) + raw(1, Command::kHello, SampleHello().SerializeAsString()) +
            raw(0, Command::kSubmit, SampleSubmit().SerializeAsString()) +
            raw(0, Command::kSentinel, sentinel.SerializeAsString()) +
            raw(1, Command::kWorkerResult, results.SerializeAsString()) +
            raw(1, Command::kBye, ""));
  wire::Progress progress;
  for (auto [done, total] : {std::pair{3, 10}, std::pair{11, 10}}) {
    wire::ProgressReport& report = *progress.add_reports();
    report.set_id(std::string(16, '\x07'));
    report.set_attempt(1);
    report.set_done(done);
    report.set_total(total);
  }
  Write(t, "progress_reports",
        Byte(0) + hello + submit3 + raw(1, Command::kProgress, progress.SerializeAsString()) +
            raw(1, Command::kProgress, "\xff\xff") + ok(0));
}

void Text(const std::string& target,
          std::initializer_list<std::pair<const char*, std::string>> seeds) {
  for (const auto& [name, text] : seeds) {
    Write(target, name, text);
  }
}

void TextSeeds() {
  Text("fuzz_job_lines",
       {{"readme", R"({"task": "sleep", "args": {"seconds": 1}, "queue": "default", )"
                   R"("priority": 0, "retries": 3, "backoff": "2s", "key": "k1"})"
                   "\n"},
        {"every_field", R"({"task": "sum_squares", "args": {"n": 10}, "queue": "cpu", )"
                        R"("kind": "cpu", "priority": -3, "timeout": 1.5, "retries": 0, )"
                        R"("backoff": 0.25, "key": "order-17"})"
                        "\n"},
        {"several",
         "{\"task\": \"noop\"}\n\n{\"task\": \"echo\", \"args\": {\"s\": \"\\u00e9\"}}\r\n"
         "{\"task\": \"sleep\", \"timeout\": 30}\n"},
        {"invalid_lines", "{\"task\": 5}\n[1, 2]\n{\"task\": \"noop\", \"colour\": 1}\n{\"tas"},
        // Issue 17: delayed jobs, and the line that gives both.
        {"delay", "{\"task\":\"echo\",\"delay\":\"30s\"}\n"},
        {"at", "{\"task\":\"echo\",\"at\":\"2026-12-24T18:00:00+05:30\"}\n"},
        {"delay_and_at", "{\"task\":\"echo\",\"delay\":1.5,\"at\":\"2026-12-24T18:00:00Z\"}\n"},
        {"at_not_rfc3339", "{\"task\":\"echo\",\"at\":\"2026-12-24\"}\n"},
        // Found by the fuzzer: nlohmann throws out_of_range, not parse_error.
        {"number_overflow", "{\"task\": \"noop\", \"timeout\": 1e999}\n"},
        // Issue 14: line 2 nests 50,000 deep.
        {"deep_line", "{\"task\":\"noop\"}\n{\"task\":\"echo\",\"args\":{\"d\":" + Deep(50'000) +
                          "}}\n{\"task\":\"noop\"}\n"},
        {"line_at_the_bound", "{\"task\":\"echo\",\"args\":{\"d\":" + Deep(510) + "}}\n"},
        {"open_arrays",
         "{\"task\":\"echo\",\"args\":" + JsonExpandMarker(JsonPiece::kOpenArrays, 60'000) + "\n"},
        {"mixed_nesting",
         "{\"task\":\"echo\",\"args\":{\"m\":" + JsonExpandMarker(JsonPiece::kMixed, 300) + "}}\n"},
        {"long_values",
         "{\"task\":\"echo\",\"key\":" + JsonExpandMarker(JsonPiece::kLongString, 65'535, 1) +
             ",\"args\":{\"s\":" + JsonExpandMarker(JsonPiece::kEscapedString, 5'000) +
             ",\"n\":" + JsonExpandMarker(JsonPiece::kLongNumber, 400) + "}}\n"},
        {"extreme_numbers",
         ExtremeNumbers("{\"task\":\"x\",\"priority\":", ",\"timeout\":1}", "\n") + "\n"}});
  Text("fuzz_job_args",
       {{"args_only",
         std::string("\0", 1) + "n=5\nurl=https://example.com/x?a=b\nxs=[1,2]\nok=true\nk="},
        {"json_and_args", "\x01{\"n\": 5, \"s\": \"x\"}\nn=6\ns={\"nested\": null}"},
        // Issue 14: --json and --arg nested 100,000 and 50,000 deep.
        {"deep_json", "\x01{\"d\":" + Deep(25'000, 1) + "}\nk=1"},
        {"deep_arg", std::string("\0", 1) + "d=" + Deep(50'000) + "\nok=true"},
        {"arg_at_the_bound", std::string("\0", 1) + "d=" + Deep(511)},
        {"long_and_extreme", std::string("\0", 1) +
                                 "s=" + JsonExpandMarker(JsonPiece::kLongString, 65'535, 1) +
                                 "\ne=" + JsonExpandMarker(JsonPiece::kEscapedString, 2'000) +
                                 "\nn=" + JsonExpandMarker(JsonPiece::kLongNumber, 400) + "\n" +
                                 ExtremeNumbers("x=", "", "\n")}});
  Text("fuzz_broker_flags",
       {{"defaults", ""},
        {"retries",
         "--retries\n3\n--backoff\n250ms\n--backoff-max\n10m\n--result-ttl\n1h\n"
         "--dead-ttl\n30d\n--lease-grace\n2s\n--queue\nemails:retries=5,backoff=2s\n"
         "--queue\nreports:retries=0"},
        {"endpoints",
         "--frontend\ntcp://127.0.0.1:*\n--backend\ntcp://0.0.0.0:5556\n--admin\n"
         "127.0.0.1:0\n--metrics\n127.0.0.1:9464\n--store\nmemory\n--ready-file\n"
         "/tmp/ready.json\n--log-level\ndebug"},
        {"limits",
         "--heartbeat-ms=250\n--liveness-misses=5\n--queue-max=1000\n"
         "--data-dir\n/var/lib/jobq\n--store=sqlite:/tmp/jobq.db"},
        {"help", "--help"}});
  Text("fuzz_worker_flags",
       {{"defaults", ""},
        {"every_flag",
         "--broker\ntcp://broker.local:6000\n--queues\na,b,a\n--io-threads\n8\n"
         "--cpu-procs\n2\n--prefetch\n500\n--max-jobs-per-child\n100\n"
         "--max-rss-per-child\n512M\n--plugin\n./libtasks.so\n--drain-grace\n1.5\n"
         "--name\nw1\n--log-level\ndebug"},
        {"ipc", "--broker=ipc:///tmp/jobq.sock\n--queues=default\n--max-rss-per-child=2GiB"},
        {"help", "-h"}});
  Text("fuzz_duration", {{"ms", "250ms"},
                         {"s", "30s"},
                         {"m", "5m"},
                         {"h", "24h"},
                         {"d", "7d"},
                         {"seconds", "1.5"},
                         {"zero", "0"}});
}

// fuzz_schedule: ScheduleRecords, as AddSchedule's spec and as a store
// gives them back.
void Schedules() {
  auto record = [](const std::string& name, auto timing) {
    store::ScheduleRecord out;
    out.mutable_spec()->set_name(name);
    out.mutable_spec()->mutable_job()->set_task("noop");
    out.set_cursor_ms(1'790'000'000'000);
    timing(*out.mutable_spec());
    return out;
  };
  const std::pair<const char*, store::ScheduleRecord> seeds[] = {
      {"every_second", record("tick", [](auto& spec) { spec.set_every_ms(1000); })},
      {"cron_berlin", record("report",
                             [](auto& spec) {
                               spec.set_cron("30 2 * * *");
                               spec.set_time_zone("Europe/Berlin");
                               spec.set_catch_up(admin::ScheduleSpec::CATCH_UP_ALL);
                             })},
      {"macro_overlap_skip", record("daily",
                                    [](auto& spec) {
                                      spec.set_cron("@daily");
                                      spec.set_overlap(admin::ScheduleSpec::OVERLAP_SKIP);
                                      spec.set_catch_up(admin::ScheduleSpec::CATCH_UP_NONE);
                                    })},
      {"never_fires", record("feb30", [](auto& spec) { spec.set_cron("0 0 30 2 *"); })},
      {"unknown_zone", record("mars",
                              [](auto& spec) {
                                spec.set_cron("* * * * *");
                                spec.set_time_zone("Mars/Olympus");
                              })},
      {"bad_template", record("keyed",
                              [](auto& spec) {
                                spec.set_every_ms(60'000);
                                spec.mutable_job()->set_idempotency_key("k");
                                spec.mutable_job()->set_timeout_ms(-5);
                              })},
  };
  for (const auto& [name, seed] : seeds) {
    Write("fuzz_schedule", name, seed.SerializeAsString());
  }
}

// fuzz_workflow: SubmitWorkflows a client sends, good and refused.
void Workflows() {
  auto node = [](wire::SubmitWorkflow& flow, const std::string& name,
                 std::initializer_list<const char*> after, const std::string& payload = "") {
    wire::WorkflowNode& added = *flow.add_nodes();
    added.set_name(name);
    added.mutable_job()->set_task("echo");
    added.mutable_job()->set_payload(payload);
    for (const char* parent : after) {
      added.add_after(parent);
    }
    return &added;
  };
  wire::SubmitWorkflow chain;
  chain.set_client_seq(1);
  node(chain, "fetch", {});
  node(chain, "parse", {"fetch"}, "{}");
  node(chain, "store", {"parse"}, R"({"to":"db"})");
  Write("fuzz_workflow", "chain", chain.SerializeAsString());

  wire::SubmitWorkflow chord;
  chord.set_client_seq(2);
  chord.set_submit_token(std::string(16, 't'));
  for (int i = 0; i < 8; ++i) {
    node(chord, "part-" + std::to_string(i), {});
  }
  wire::WorkflowNode* sum =
      node(chord, "sum",
           {"part-0", "part-1", "part-2", "part-3", "part-4", "part-5", "part-6", "part-7"});
  sum->mutable_job()->set_max_attempts(2);
  Write("fuzz_workflow", "chord", chord.SerializeAsString());

  wire::SubmitWorkflow failing;
  failing.set_client_seq(3);
  node(failing, "root", {});
  node(failing, "midx", {"root"});
  node(failing, "leaf", {"midx"});
  node(failing, "cleanup", {"midx", "root"})
      ->mutable_job()
      ->set_on_parent_failure(wire::PARENT_FAILURE_RUN);
  Write("fuzz_workflow", "failing_middle", failing.SerializeAsString());

  wire::SubmitWorkflow cycle;
  cycle.set_client_seq(4);
  node(cycle, "a", {"c"});
  node(cycle, "b", {"a"});
  node(cycle, "c", {"b"});
  Write("fuzz_workflow", "cycle", cycle.SerializeAsString());

  wire::SubmitWorkflow bad_payload;
  bad_payload.set_client_seq(5);
  node(bad_payload, "a", {});
  node(bad_payload, "b", {"a"}, "[1]");
  node(bad_payload, "c", {"a"}, R"({"inputs":1})");
  Write("fuzz_workflow", "bad_payload", bad_payload.SerializeAsString());
}

}  // namespace
}  // namespace jobq::fuzz

namespace jobq::fuzz {
namespace {

// Issue 18: workflow files, good ones (every field, the examples' shapes)
// and each kind of problem.
void WorkflowFiles() {
  Text("fuzz_workflow_file",
       {{"chain",
         R"({"name": "ingest", "nodes": [)"
         R"({"name": "fetch", "task": "http_get", "args": {"url": "http://x/"}},)"
         R"({"name": "sum", "task": "checksum", "after": ["fetch"]},)"
         R"({"name": "store", "task": "store", "args": {"name": "x"}, "after": ["sum"]}]})"},
        {"every_field",
         R"({"name": "all", "nodes": [{"name": "a", "task": "sum_squares", "args": {"n": 10}, )"
         R"("queue": "cpu", "kind": "cpu", "priority": -3, "timeout": 1.5, "retries": 0, )"
         R"("backoff": 0.25, "delay": "30s", "result_ttl": "2h", "on_parent_failure": "run", )"
         R"("after_jobs": ["0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f"]},)"
         R"({"task": "noop", "at": "2026-12-24T18:00:00Z", "after": ["a"]}]})"},
        {"chord", R"({"nodes": [{"name": "c1", "task": "sum_squares", "args": {"n": 1000}},)"
                  R"({"name": "c2", "task": "sum_squares", "args": {"n": 1000}},)"
                  R"({"name": "total", "task": "sum_parts", "after": ["c1", "c2"]}]})"},
        {"unnamed",
         R"({"nodes": [{"task": "noop"}, {"task": "noop"}, {"name": "noop-1", "task": "x"}]})"},
        {"problems", R"({"nme": 1, "nodes": [{"name": "a"}, {"name": "a", "task": 5, "tsak": 1, )"
                     R"("after": ["ghost", "a", "ghost"], "key": "k", "kind": "gpu"}, 7, )"
                     R"({"task": "t", "after_jobs": ["nope"], "on_parent_failure": "retry", )"
                     R"("result_ttl": -1, "delay": 1, "at": "2026-12-24"}]})"},
        {"not_an_object", "[1, 2, 3]"},
        {"no_nodes", R"({"name": "x", "nodes": []})"},
        {"bad_names", R"({"nodes": [{"name": "a b", "task": "t"}, {"name": "", "task": "t"}]})"},
        {"deep_args",
         "{\"nodes\": [{\"task\": \"echo\", \"args\": {\"d\": " + Deep(50'000) + "}}]}"},
        {"long_values",
         "{\"nodes\": [{\"task\": " + JsonExpandMarker(JsonPiece::kLongString, 65'535, 1) +
             ", \"name\": " + JsonExpandMarker(JsonPiece::kLongString, 300) +
             ", \"priority\": " + JsonExpandMarker(JsonPiece::kLongNumber, 400) + "}]}"}});
}

}  // namespace
}  // namespace jobq::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds DIR (tests/fuzz/corpus)\n");
    return 2;
  }
  jobq::fuzz::root = argv[1];
  jobq::fuzz::WireFrames();
  jobq::fuzz::DispatchedPayloads();
  jobq::fuzz::ChildFrames();
  jobq::fuzz::BrokerCore();
  jobq::fuzz::TextSeeds();
  jobq::fuzz::Schedules();
  jobq::fuzz::Workflows();
  jobq::fuzz::WorkflowFiles();
  return 0;
}
