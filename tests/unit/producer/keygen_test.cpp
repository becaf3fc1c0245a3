// `jobq keygen` files and the CLI's CURVE flags.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/curve_keys.h"
#include "producer/cli/global_flags.h"
#include "producer/cli/keygen_command.h"

namespace jobq::cli {
namespace {

using ::testing::HasSubstr;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class KeygenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            (std::string("jobq-keygen-test-") + std::to_string(::getpid())))
               .string();
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(KeygenTest, WritesTheKeyPrivateAndThePublicKeyApart) {
  const curve::KeyPair pair = *curve::GenerateKeyPair();
  absl::StatusOr<KeyFilePaths> paths = WriteKeyFiles(dir_, "worker1", pair, false);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_EQ(paths->key, dir_ + "/worker1.key");
  EXPECT_EQ(paths->pub, dir_ + "/worker1.pub");
  struct stat info {};
  ASSERT_EQ(::stat(paths->key.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  absl::StatusOr<curve::KeyPair> read = curve::LoadKeyFile(paths->key);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->secret_key, pair.secret_key);
  EXPECT_EQ(Slurp(paths->pub),
            std::string("public-key = \"") + curve::ToZ85(pair.public_key) + "\"\n");
  EXPECT_EQ(*curve::LoadPublicKeyFile(paths->pub), pair.public_key);
  // Concatenated .pub files make an allow-list.
  EXPECT_EQ(curve::ParseAllowList(Slurp(paths->pub) + Slurp(paths->pub), "a")->size(), 1u);
}

TEST_F(KeygenTest, RefusesToOverwriteWithoutForce) {
  const curve::KeyPair first = *curve::GenerateKeyPair();
  const curve::KeyPair second = *curve::GenerateKeyPair();
  ASSERT_TRUE(WriteKeyFiles(dir_, "b", first, false).ok());
  absl::StatusOr<KeyFilePaths> again = WriteKeyFiles(dir_, "b", second, false);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(absl::IsAlreadyExists(again.status()));
  EXPECT_THAT(again.status().message(), HasSubstr("--force"));
  EXPECT_EQ(curve::LoadKeyFile(dir_ + "/b.key")->secret_key, first.secret_key);

  ::chmod((dir_ + "/b.key").c_str(), 0644);
  ASSERT_TRUE(WriteKeyFiles(dir_, "b", second, true).ok());
  EXPECT_EQ(curve::LoadKeyFile(dir_ + "/b.key")->secret_key, second.secret_key);
  struct stat info {};
  ASSERT_EQ(::stat((dir_ + "/b.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u) << "--force makes the key private again";
}

TEST_F(KeygenTest, RefusesBadNamesAndDirectories) {
  const curve::KeyPair pair = *curve::GenerateKeyPair();
  for (const char* name : {"", "a/b", "..", ".", "-x", "a b"}) {
    absl::StatusOr<KeyFilePaths> paths = WriteKeyFiles(dir_, name, pair, false);
    ASSERT_FALSE(paths.ok()) << name;
    EXPECT_THAT(paths.status().message(), HasSubstr("plain file name")) << name;
  }
  absl::StatusOr<KeyFilePaths> paths = WriteKeyFiles(dir_ + "/missing", "a", pair, false);
  ASSERT_FALSE(paths.ok());
  EXPECT_THAT(paths.status().message(), HasSubstr("mkdir -p"));
}

TEST_F(KeygenTest, ClientFlagsLoadBothKeysOrSayWhichIsMissing) {
  const curve::KeyPair broker = *curve::GenerateKeyPair();
  const curve::KeyPair producer = *curve::GenerateKeyPair();
  ASSERT_TRUE(WriteKeyFiles(dir_, "broker", broker, false).ok());
  ASSERT_TRUE(WriteKeyFiles(dir_, "producer", producer, false).ok());

  GlobalFlags global;
  absl::StatusOr<ClientOptions> options = MakeClientOptions(global, "");
  ASSERT_TRUE(options.ok());
  EXPECT_TRUE(options->curve_server_key.empty());

  global.broker_key_file = dir_ + "/broker.pub";
  global.curve_key_file = dir_ + "/producer.key";
  options = MakeClientOptions(global, "");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->curve_server_key, broker.public_key);
  EXPECT_EQ(options->curve_public_key, producer.public_key);
  EXPECT_EQ(options->curve_secret_key, producer.secret_key);

  global.curve_key_file.clear();
  options = MakeClientOptions(global, "");
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr("--curve-key"));

  global.curve_key_file = dir_ + "/broker.pub";  // a .pub where the pair belongs
  options = MakeClientOptions(global, "");
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr("no secret-key line"));

  global.broker_key_file = dir_ + "/broker.key";  // the broker's secret, handed out by mistake
  global.curve_key_file = dir_ + "/producer.key";
  options = MakeClientOptions(global, "");
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr("holds a secret key"));
}

TEST(ClientCurveOptionsTest, AllThreeKeysOrNone) {
  ClientOptions options;
  options.curve_server_key = curve::ToZ85(curve::GenerateKeyPair()->public_key);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  ASSERT_FALSE(client.ok());
  EXPECT_THAT(client.status().message(), HasSubstr("all three, or none"));
  options.curve_public_key = "not a key";
  options.curve_secret_key = "not a key either";
  client = Client::Create(options);
  ASSERT_FALSE(client.ok());
  EXPECT_THAT(client.status().message(), HasSubstr("curve_public_key"));
}

}  // namespace
}  // namespace jobq::cli
