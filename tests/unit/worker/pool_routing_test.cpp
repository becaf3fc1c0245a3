// Which pool the connection hands a dispatched job to: the one of the
// job's kind, the task's kind when the job names none, and the I/O pool
// when the worker has no pool of that kind.
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <vector>

#include "tests/support/wait_for.h"
#include "tests/unit/worker/fake_broker.h"
#include "tests/unit/worker/job_builders.h"
#include "worker/conn/broker_connection.h"

namespace jobq::worker {
namespace {

using ::jobq::testing::IsReadyBy;
using ::jobq::testing::WaitFor;
using testing::FakeBroker;
using testing::MakeJob;

// Records the tasks it was given and finishes each at once.
class RecordingPool final : public JobPool {
 public:
  explicit RecordingPool(TaskKind kind) : kind_(kind) {}
  TaskKind kind() const override { return kind_; }
  uint32_t capacity() const override { return 4; }
  bool Submit(wire::DispatchedJob job, std::shared_ptr<CancellationToken>,
              Completion done) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.push_back(job.task());
    }
    wire::JobResult result;
    result.set_id(job.id());
    result.set_attempt(job.attempt());
    result.set_ok(true);
    done(std::move(result));
    return true;
  }
  void Stop() override {}
  std::vector<std::string> tasks() {
    std::lock_guard<std::mutex> lock(mutex_);
    return tasks_;
  }

 private:
  const TaskKind kind_;
  std::mutex mutex_;
  std::vector<std::string> tasks_;
};

class PoolRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const TaskFunction unused = [](TaskContext&) { return std::string("null"); };
    ASSERT_TRUE(registry_.Register("crunch", TaskKind::kCpu, unused).ok());
    ASSERT_TRUE(registry_.Register("fetch", TaskKind::kIo, unused).ok());
    static int instance = 0;
    endpoint_ = "inproc://routing-" + std::to_string(++instance);
    broker_ = std::make_unique<FakeBroker>(context_, endpoint_);
  }

  void TearDown() override {
    if (connection_ != nullptr) {
      connection_->RequestStop();
      EXPECT_TRUE(IsReadyBy(exit_));
    }
  }

  // Starts a worker with `pools`, registers it, and dispatches `jobs`.
  void Run(std::vector<JobPool*> pools, std::vector<wire::DispatchedJob> jobs) {
    ConnectionOptions options;
    options.broker_endpoint = endpoint_;
    options.identity = {"w1", "test-host", 4242};
    options.bye_linger_ms = 0;
    connection_ = std::make_unique<BrokerConnection>(context_, options, registry_, pools);
    exit_ = std::async(std::launch::async, [this] { return connection_->Run(); });
    std::optional<testing::WorkerMessage> hello = broker_->NextOf(Command::kHello);
    ASSERT_TRUE(hello.has_value());
    const uint64_t registration = hello->As<wire::Hello>().registration();
    wire::Welcome welcome;
    welcome.set_heartbeat_interval_ms(1000);
    welcome.set_registration(registration);
    welcome.set_broker(1);
    broker_->Send(Command::kWelcome, welcome);
    wire::Dispatch dispatch;
    dispatch.set_registration(registration);
    dispatch.set_broker(1);
    for (const wire::DispatchedJob& job : jobs) {
      *dispatch.add_jobs() = job;
    }
    broker_->Send(Command::kDispatch, dispatch);
  }

  static wire::DispatchedJob Job(const std::string& task, wire::Kind kind, uint8_t n) {
    wire::DispatchedJob job = MakeJob(task, "{}", n);
    job.set_kind(kind);
    return job;
  }

  zmq::context_t context_{1};
  TaskRegistry registry_;
  std::string endpoint_;
  std::unique_ptr<FakeBroker> broker_;
  std::unique_ptr<BrokerConnection> connection_;
  std::future<ConnectionExit> exit_;
};

TEST_F(PoolRoutingTest, EachKindGoesToItsPool) {
  RecordingPool io(TaskKind::kIo);
  RecordingPool cpu(TaskKind::kCpu);
  Run({&io, &cpu}, {Job("crunch", wire::KIND_CPU, 1), Job("fetch", wire::KIND_IO, 2),
                    Job("fetch", wire::KIND_CPU, 3), Job("crunch", wire::KIND_UNSPECIFIED, 4),
                    Job("fetch", wire::KIND_UNSPECIFIED, 5)});
  ASSERT_TRUE(WaitFor([&] { return io.tasks().size() + cpu.tasks().size() == 5; }));
  EXPECT_EQ(cpu.tasks(), (std::vector<std::string>{"crunch", "fetch", "crunch"}))
      << "the job's kind wins; without one, the task's";
  EXPECT_EQ(io.tasks(), (std::vector<std::string>{"fetch", "fetch"}));
}

TEST_F(PoolRoutingTest, WithoutACpuPoolCpuJobsRunOnTheIoPool) {
  RecordingPool io(TaskKind::kIo);
  Run({&io}, {Job("crunch", wire::KIND_CPU, 1), Job("crunch", wire::KIND_UNSPECIFIED, 2)});
  ASSERT_TRUE(WaitFor([&] { return io.tasks().size() == 2; }));
}

}  // namespace
}  // namespace jobq::worker
