#pragma once
// HTTP for the dashboard's integration tests: whole requests with libcurl
// (any method, headers, body, TLS with a given CA), and a raw TCP
// connection for what curl will not do on purpose: send half a request,
// hold an event stream open without reading it.

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace jobq::testing {

struct HttpCallOptions {
  std::string method = "GET";
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::string ca_file;  // for https://: trust this certificate
};

struct HttpResult {
  long code = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // by lower-case name, the last value
  std::vector<std::string> set_cookies;
  std::string error;  // set when no answer came
};

// One request to `url` (loopback, whatever the proxy settings say), giving
// up after 20 s.
HttpResult HttpCall(const std::string& url, const HttpCallOptions& options = {});

// A plain TCP connection to "HOST:PORT".
class RawConnection {
 public:
  // `receive_buffer_bytes` > 0 sets SO_RCVBUF before connecting.
  explicit RawConnection(const std::string& host_port, int receive_buffer_bytes = 0);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool Send(const std::string& bytes);
  // Reads until `needle` has appeared in what was read `count` times, the
  // peer closes, or `timeout`; returns everything read so far.
  std::string ReadUntil(const std::string& needle, int count, std::chrono::milliseconds timeout);
  // Waits until the peer closes the connection (reading and dropping what
  // comes); false on timeout.
  bool WaitClosed(std::chrono::milliseconds timeout);

 private:
  enum class ReadOutcome { kRead, kClosed, kTimedOut };
  // One wait for bytes until `deadline`, appending what comes to read_.
  ReadOutcome ReadSome(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string read_;
};

}  // namespace jobq::testing
