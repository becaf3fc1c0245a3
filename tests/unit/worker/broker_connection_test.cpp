// BrokerConnection against a scripted broker on an in-process transport:
// the wire protocol as the worker speaks it, end to end, without a network.
// The worker's timers run on a ManualClock: a test fires heartbeats, HELLO
// re-sends, liveness and backoff by moving it, so no real timer length
// matters, and no broker HEARTBEAT is needed to keep the worker from
// giving up.
#include "worker/conn/broker_connection.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>

#include "common/clock.h"
#include "tests/support/wait_for.h"
#include "tests/unit/worker/fake_broker.h"
#include "tests/unit/worker/job_builders.h"
#include "worker/pools/io_pool.h"
#include "worker/tasks/builtin_tasks.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {
namespace {

using ::jobq::testing::IsReadyBy;
using ::jobq::testing::TestDeadline;
using ::jobq::testing::WaitFor;
using testing::FakeBroker;
using testing::MakeJob;
using testing::WorkerMessage;

constexpr uint32_t kIoThreads = 2;
// On the ManualClock, so only how they compare matters: HELLO is re-sent
// before liveness runs out, and one step of kReconnectMaxMs always outlasts
// the backoff.
constexpr uint32_t kHeartbeatMs = 1000;
constexpr uint32_t kLivenessMisses = 3;
constexpr uint32_t kHelloResendMs = 1000;
constexpr uint32_t kReconnectInitialMs = 100;
constexpr uint32_t kReconnectMaxMs = 1000;

class BrokerConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterBuiltinTasks(registry_);
    // A task that holds its thread until the test releases it (or the job
    // is cancelled), to keep a job in flight across broker events.
    ASSERT_TRUE(registry_
                    .Register("hold", TaskKind::kIo,
                              [this](TaskContext& context) -> std::string {
                                while (!released_.load()) {
                                  if (!context.SleepFor(std::chrono::milliseconds(1))) {
                                    throw TaskError(kErrorCancelled, "hold: cancelled");
                                  }
                                }
                                return "\"held\"";
                              })
                    .ok());
    pool_ = std::make_unique<IoPool>(registry_, kIoThreads, 2 * kIoThreads);
    static int instance = 0;
    endpoint_ = "inproc://broker-" + std::to_string(++instance);
    broker_ = std::make_unique<FakeBroker>(context_, endpoint_);
  }

  void TearDown() override {
    released_ = true;
    if (connection_ != nullptr) {
      connection_->RequestStop();
      EXPECT_TRUE(IsReadyBy(exit_));
    }
    pool_->Stop();
    connection_.reset();
  }

  void StartWorker(ConnectionOptions options = {}) {
    options.broker_endpoint = endpoint_;
    options.identity = {"w1", "test-host", 4242};
    options.heartbeat_interval_ms = kHeartbeatMs;
    options.liveness_misses = kLivenessMisses;
    options.hello_resend_ms = kHelloResendMs;
    options.reconnect_initial_ms = kReconnectInitialMs;
    options.reconnect_max_ms = kReconnectMaxMs;
    options.bye_linger_ms = 0;
    options.clock = &clock_;
    connection_ = std::make_unique<BrokerConnection>(context_, options, registry_,
                                                     std::vector<JobPool*>{pool_.get()});
    exit_ = std::async(std::launch::async, [this] { return connection_->Run(); });
  }

  // Reads the HELLO and answers WELCOME.
  wire::Hello Register(uint64_t result_bytes_max = 0) {
    std::optional<WorkerMessage> hello = broker_->NextOf(Command::kHello);
    EXPECT_TRUE(hello.has_value()) << "no HELLO";
    registration_ = hello.has_value() ? hello->As<wire::Hello>().registration() : 0;
    wire::Welcome welcome;
    welcome.set_heartbeat_interval_ms(kHeartbeatMs);
    welcome.set_liveness_misses(kLivenessMisses);
    welcome.set_result_bytes_max(result_bytes_max);
    welcome.set_registration(registration_);
    welcome.set_broker(kBrokerInstance);
    broker_->Send(Command::kWelcome, welcome);
    return hello.has_value() ? hello->As<wire::Hello>() : wire::Hello();
  }

  void Dispatch(std::initializer_list<wire::DispatchedJob> jobs) {
    wire::Dispatch dispatch;
    dispatch.set_registration(registration_);
    dispatch.set_broker(kBrokerInstance);
    for (const wire::DispatchedJob& job : jobs) {
      *dispatch.add_jobs() = job;
    }
    broker_->Send(Command::kDispatch, dispatch);
  }

  // Reads messages until `count` results arrived; returns them. Fails the
  // test if a CREDIT comes before the first RESULT.
  std::vector<wire::JobResult> Results(size_t count, uint32_t* credits = nullptr) {
    std::vector<wire::JobResult> results;
    const auto deadline = std::chrono::steady_clock::now() + TestDeadline();
    while (results.size() < count) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      std::optional<WorkerMessage> message =
          left.count() > 0 ? broker_->Next(true, left) : std::nullopt;
      if (!message.has_value()) {
        ADD_FAILURE() << "only " << results.size() << " of " << count << " results arrived";
        break;
      }
      if (message->command == Command::kCredit) {
        EXPECT_FALSE(results.empty()) << "CREDIT before any RESULT";
        if (credits != nullptr) {
          // A running total since the registration's HELLO.
          *credits = static_cast<uint32_t>(message->As<wire::Credit>().freed_total());
        }
      } else if (message->command == Command::kWorkerResult) {
        const auto batch = message->As<wire::WorkerResults>();
        results.insert(results.end(), batch.results().begin(), batch.results().end());
      }
    }
    return results;
  }

  // Returns once the worker has handled everything sent to it, and every
  // move of the clock, before the call: it has gone round its loop twice
  // since (see ManualClock::sleeps), woken by the clock if it had nothing
  // to do.
  void Settle() { ASSERT_TRUE(::jobq::testing::Settle(clock_)) << "the worker is stuck"; }

  // The next HEARTBEAT, fired by moving the clock one interval on. The
  // WELCOME must have been handled (Settle), or the interval starts later.
  std::optional<wire::Heartbeat> NextHeartbeat() {
    clock_.AdvanceMs(kHeartbeatMs);
    std::optional<WorkerMessage> heartbeat = broker_->NextOf(Command::kWorkerHeartbeat);
    if (!heartbeat.has_value()) {
      return std::nullopt;
    }
    return heartbeat->As<wire::Heartbeat>();
  }

  static constexpr uint64_t kBrokerInstance = 0xb0b;
  uint64_t registration_ = 0;  // of the HELLO Register() answered
  ManualClock clock_;          // outlives connection_, which reads it
  zmq::context_t context_{1};
  TaskRegistry registry_;
  std::unique_ptr<IoPool> pool_;
  std::string endpoint_;
  std::unique_ptr<FakeBroker> broker_;
  std::unique_ptr<BrokerConnection> connection_;
  std::future<ConnectionExit> exit_;
  std::atomic<bool> released_{false};
};

