// exec: output, exit codes, stdin, limits, timeouts and cancellation. The
// commands are the POSIX basics (sh, echo, cat, sleep, head, yes).

#include "worker/tasks/builtins/exec_task.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <future>

#include "tests/support/wait_for.h"
#include "tests/unit/worker/task_test_support.h"

namespace jobq::worker {
namespace {

using ::jobq::testing::IsReadyBy;
using testing::BuiltinTaskTest;
using ::testing::HasSubstr;

class ExecTaskTest : public BuiltinTaskTest {
 protected:
  wire::JobResult Exec(const std::string& args_json, int64_t timeout_ms = 0) {
    return Run("exec", args_json, timeout_ms);
  }
  static std::string Sh(const std::string& script) {
    return nlohmann::json{{"argv", nlohmann::json::array({"sh", "-c", script})}}.dump();
  }
  // The process a script reported with `echo $$` is gone (reaped, not a
  // zombie): kill(pid, 0) finds no such process.
  static bool ProcessIsGone(const std::string& pid_line) {
    const pid_t pid = static_cast<pid_t>(std::stol(pid_line));
    return pid > 0 && kill(pid, 0) == -1 && errno == ESRCH;
  }
};

TEST_F(ExecTaskTest, IsAnIoTask) { EXPECT_EQ(registry_.Find("exec")->kind, TaskKind::kIo); }

TEST_F(ExecTaskTest, EchoHello) {
  EXPECT_EQ(Value(Exec(R"({"argv": ["echo", "hello"]})")),
            nlohmann::json({{"exit_code", 0}, {"stdout", "hello\n"}, {"stderr", ""}}));
}

TEST_F(ExecTaskTest, ArgumentsReachTheProgramUnchangedWithoutAShell) {
  nlohmann::json value = Value(Exec(R"({"argv": ["echo", "$HOME", "a b", "*"]})"));
  EXPECT_EQ(value["stdout"], "$HOME a b *\n");
}

TEST_F(ExecTaskTest, StdinIsFedToTheProgram) {
  EXPECT_EQ(Value(Exec(R"({"argv": ["cat"], "stdin": "line 1\nline 2\n"})"))["stdout"],
            "line 1\nline 2\n");
}

TEST_F(ExecTaskTest, StdinIsEmptyWhenNotGiven) {
  EXPECT_EQ(Value(Exec(R"({"argv": ["cat"]})"))["stdout"], "");
}

TEST_F(ExecTaskTest, LargeStdinAndOutputDoNotDeadlock) {
  // More than a pipe holds (64 KiB), both ways at once.
  const std::string big(300'000, 'x');
  nlohmann::json value =
      Value(Exec(nlohmann::json{{"argv", nlohmann::json::array({"cat"})}, {"stdin", big}}.dump()));
  EXPECT_EQ(value["stdout"].get<std::string>().size(), big.size());
}

TEST_F(ExecTaskTest, ProgramThatIgnoresItsStdinStillSucceeds) {
  // `true` exits without reading: the write side sees EPIPE, not SIGPIPE.
  EXPECT_EQ(Value(Exec(nlohmann::json{{"argv", nlohmann::json::array({"true"})},
                                      {"stdin", std::string(1 << 20, 'x')}}
                           .dump()))["exit_code"],
            0);
}

TEST_F(ExecTaskTest, NonZeroExitIsExitStatusWithOutputInTheDetail) {
  wire::JobResult result = Exec(Sh("echo partial; echo oops >&2; exit 3"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "exit_status");
  EXPECT_THAT(result.error().message(), HasSubstr("\"sh\" exited with status 3"));
  EXPECT_EQ(Detail(result),
            nlohmann::json({{"exit_code", 3}, {"stdout", "partial\n"}, {"stderr", "oops\n"}}));
}

TEST_F(ExecTaskTest, DeathBySignalIsExitStatus) {
  wire::JobResult result = Exec(Sh("kill -9 $$"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "exit_status");
  EXPECT_THAT(result.error().message(), HasSubstr("signal 9"));
  EXPECT_EQ(Detail(result)["signal"], 9);
}

TEST_F(ExecTaskTest, MissingProgramIsExecFailedNamingIt) {
  wire::JobResult result = Exec(R"({"argv": ["jobq-no-such-program", "x"]})");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "exec_failed");
  EXPECT_THAT(result.error().message(), HasSubstr("\"jobq-no-such-program\""));
  EXPECT_THAT(result.error().message(), HasSubstr("No such file or directory"));
}

TEST_F(ExecTaskTest, OutputPastTheLimitIsCutAndMarked) {
  nlohmann::json value = Value(Exec(Sh("yes | head -c 3000000; echo done >&2")));
  EXPECT_EQ(value["stdout"].get<std::string>().size(), kExecOutputMaxBytes);
  EXPECT_EQ(value["stdout_truncated"], true);
  EXPECT_EQ(value["stderr"], "done\n");
  EXPECT_FALSE(value.contains("stderr_truncated"));
}

TEST_F(ExecTaskTest, OutputThatIsNotUtf8BecomesReplacementCharacters) {
  nlohmann::json value = Value(Exec(R"({"argv": ["printf", "a\\377b"]})"));
  EXPECT_EQ(value["stdout"],
            "a\xEF\xBF\xBD"
            "b");
}

TEST_F(ExecTaskTest, TimeoutArgumentKillsTheChildAndReapsIt) {
  wire::JobResult result =
      Exec(R"({"argv": ["sh", "-c", "echo $$; exec sleep 1000"], "timeout": 0.2})");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "timeout");
  EXPECT_THAT(result.error().message(), HasSubstr("its timeout of 0.2 s"));
  EXPECT_TRUE(ProcessIsGone(Detail(result)["stdout"].get<std::string>()));
}

TEST_F(ExecTaskTest, TheJobDeadlineAlsoStopsIt) {
  wire::JobResult result = Exec(Sh("echo $$; exec sleep 1000"), /*timeout_ms=*/200);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "timeout");
  EXPECT_THAT(result.error().message(), HasSubstr("the job's deadline"));
  EXPECT_TRUE(ProcessIsGone(Detail(result)["stdout"].get<std::string>()));
}

TEST_F(ExecTaskTest, AChildThatIgnoresSigtermIsKilled) {
  // The trap is inherited by sleep, so only SIGKILL, after the grace
  // period, ends the group.
  wire::JobResult result =
      Exec(R"({"argv": ["sh", "-c", "trap '' TERM; echo $$; sleep 1000; echo survived"],
                  "timeout": 0.1})");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "timeout");
  nlohmann::json detail = Detail(result);
  EXPECT_EQ(detail["signal"], SIGKILL);
  EXPECT_TRUE(ProcessIsGone(detail["stdout"].get<std::string>()));
}

TEST_F(ExecTaskTest, CancellationStopsTheChild) {
  CancellationToken token;
  auto running = std::async(std::launch::async, [&] {
    return RunJob(registry_, testing::MakeJob("exec", Sh("echo $$; exec sleep 1000")), token);
  });
  token.Cancel();
  ASSERT_TRUE(IsReadyBy(running));
  wire::JobResult result = running.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "cancelled");
}

