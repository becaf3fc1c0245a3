#include <gtest/gtest.h>

#include "producer/cli/submit_command.h"

namespace jobq::cli {
namespace {

TEST(JobSpecFromFlagsTest, DefaultsGiveAJsonJobWithEmptyArgs) {
  SubmitFlags flags;
  flags.task = "noop";
  auto spec = JobSpecFromFlags(flags);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->task(), "noop");
  EXPECT_EQ(spec->payload(), "{}");
  EXPECT_EQ(spec->content_type(), "application/json");
  EXPECT_EQ(spec->kind(), wire::KIND_UNSPECIFIED);
  EXPECT_EQ(spec->timeout_ms(), 0);
  EXPECT_EQ(spec->max_attempts(), 0u);
  EXPECT_FALSE(spec->sentinel());
}

TEST(JobSpecFromFlagsTest, EveryFlagLandsInItsField) {
  SubmitFlags flags;
  flags.task = "sleep";
  flags.json = R"({"seconds": 1, "tag": "a"})";
  flags.args = {"seconds=2"};
  flags.queue = "media";
  flags.priority = 5;
  flags.kind = "cpu";
  flags.timeout_seconds = 2.5;
  flags.retries = 3;
  flags.key = "order-17";
  flags.sentinel = true;
  auto spec = JobSpecFromFlags(flags);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->payload(), R"({"seconds":2,"tag":"a"})");
  EXPECT_EQ(spec->queue(), "media");
  EXPECT_EQ(spec->priority(), 5);
  EXPECT_EQ(spec->kind(), wire::KIND_CPU);
  EXPECT_EQ(spec->timeout_ms(), 2500);
  EXPECT_EQ(spec->max_attempts(), 4u);
  EXPECT_EQ(spec->idempotency_key(), "order-17");
  EXPECT_TRUE(spec->sentinel());
}

TEST(JobSpecFromFlagsTest, ErrorsNameTheFlag) {
  SubmitFlags flags;
  flags.task = "x";
  flags.retries = -1;
  auto spec = JobSpecFromFlags(flags);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message().substr(0, 10), "--retries ");

  flags.retries.reset();
  flags.timeout_seconds = -2;
  spec = JobSpecFromFlags(flags);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message().substr(0, 10), "--timeout ");

  flags.timeout_seconds.reset();
  flags.backoff = "later";
  spec = JobSpecFromFlags(flags);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message().substr(0, 10), "--backoff ");

  flags.backoff = "1500ms";
  spec = JobSpecFromFlags(flags);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->backoff_ms(), 1500);

  flags.backoff.clear();
  flags.args = {"novalue"};
  spec = JobSpecFromFlags(flags);
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("'novalue' is not KEY=VALUE"), absl::string_view::npos);
}

TEST(JobSpecFromFlagsTest, AfterGivesTheJobItsParents) {
  SubmitFlags flags;
  flags.task = "store";
  flags.after = {"0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f", "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e90",
                 "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f"};
  auto spec = JobSpecFromFlags(flags);
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->after_size(), 2) << "the repeated id once";
  EXPECT_EQ(JobId::FromBytes(spec->after(1))->ToString(), "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e90");
  EXPECT_EQ(spec->on_parent_failure(), wire::PARENT_FAILURE_CANCEL);

  flags.on_parent_failure = "run";
  spec = JobSpecFromFlags(flags);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->on_parent_failure(), wire::PARENT_FAILURE_RUN);

  flags.after = {"not-an-id"};
  spec = JobSpecFromFlags(flags);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message().substr(0, 8), "--after:");

  flags.after.clear();
  spec = JobSpecFromFlags(flags);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(), "--on-parent-failure needs --after");
}

}  // namespace
}  // namespace jobq::cli