TEST_F(BrokerConnectionTest, HelloDescribesTheWorker) {
  StartWorker();
  wire::Hello hello = Register();
  EXPECT_EQ(hello.name(), "w1");
  EXPECT_EQ(hello.pid(), 4242);
  ASSERT_EQ(hello.pools_size(), 1);
  EXPECT_EQ(hello.pools(0).kind(), wire::KIND_IO);
  EXPECT_EQ(hello.pools(0).capacity(), kIoThreads);
  ASSERT_EQ(hello.queues_size(), 1);
  EXPECT_EQ(hello.queues(0), "default");
  EXPECT_EQ(hello.tasks_size(), static_cast<int>(registry_.tasks().size()))
      << "built-ins and the test's own task";
  EXPECT_EQ(hello.in_flight_size(), 0);
}

TEST_F(BrokerConnectionTest, ResendsHelloUntilWelcome) {
  StartWorker();
  std::optional<WorkerMessage> first = broker_->NextOf(Command::kHello);
  ASSERT_TRUE(first.has_value());
  clock_.AdvanceMs(kHelloResendMs);
  std::optional<WorkerMessage> again = broker_->NextOf(Command::kHello);
  ASSERT_TRUE(again.has_value()) << "HELLO was not resent";
  EXPECT_EQ(again->As<wire::Hello>().registration(), first->As<wire::Hello>().registration())
      << "a re-sent HELLO is the same registration";
}

TEST_F(BrokerConnectionTest, ASilentBrokerBeforeWelcomeGetsANewRegistration) {
  StartWorker();
  std::optional<WorkerMessage> first = broker_->NextOf(Command::kHello);
  ASSERT_TRUE(first.has_value());
  // Silent for liveness_misses intervals: the worker closes its socket, and
  // after the backoff opens another and registers anew.
  clock_.AdvanceMs(kLivenessMisses * kHeartbeatMs);
  Settle();
  clock_.AdvanceMs(kReconnectMaxMs);
  std::optional<WorkerMessage> next = broker_->NextOf(Command::kHello);
  ASSERT_TRUE(next.has_value()) << "no HELLO after the broker stayed silent";
  EXPECT_GT(next->As<wire::Hello>().registration(), first->As<wire::Hello>().registration())
      << "a new socket is a new registration";
}

