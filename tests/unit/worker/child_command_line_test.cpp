#include "worker/child/child_command_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace jobq::worker::child {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ChildParse Parse(std::vector<std::string> args, ChildOptions* options) {
  args.insert(args.begin(), "jobq-worker");
  std::vector<const char*> argv;
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  return ParseChildCommandLine(static_cast<int>(argv.size()), argv.data(), options);
}

TEST(ChildCommandLineTest, WhatTheParentBuildsTheChildParses) {
  ChildOptions sent{LogLevel::kDebug, {"/opt/a.so", "b.so"}};
  const std::vector<std::string> args = ChildArguments(sent);
  EXPECT_EQ(args.front(), "--child");
  ChildOptions received;
  ChildParse parse = Parse(args, &received);
  ASSERT_TRUE(parse.ok) << parse.error;
  EXPECT_EQ(received.log_level, LogLevel::kDebug);
  EXPECT_THAT(received.plugins, ElementsAre("/opt/a.so", "b.so"));
}

TEST(ChildCommandLineTest, OnlyAFirstChildFlagMeansChildMode) {
  const char* child[] = {"jobq-worker", "--child"};
  const char* worker[] = {"jobq-worker", "--io-threads", "2", "--child"};
  const char* bare[] = {"jobq-worker"};
  EXPECT_TRUE(IsChildCommandLine(2, child));
  EXPECT_FALSE(IsChildCommandLine(4, worker));
  EXPECT_FALSE(IsChildCommandLine(1, bare));
}

TEST(ChildCommandLineTest, RefusesWhatItDoesNotKnow) {
  ChildOptions options;
  EXPECT_THAT(Parse({"--child", "--plugin"}, &options).error, HasSubstr("needs a value"));
  EXPECT_THAT(Parse({"--child", "--log-level", "loud"}, &options).error,
              HasSubstr("not a log level"));
  EXPECT_THAT(Parse({"--child", "--broker", "x"}, &options).error, HasSubstr("unknown"));
  EXPECT_THAT(Parse({"--child", "--plugin", ""}, &options).error, HasSubstr("needs a path"));
}

}  // namespace
}  // namespace jobq::worker::child