struct BadExecArgs {
  const char* payload;
  const char* message_part;
};

class ExecBadArgsTest : public ExecTaskTest, public ::testing::WithParamInterface<BadExecArgs> {};

TEST_P(ExecBadArgsTest, IsBadArgs) {
  wire::JobResult result = Run("exec", std::string(GetParam().payload));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_args");
  EXPECT_THAT(result.error().message(), HasSubstr(GetParam().message_part));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ExecBadArgsTest,
    ::testing::Values(
        BadExecArgs{"{}", R"(exec: argument "argv" is required)"},
        BadExecArgs{R"({"argv": []})", R"(argument "argv" must be a non-empty array of strings)"},
        BadExecArgs{R"({"argv": "echo hi"})", R"(got "echo hi")"},
        BadExecArgs{R"({"argv": ["echo", 5]})", R"(got ["echo",5])"},
        BadExecArgs{R"({"argv": ["ec\u0000ho"]})", "without NUL characters"},
        BadExecArgs{R"({"argv": ["true"], "timeout": 0})",
                    R"(argument "timeout" must be a number > 0)"},
        BadExecArgs{R"({"argv": ["true"], "timeout": "1"})", R"(got "1")"},
        BadExecArgs{R"({"argv": ["true"], "stdin": 5})", R"(argument "stdin" must be a string)"},
        BadExecArgs{R"(["echo"])", "must be a JSON object"}));

}  // namespace
}  // namespace jobq::worker