TEST_F(BrokerConnectionTest, RunsDispatchedJobsAndSendsResultsThenCredit) {
  StartWorker();
  Register();
  Dispatch({MakeJob("echo", R"({"x":1})", 1), MakeJob("nope", "{}", 2)});
  uint32_t credits = 0;
  std::vector<wire::JobResult> results = Results(2, &credits);
  ASSERT_EQ(results.size(), 2u);
  for (const wire::JobResult& result : results) {
    if (result.id() == testing::TestJobId(1)) {
      EXPECT_TRUE(result.ok());
      EXPECT_EQ(result.result(), R"({"x":1})");
    } else {
      EXPECT_EQ(result.error().type(), "unknown_task");
    }
  }
  // Both slots come back, possibly over two CREDITs (each the running total).
  while (credits < 2) {
    std::optional<WorkerMessage> credit = broker_->NextOf(Command::kCredit);
    ASSERT_TRUE(credit.has_value()) << "credits so far: " << credits;
    credits = static_cast<uint32_t>(credit->As<wire::Credit>().freed_total());
  }
  EXPECT_EQ(credits, 2u);
}

TEST_F(BrokerConnectionTest, AResultLargerThanTheBrokerKeepsFailsTheJobHere) {
  StartWorker();
  Register(/*result_bytes_max=*/16);
  const std::string large = R"({"text":"more than sixteen bytes"})";
  Dispatch({MakeJob("echo", large, 1), MakeJob("echo", "{}", 2)});
  std::vector<wire::JobResult> results = Results(2);
  ASSERT_EQ(results.size(), 2u);
  for (const wire::JobResult& result : results) {
    if (result.id() == testing::TestJobId(1)) {
      EXPECT_FALSE(result.ok());
      EXPECT_EQ(result.error().type(), "result_too_large");
      EXPECT_TRUE(result.result().empty());
    } else {
      EXPECT_TRUE(result.ok()) << result.error().message();
    }
  }
}

TEST_F(BrokerConnectionTest, ResultMessagesAreCutByBytes) {
  ConnectionOptions options;
  options.max_result_message_bytes = 1;  // every result alone
  StartWorker(options);
  Register();
  Dispatch({MakeJob("echo", R"({"a":1})", 1), MakeJob("echo", R"({"b":2})", 2)});
  size_t results = 0;
  while (results < 2) {
    std::optional<WorkerMessage> message = broker_->NextOf(Command::kWorkerResult);
    ASSERT_TRUE(message.has_value()) << "results so far: " << results;
    EXPECT_EQ(message->As<wire::WorkerResults>().results_size(), 1);
    results += static_cast<size_t>(message->As<wire::WorkerResults>().results_size());
  }
}

TEST_F(BrokerConnectionTest, SendsHeartbeatsWithLoad) {
  StartWorker();
  Register();
  Settle();
  std::optional<wire::Heartbeat> heartbeat = NextHeartbeat();
  ASSERT_TRUE(heartbeat.has_value());
  ASSERT_EQ(heartbeat->pools_size(), 1);
  EXPECT_EQ(heartbeat->pools(0).capacity(), kIoThreads);
  // And one every interval after.
  heartbeat = NextHeartbeat();
  ASSERT_TRUE(heartbeat.has_value()) << "no second HEARTBEAT";
}

TEST_F(BrokerConnectionTest, CancelStopsARunningJob) {
  StartWorker();
  Register();
  Dispatch({MakeJob("sleep", R"({"seconds": 3600})", 1)});
  wire::Cancel cancel;
  cancel.add_ids(testing::TestJobId(1));
  broker_->Send(Command::kWorkerCancel, cancel);
  std::vector<wire::JobResult> results = Results(1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].error().type(), "cancelled");
}

TEST_F(BrokerConnectionTest, LastSentinelDrainsSendsByeAndReturns) {
  StartWorker();
  Register();
  Dispatch({MakeJob("hold", "{}", 1)});
  wire::Sentinel sentinel;
  sentinel.set_queue("default");
  broker_->Send(Command::kWorkerSentinel, sentinel);
  released_ = true;
  std::vector<wire::JobResult> results = Results(1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok()) << "the held job finishes before the worker leaves";
  ASSERT_TRUE(broker_->NextOf(Command::kBye).has_value());
  ASSERT_TRUE(IsReadyBy(exit_));
  EXPECT_EQ(exit_.get(), ConnectionExit::kQueuesDone);
  connection_.reset();
}

