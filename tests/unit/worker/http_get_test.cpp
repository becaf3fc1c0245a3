// http_get against a canned server on loopback: statuses, byte counts,
// refused connections, bad URLs, timeouts and cancellation. No other network.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <future>

#include "tests/support/wait_for.h"
#include "tests/unit/worker/canned_http_server.h"
#include "tests/unit/worker/task_test_support.h"

namespace jobq::worker {
namespace {

using ::jobq::testing::IsReadyBy;
using ::jobq::testing::WaitFor;
using testing::BuiltinTaskTest;
using testing::CannedHttpServer;
using ::testing::HasSubstr;

constexpr char kHello[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"
    "Connection: close\r\n\r\nhello world";
constexpr char kNotFound[] =
    "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found";

class HttpGetTest : public BuiltinTaskTest {
 protected:
  static void SetUpTestSuite() {
    // A proxy from the environment must not stand between the test and
    // its loopback server.
    setenv("no_proxy", "127.0.0.1", 1);
    setenv("NO_PROXY", "127.0.0.1", 1);
  }

  static std::string Args(const std::string& url) { return nlohmann::json{{"url", url}}.dump(); }
};

TEST_F(HttpGetTest, IsAnIoTask) { EXPECT_EQ(registry_.Find("http_get")->kind, TaskKind::kIo); }

TEST_F(HttpGetTest, CountsTheBodyOfA200) {
  CannedHttpServer server(kHello);
  ASSERT_TRUE(server.ok());
  const std::string url = server.Url("/greeting");
  nlohmann::json value = Value(Run("http_get", Args(url)));
  EXPECT_EQ(value["status"], 200);
  EXPECT_EQ(value["bytes"], 11);
  EXPECT_EQ(value["url"], url);
  EXPECT_TRUE(value["elapsed_ms"].is_number_integer());
  EXPECT_GE(value["elapsed_ms"].get<int64_t>(), 0);
}

TEST_F(HttpGetTest, A404IsASuccessWithThatStatus) {
  CannedHttpServer server(kNotFound);
  ASSERT_TRUE(server.ok());
  nlohmann::json value = Value(Run("http_get", Args(server.Url("/missing"))));
  EXPECT_EQ(value["status"], 404);
  EXPECT_EQ(value["bytes"], 9);
}

TEST_F(HttpGetTest, ARefusedConnectionIsHttpErrorWithCurlsMessage) {
  // A socket bound but not listening: the port is ours, and connecting to
  // it is refused.
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/";
  wire::JobResult result = Run("http_get", Args(url));
  close(fd);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "http_error");
  EXPECT_THAT(result.error().message(), HasSubstr("http_get: GET " + url + " failed: "));
  EXPECT_THAT(result.error().message(),
              HasSubstr("onnect"));  // "Couldn't connect", "Failed to connect"
}

TEST_F(HttpGetTest, TimeoutArgumentEndsAHangingFetch) {
  CannedHttpServer server("", CannedHttpServer::Mode::kHang);
  ASSERT_TRUE(server.ok());
  wire::JobResult result =
      Run("http_get", nlohmann::json{{"url", server.Url()}, {"timeout", 0.2}}.dump());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "timeout");
  EXPECT_THAT(result.error().message(), HasSubstr("its timeout of 0.2 s"));
}

TEST_F(HttpGetTest, TheJobDeadlineAlsoEndsIt) {
  CannedHttpServer server("", CannedHttpServer::Mode::kHang);
  ASSERT_TRUE(server.ok());
  wire::JobResult result = Run("http_get", Args(server.Url()), /*timeout_ms=*/200);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "timeout");
  EXPECT_THAT(result.error().message(), HasSubstr("the job's deadline"));
}

TEST_F(HttpGetTest, CancellationEndsAHangingFetch) {
  CannedHttpServer server("", CannedHttpServer::Mode::kHang);
  ASSERT_TRUE(server.ok());
  CancellationToken token;
  auto running = std::async(std::launch::async, [&] {
    return RunJob(registry_, testing::MakeJob("http_get", Args(server.Url())), token);
  });
  ASSERT_TRUE(WaitFor([&] { return server.requests() == 1; }));
  token.Cancel();
  ASSERT_TRUE(IsReadyBy(running));
  wire::JobResult result = running.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "cancelled");
}

struct BadHttpArgs {
  const char* payload;
  const char* message_part;
};

class HttpGetBadArgsTest : public HttpGetTest, public ::testing::WithParamInterface<BadHttpArgs> {};

TEST_P(HttpGetBadArgsTest, IsBadArgs) {
  wire::JobResult result = Run("http_get", std::string(GetParam().payload));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_args");
  EXPECT_THAT(result.error().message(), HasSubstr(GetParam().message_part));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HttpGetBadArgsTest,
    ::testing::Values(
        BadHttpArgs{"{}", R"(http_get: argument "url" is required)"},
        BadHttpArgs{R"({"url": 5})", R"(argument "url" must be a string, got 5)"},
        BadHttpArgs{
            R"({"url": "ftp://127.0.0.1/file"})",
            R"(argument "url" must be an http:// or https:// URL, got "ftp://127.0.0.1/file")"},
        BadHttpArgs{R"({"url": "file:///etc/passwd"})", R"(got "file:///etc/passwd")"},
        BadHttpArgs{R"({"url": "not a url"})", R"(got "not a url")"},
        BadHttpArgs{R"({"url": "http://127.0.0.1/", "timeout": -1})",
                    R"(argument "timeout" must be a number > 0)"},
        BadHttpArgs{R"({"url": "http://127.0.0.1/", "timeout": "5"})", R"(got "5")"},
        BadHttpArgs{R"("http://127.0.0.1/")", "must be a JSON object"}));

}  // namespace
}  // namespace jobq::worker
