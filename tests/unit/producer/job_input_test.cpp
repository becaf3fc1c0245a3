#include "producer/cli/job_input.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace jobq::cli {
namespace {

std::string WriteFile(const std::string& name, const std::string& contents) {
  const std::string path = testing::TempDir() + name;
  std::ofstream(path) << contents;
  return path;
}

TEST(JobInputTest, SingleJobIsHandedOutOnce) {
  wire::JobSpec job;
  job.set_task("noop");
  JobInput input = JobInput::FromJob(job);
  EXPECT_EQ(input.total(), 1u);
  EXPECT_FALSE(input.has_lines());
  auto first = input.Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->task(), "noop");
  EXPECT_FALSE(input.PopLineOfAck().has_value());
  auto end = input.Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

TEST(JobInputTest, ValidFileIsCountedThenReadWithItsLineNumbers) {
  const std::string path =
      WriteFile("valid.jsonl", "{\"task\": \"a\"}\n\n{\"task\": \"b\"}\n{\"task\": \"c\"}\n");
  auto input = JobInput::OpenFile(path);
  ASSERT_TRUE(input.ok()) << input.status();
  EXPECT_EQ(input->total(), 3u);
  EXPECT_EQ(input->name(), path);
  for (const char* task : {"a", "b", "c"}) {
    auto job = input->Next();
    ASSERT_TRUE(job.ok() && job->has_value());
    EXPECT_EQ((*job)->task(), task);
  }
  EXPECT_FALSE(input->Next()->has_value());
  EXPECT_EQ(input->PopLineOfAck(), 1u);
  EXPECT_EQ(input->PopLineOfAck(), 3u);
  EXPECT_EQ(input->PopLineOfAck(), 4u);
  EXPECT_FALSE(input->PopLineOfAck().has_value());
}

TEST(JobInputTest, InvalidFileListsEveryBadLineAndSubmitsNothing) {
  const std::string path =
      WriteFile("invalid.jsonl", "{\"task\": \"a\"}\n{\"task\": 1}\n{\"task\": \"b\"}\n{}\n");
  auto input = JobInput::OpenFile(path);
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(input.status().message(), path + " line 2: field \"task\" must be a string, got 1\n" +
                                          path +
                                          " line 4: missing required field \"task\"\n"
                                          "nothing was submitted: fix the 2 lines above");
}

TEST(JobInputTest, EmptyFileHasNoJobs) {
  auto input = JobInput::OpenFile(WriteFile("empty.jsonl", "\n\n"));
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(input->total(), 0u);
}

TEST(JobInputTest, ADirectoryIsNamedAsOneNotBlamedOnTheDisk) {
  const std::string dir = testing::TempDir() + "jobs-dir";
  std::filesystem::create_directories(dir);
  auto input = JobInput::OpenFile(dir);
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(input.status().message().find(dir + " is a directory"), absl::string_view::npos)
      << input.status().message();
  EXPECT_EQ(input.status().message().find("disk full"), absl::string_view::npos);
}

TEST(JobInputTest, MissingFileIsNotFound) {
  auto input = JobInput::OpenFile(testing::TempDir() + "does-not-exist.jsonl");
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(input.status().message().find("cannot open"), absl::string_view::npos);
}

}  // namespace
}  // namespace jobq::cli
