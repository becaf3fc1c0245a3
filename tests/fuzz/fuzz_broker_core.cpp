// BrokerCore (broker/core/broker_core.h) on a FakeClock, fed what clients,
// workers, operators and time can do to it: raw message bodies of any
// command (the decoders), and well-formed messages that name the jobs it
// acknowledged and dispatched (so that the fuzzer gets past "unknown job"
// and into leases, retries, sentinels and expiry). After every step, as one
// loop iteration does, it Ticks; then every invariant must hold
// (CheckInvariants aborts otherwise) and every message the core sends, and
// every admin response, must decode at its receiver.
//
// Input: one byte of options (see OptionsFrom), then steps, each an op byte
// (low nibble: what; high nibble: an argument) and its fields (see Run).

#include <google/protobuf/stubs/logging.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/core/broker_core.h"
#include "common/check.h"
#include "common/clock.h"
#include "jobq/admin.pb.h"
#include "jobq/wire.pb.h"
#include "tests/fuzz/fuzz_input.h"

namespace jobq::broker::core {
namespace {

using fuzz::ByteReader;

// What a peer receives must parse: a string field with bad UTF-8, say,
// would make it drop the message.
bool Reparses(const google::protobuf::Message& message) {
  std::unique_ptr<google::protobuf::Message> copy(message.New());
  return copy->ParseFromString(message.SerializeAsString());
}

constexpr std::array kCommands = {
    Command::kSubmit,       Command::kSentinel,       Command::kWait,
    Command::kCancel,       Command::kSubmitted,      Command::kClientResult,
    Command::kError,        Command::kHello,          Command::kCredit,
    Command::kWorkerResult, Command::kProgress,       Command::kWorkerHeartbeat,
    Command::kBye,          Command::kWelcome,        Command::kDispatch,
    Command::kWorkerCancel, Command::kWorkerSentinel, Command::kBrokerHeartbeat,
    Command::kReconnect};

// Routing ids as a ROUTER makes them: a zero byte, then four bytes.
const std::array<std::string, 3> kClients = {std::string("\0\x6b\x8b\x45\x67", 5),
                                             std::string("\0\x6b\x8b\x45\x68", 5),
                                             std::string("\0\x6b\x8b\x45\x69", 5)};
const std::array<std::string, 3> kWorkers = {std::string("\0\x2c\x3a\x01\x01", 5),
                                             std::string("\0\x2c\x3a\x01\x02", 5),
                                             std::string("\0\x2c\x3a\x01\xff", 5)};
const std::array<std::string, 4> kQueues = {"default", "q1", "q2", ""};
const std::array<std::string, 4> kNames = {"w0", "w1", "w2", ""};
const std::array<std::string, 4> kErrorTypes = {"exception", "timeout", "bad_args", "cancelled"};
const std::array<std::string, 4> kTasks = {"noop", "sleep", "sum_squares", ""};
constexpr std::array<TimeMs, 4> kTimeScalesMs = {1, 10, 1000, 60'000};

CoreOptions OptionsFrom(uint8_t bits) {
  CoreOptions options;
  if (bits & 1) {  // limits that a few messages reach
    options.queue_depth_max = 8;
    options.payload_bytes_max = 64;
    options.jobs_per_submit_max = 16;
    options.lost_leases_max = 2;
  }
  if (bits & 2) {
    options.max_attempts = 3;
    options.backoff_ms = 100;
    options.backoff_max_ms = 1000;
  }
  if (bits & 4) {
    options.queue_defaults["q1"] = {.max_attempts = 5, .backoff_ms = 50};
  }
  if (bits & 8) {
    options.result_ttl_ms = 5000;
    options.dead_ttl_ms = 10'000;
  }
  if (bits & 16) {
    options.heartbeat_interval_ms = 100;
  }
  if (bits & 32) {
    options.liveness_misses = 1;
  }
  if (bits & 64) {
    options.lease_grace_ms = 0;
  }
  options.seed = bits;
  return options;
}

class Driver {
 public:
  explicit Driver(const CoreOptions& options) : core_(options) { Step(); }

  void Run(ByteReader& in) {
    while (!in.empty()) {
      const uint8_t op = in.U8();
      const uint8_t arg = op >> 4;
      switch (op & 15) {
        case 0: {
          const std::string& client = kClients[in.U8() % kClients.size()];
          const Command command = kCommands[in.U8() % kCommands.size()];
          core_.OnClientMessage(client, command, in.Sized(), clock_.NowMs(), &effects_);
          break;
        }
        case 1: {
          const std::string& worker = kWorkers[in.U8() % kWorkers.size()];
          const Command command = kCommands[in.U8() % kCommands.size()];
          core_.OnWorkerMessage(worker, command, in.Sized(), clock_.NowMs(), &effects_);
          break;
        }
        case 2:
          clock_.AdvanceMs(in.U16() * kTimeScalesMs[arg % kTimeScalesMs.size()]);
          break;
        case 3:
          Submit(in, arg);
          break;
        case 4:
          Hello(in, arg);
          break;
        case 5:
          Credit(in, arg);
          break;
        case 6:
          Result(in, arg);
          break;
        case 7:
          Heartbeat(in, arg);
          break;
        case 8:
          WaitOrCancel(in, arg);
          break;
        case 9:
          Admin(in, arg);
          break;
        case 10:
          Limit(in, arg);
          break;
        default:
          break;
      }
      Step();
    }
  }

 private:
  struct Lease {
    JobId id;
    uint32_t attempt;
    std::string worker;
    wire::Kind kind;
  };
  static constexpr size_t kKeptMax = 64;

  // What the loop does after each batch of messages: Tick, then send.
  void Step() {
    core_.Tick(clock_.NowMs(), &effects_);
    core_.CheckInvariants();
    for (const Outbound& out : effects_.outbound) {
      JOBQ_CHECK(out.body != nullptr && Reparses(*out.body))
          << CommandName(out.command) << " must decode at its receiver";
      if (out.command == Command::kSubmitted) {
        for (const wire::SubmitAck& ack : static_cast<const wire::Submitted&>(*out.body).acks()) {
          if (auto id = JobId::FromBytes(ack.id())) {
            Keep(known_, *id);
          }
        }
      } else if (out.command == Command::kDispatch) {
        for (const wire::DispatchedJob& job :
             static_cast<const wire::Dispatch&>(*out.body).jobs()) {
          if (auto id = JobId::FromBytes(job.id())) {
            Keep(leases_, Lease{*id, job.attempt(), out.routing_id, job.kind()});
          }
        }
      }
    }
    effects_.Clear();
  }

  template <typename T>
  static void Keep(std::vector<T>& kept, T value) {
    if (kept.size() == kKeptMax) {
      kept.erase(kept.begin());
    }
    kept.push_back(std::move(value));
  }

  std::string KnownId(uint8_t index) const {
    if (known_.empty()) {
      return std::string(JobId::kSize, '\x01');
    }
    return std::string(known_[index % known_.size()].Bytes());
  }

  void Submit(ByteReader& in, uint8_t arg) {
    const std::string& client = kClients[in.U8() % kClients.size()];
    wire::Submit submit;
    submit.set_first_seq(in.U8());
    submit.set_notify(arg & 1);
    for (int count = 1 + (arg >> 1); count > 0; --count) {
      const uint8_t bits = in.U8();
      const uint8_t more = in.U8();
      wire::JobSpec& spec = *submit.add_jobs();
      spec.set_task(kTasks[bits & 3]);
      spec.set_queue(kQueues[(bits >> 2) & 3]);
      if (bits & 16) {
        spec.set_kind(wire::KIND_CPU);
      }
      if (bits & 32) {
        spec.set_idempotency_key("key-" + std::to_string(more & 3));
      }
      if (bits & 64) {
        spec.set_sentinel(true);
      }
      if (bits & 128) {
        spec.set_payload(std::string(more, 'p'));
      }
      spec.set_priority((more & 3) - 1);
      if (more & 4) {
        spec.set_timeout_ms(500);
      }
      if (more & 8) {
        spec.set_not_before_ms(clock_.NowMs() + 1000);
      }
      if (more & 16) {
        spec.set_max_attempts(2);
      }
      if (more & 32) {
        spec.set_result_ttl_ms(2000);
      }
      if (more & 64) {
        spec.set_submit_token("token-" + std::to_string(more & 3));
      }
    }
    core_.OnClientMessage(client, Command::kSubmit, submit.SerializeAsString(), clock_.NowMs(),
                          &effects_);
  }

  void Hello(ByteReader& in, uint8_t arg) {
    const std::string& worker = kWorkers[in.U8() % kWorkers.size()];
    const uint8_t pools = in.U8();
    const uint8_t held = in.U8();
    wire::Hello hello;
    hello.set_name(kNames[arg & 3]);
    hello.set_host("fuzz");
    for (const auto& [kind, capacity] :
         {std::pair{wire::KIND_IO, pools & 7}, std::pair{wire::KIND_CPU, (pools >> 3) & 7}}) {
      wire::PoolCapacity& pool = *hello.add_pools();
      pool.set_kind(kind);
      pool.set_capacity(capacity);
    }
    // Queues: none (the broker's "default"), or some of default, q1, q2.
    if (arg & 4) {
      hello.add_queues(kQueues[0]);
    }
    if (arg & 8) {
      hello.add_queues(kQueues[1]);
    }
    if (pools & 64) {
      hello.add_queues(kQueues[2]);
    }
    wire::TaskInfo& task = *hello.add_tasks();
    task.set_name("sum_squares");
    task.set_kind(wire::KIND_CPU);
    // Jobs it says it still runs, as after a reconnect or a broker restart.
    for (size_t i = 0; i < leases_.size() && i < 8; ++i) {
      if (held & (1 << i)) {
        const Lease& lease = leases_[leases_.size() - 1 - i];
        wire::HeldJob& job = *hello.add_in_flight();
        job.set_id(std::string(lease.id.Bytes()));
        job.set_attempt(lease.attempt);
        job.set_kind(lease.kind);
      }
    }
    core_.OnWorkerMessage(worker, Command::kHello, hello.SerializeAsString(), clock_.NowMs(),
                          &effects_);
  }

  void Credit(ByteReader& in, uint8_t arg) {
    const std::string& worker = kWorkers[in.U8() % kWorkers.size()];
    wire::Credit credit;
    credit.set_kind(static_cast<wire::Kind>(arg % 3));
    credit.set_credits(in.U8());
    core_.OnWorkerMessage(worker, Command::kCredit, credit.SerializeAsString(), clock_.NowMs(),
                          &effects_);
  }

  // A result for a dispatched job: from its worker or another, for its
  // attempt or an older one; a failure reads one more byte, its error type.
  void Result(ByteReader& in, uint8_t arg) {
    const uint8_t index = in.U8();
    const bool ok = arg & 1;
    const std::string& error_type = ok ? kErrorTypes[0] : kErrorTypes[in.U8() & 3];
    if (leases_.empty()) {
      return;
    }
    const Lease& lease = leases_[index % leases_.size()];
    wire::WorkerResults results;
    wire::JobResult& result = *results.add_results();
    result.set_id(std::string(lease.id.Bytes()));
    result.set_attempt(lease.attempt - ((arg & 2) ? 1 : 0));
    result.set_ok(ok);
    if (ok) {
      result.set_result("42");
    } else {
      result.mutable_error()->set_type(error_type);
      result.mutable_error()->set_message("fuzz");
    }
    const std::string& worker = (arg & 4) ? kWorkers[index % kWorkers.size()] : lease.worker;
    core_.OnWorkerMessage(worker, Command::kWorkerResult, results.SerializeAsString(),
                          clock_.NowMs(), &effects_);
  }

  void Heartbeat(ByteReader& in, uint8_t arg) {
    const std::string& worker = kWorkers[in.U8() % kWorkers.size()];
    wire::Heartbeat heartbeat;
    heartbeat.set_draining(arg & 1);
    if (arg & 2) {
      for (const Lease& lease : leases_) {
        if (lease.worker == worker) {
          heartbeat.add_holding(std::string(lease.id.Bytes()));
        }
      }
    }
    if (arg & 4) {
      heartbeat.add_holding("not an id");
    }
    core_.OnWorkerMessage(worker, Command::kWorkerHeartbeat, heartbeat.SerializeAsString(),
                          clock_.NowMs(), &effects_);
  }

  void WaitOrCancel(ByteReader& in, uint8_t arg) {
    const std::string& client = kClients[in.U8() % kClients.size()];
    const uint8_t index = in.U8();
    wire::Wait ids;  // Wait and Cancel are both `repeated bytes ids = 1`
    ids.add_ids(KnownId(index));
    if (arg & 2) {
      ids.add_ids(KnownId(index + 1));
    }
    if (arg & 4) {
      ids.add_ids("short");
    }
    core_.OnClientMessage(client, (arg & 1) ? Command::kCancel : Command::kWait,
                          ids.SerializeAsString(), clock_.NowMs(), &effects_);
  }

  // What an operator does through the admin service, and what it reads.
  void Admin(ByteReader& in, uint8_t arg) {
    const uint8_t index = in.U8();
    const TimeMs now_ms = clock_.NowMs();
    const std::string& queue = kQueues[index & 3];
    std::optional<JobId> id = JobId::FromBytes(KnownId(index));
    switch (arg & 7) {
      case 0:
        core_.CancelJob(*id, now_ms, &effects_);
        break;
      case 1:
        core_.RetryJob(*id, now_ms, &effects_);
        break;
      case 2:
        core_.PurgeQueue(queue, now_ms, &effects_);
        break;
      case 3:
        core_.PauseQueue(queue);
        break;
      case 4:
        core_.ResumeQueue(queue);
        break;
      case 5:
        core_.DrainWorker(kNames[index & 3], &effects_);
        break;
      case 6:
        core_.BeginShutdown(now_ms, &effects_);
        break;
      case 7: {
        JobFilter filter;
        filter.state = static_cast<wire::JobState>(index % 8);
        filter.queue = (arg & 8) ? queue : "";
        filter.limit = index % 5;
        core_.ListJobs(filter);
        break;
      }
    }
    admin::GetStatusResponse status;
    core_.FillStatus(now_ms, &status);
    JOBQ_CHECK(Reparses(status)) << "an admin response must decode at its client";
    admin::ListQueuesResponse queues;
    core_.FillQueues(&queues);
    JOBQ_CHECK(Reparses(queues)) << "an admin response must decode at its client";
    admin::ListWorkersResponse workers;
    core_.FillWorkers(now_ms, &workers);
    JOBQ_CHECK(Reparses(workers)) << "an admin response must decode at its client";
  }

  // `jobq limit`: any numbers, valid or not (SetLimit must refuse the bad
  // ones and change nothing), on the queues and tasks jobs use.
  void Limit(ByteReader& in, uint8_t arg) {
    LimitRecord record;
    record.queue = kQueues[in.U8() & 3];
    record.task = (arg & 1) ? kTasks[in.U8() & 3] : "";
    const TimeMs now_ms = clock_.NowMs();
    if (arg & 2) {
      const size_t before = effects_.limits_changed.size();
      const bool cleared = core_.ClearLimit(record.queue, record.task, &effects_);
      JOBQ_CHECK(effects_.limits_changed.size() == before + (cleared ? 1 : 0))
          << "a clear is stored exactly when it removed a limit";
    } else {
      if (arg & 4) {
        record.rate = {static_cast<int16_t>(in.U16()),
                       static_cast<int64_t>(in.U16()) * kTimeScalesMs[arg >> 3]};
        record.burst = static_cast<int8_t>(in.U8());
      }
      record.concurrency = static_cast<int8_t>(in.U8()) % 6;
      const size_t before = effects_.limits_changed.size();
      absl::StatusOr<LimitRecord> set = core_.SetLimit(record, now_ms, &effects_);
      JOBQ_CHECK(set.ok() == CheckLimit(record).ok()) << "SetLimit refuses exactly the bad limits";
      JOBQ_CHECK(effects_.limits_changed.size() == before + (set.ok() ? 1 : 0))
          << "a refused limit changes nothing";
    }
    for (const LimitView& view : core_.Limits(now_ms)) {
      JOBQ_CHECK(view.running >= 0 &&
                 (!view.limited || view.next_token_ms == 0 || view.next_token_ms > now_ms))
          << "a limit's next token is ahead of now";
    }
  }

  FakeClock clock_;
  BrokerCore core_;
  Effects effects_;
  std::vector<JobId> known_;   // acknowledged, newest last
  std::vector<Lease> leases_;  // dispatched, newest last
};

}  // namespace
}  // namespace jobq::broker::core

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // bad UTF-8 in a body logs a line
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jobq::broker::core;
  jobq::fuzz::ByteReader in(data, size);
  Driver driver(OptionsFrom(in.U8()));
  driver.Run(in);
  return 0;
}
