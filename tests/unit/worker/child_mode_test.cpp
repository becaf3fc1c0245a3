// jobq-worker --child, driven directly over its channel the way the pool
// drives it: READY first, a RESULT per JOB, exit 0 on STOP or when the
// parent's end closes, exit 3 on garbage.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>

#include "jobq/wire.pb.h"
#include "tests/support/wait_for.h"
#include "tests/unit/worker/job_builders.h"
#include "worker/child/child_command_line.h"
#include "worker/child/child_process.h"

namespace jobq::worker::child {
namespace {

using ::jobq::testing::WaitFor;

class ChildModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<ChildProcess> spawned = ChildProcess::Spawn(
        JOBQ_WORKER_BIN, "jobq-worker", ChildArguments({LogLevel::kOff, {JOBQ_TEST_TASKS_PLUGIN}}));
    ASSERT_TRUE(spawned.ok()) << spawned.status();
    child_.emplace(std::move(*spawned));
  }

  // The next frame from the child; fails the test when none comes.
  std::optional<std::pair<ChildFrameType, std::string>> NextFrame() {
    ChildChannel& channel = child_->channel();
    std::optional<std::pair<ChildFrameType, std::string>> frame;
    EXPECT_TRUE(WaitFor([&] {
      DecodedChildFrame decoded = channel.NextFrame();
      if (decoded.status == FrameStatus::kFrame) {
        frame.emplace(decoded.type, std::string(decoded.body));
        return true;
      }
      pollfd item{channel.fd(), POLLIN, 0};
      return ::poll(&item, 1, 100) > 0 && channel.ReadSome() != ChildChannel::ReadStatus::kRead;
    }));
    return frame;
  }

  // The child's wait status once it has ended.
  int AwaitExit() {
    std::optional<int> status;
    EXPECT_TRUE(WaitFor([&] { return (status = child_->TryReap()).has_value(); }));
    return status.value_or(-1);
  }

  void Send(ChildFrameType type, const google::protobuf::MessageLite* body = nullptr) {
    ChildChannel& channel = child_->channel();
    ASSERT_TRUE(body != nullptr ? channel.Queue(type, *body) : channel.Queue(type));
    ASSERT_TRUE(WaitFor([&] { return channel.Flush() && !channel.has_unsent(); }));
  }

  std::optional<ChildProcess> child_;
};

TEST_F(ChildModeTest, SaysReadyRunsJobsAndExitsOnItsSentinel) {
  auto ready = NextFrame();
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->first, ChildFrameType::kReady);

  wire::DispatchedJob job = testing::MakeJob("echo", R"({"a":1})", 7);
  Send(ChildFrameType::kJob, &job);
  auto frame = NextFrame();
  ASSERT_TRUE(frame.has_value());
  ASSERT_EQ(frame->first, ChildFrameType::kResult);
  wire::JobResult result;
  ASSERT_TRUE(result.ParseFromString(frame->second));
  EXPECT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result.id(), testing::TestJobId(7));
  EXPECT_EQ(result.result(), R"({"a":1})");

  Send(ChildFrameType::kStop);
  const int status = AwaitExit();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << DescribeChildExit(0, status);
}

TEST_F(ChildModeTest, ExitsWhenTheParentsEndCloses) {
  child_->channel().Close();
  const int status = AwaitExit();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << DescribeChildExit(0, status);
}

TEST_F(ChildModeTest, ExitsWithAProtocolErrorOnGarbage) {
  ChildChannel& channel = child_->channel();
  // A RESULT is what a child sends, never what it receives.
  wire::JobResult wrong_way;
  ASSERT_TRUE(channel.Queue(ChildFrameType::kResult, wrong_way));
  ASSERT_TRUE(channel.Flush());
  const int status = AwaitExit();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kChildExitProtocol)
      << DescribeChildExit(0, status);
}

TEST_F(ChildModeTest, ExitsWithAProtocolErrorOnAnOversizedLength) {
  const std::string bad_length("\x7f\xff\xff\xff\x01", 5);
  ASSERT_EQ(::write(child_->channel().fd(), bad_length.data(), bad_length.size()), 5);
  const int status = AwaitExit();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kChildExitProtocol)
      << DescribeChildExit(0, status);
}

TEST(ChildExitTest, DescribesSignalsAndExitCodes) {
  EXPECT_EQ(DescribeChildExit(12, 11), "child 12 killed by signal 11 (Segmentation fault)");
  EXPECT_EQ(DescribeChildExit(12, 3 << 8), "child 12 exited with code 3");
}

}  // namespace
}  // namespace jobq::worker::child