TEST_F(BrokerConnectionTest, StopRequestSendsByeAndCancelsJobs) {
  StartWorker();
  Register();
  Dispatch({MakeJob("hold", "{}", 1)});
  Settle();
  std::optional<wire::Heartbeat> heartbeat = NextHeartbeat();
  ASSERT_TRUE(heartbeat.has_value());
  ASSERT_EQ(heartbeat->pools(0).in_flight(), 1u);
  connection_->RequestStop();
  ASSERT_TRUE(broker_->NextOf(Command::kBye).has_value());
  ASSERT_TRUE(IsReadyBy(exit_));
  EXPECT_EQ(exit_.get(), ConnectionExit::kStopRequested);
  // Returns because the held job saw its cancellation. Before the
  // connection goes: the job's completion posts into it (as in
  // WorkerServer::Run; ASan found the other order here).
  pool_->Stop();
  connection_.reset();
}

TEST_F(BrokerConnectionTest, ADrainThatOutlastsItsGraceStopsTheWorker) {
  ConnectionOptions options;
  // Within liveness: the silent broker is not given up meanwhile.
  options.drain_grace_ms = kLivenessMisses * kHeartbeatMs - 1;
  StartWorker(options);
  Register();
  Dispatch({MakeJob("hold", "{}", 1)});
  Settle();
  connection_->RequestDrain();
  std::optional<WorkerMessage> heartbeat = broker_->NextOf(Command::kWorkerHeartbeat);
  ASSERT_TRUE(heartbeat.has_value());
  EXPECT_TRUE(heartbeat->As<wire::Heartbeat>().draining()) << "the broker hears of it at once";
  clock_.AdvanceMs(options.drain_grace_ms);
  ASSERT_TRUE(broker_->NextOf(Command::kBye).has_value());
  ASSERT_TRUE(IsReadyBy(exit_));
  EXPECT_EQ(exit_.get(), ConnectionExit::kStopRequested) << "the held job never finished";
  pool_->Stop();
  connection_.reset();
}

TEST_F(BrokerConnectionTest, ReconnectCommandGetsANewHello) {
  StartWorker();
  Register();
  broker_->Send(Command::kReconnect, wire::Empty());
  ASSERT_TRUE(broker_->NextOf(Command::kHello).has_value());
}

TEST_F(BrokerConnectionTest, BadInputIsDroppedAndTheWorkerCarriesOn) {
  StartWorker();
  Register();
  broker_->SendRawBody(Command::kDispatch, "\xff\xff\xff not protobuf");
  broker_->SendFrames({"", "XX\x01", "\x32", ""});  // bad signature
  broker_->SendFrames({"", "JQ\x01", "\x7f", ""});  // unknown command
  broker_->SendFrames({"only one frame"});          // too few frames
  wire::Error error;
  error.set_code(wire::ERROR_CODE_BAD_BODY);
  error.set_text("that was odd");
  broker_->Send(Command::kError, error);
  Dispatch({MakeJob("noop", "", 1)});
  std::vector<wire::JobResult> results = Results(1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok());
}

TEST_F(BrokerConnectionTest, AfterBrokerRestartHelloListsHeldJobsAndResultsFollowWelcome) {
  StartWorker();
  Register();
  Dispatch({MakeJob("hold", "{}", 1)});
  Settle();

  // The broker dies and a new one takes the same address. The worker hears
  // nothing for liveness_misses intervals, and after its backoff reconnects
  // and says HELLO again.
  broker_.reset();
  broker_ = std::make_unique<FakeBroker>(context_, endpoint_);
  clock_.AdvanceMs(kLivenessMisses * kHeartbeatMs);
  Settle();
  clock_.AdvanceMs(kReconnectMaxMs);
  std::optional<WorkerMessage> hello = broker_->NextOf(Command::kHello);
  ASSERT_TRUE(hello.has_value()) << "no HELLO after the broker restarted";
  wire::Hello body = hello->As<wire::Hello>();
  ASSERT_EQ(body.in_flight_size(), 1);
  EXPECT_EQ(body.in_flight(0).id(), testing::TestJobId(1));

  // The job finishes before the new broker answers; its result waits for
  // WELCOME.
  released_ = true;
  EXPECT_GT(body.registration(), registration_) << "a new connection is a new registration";
  wire::Welcome welcome;
  welcome.set_heartbeat_interval_ms(kHeartbeatMs);
  welcome.set_registration(body.registration());
  welcome.set_broker(kBrokerInstance + 1);  // another broker process
  broker_->Send(Command::kWelcome, welcome);
  std::vector<wire::JobResult> results = Results(1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].id(), testing::TestJobId(1));
  EXPECT_TRUE(results[0].ok());
}

}  // namespace
}  // namespace jobq::worker
