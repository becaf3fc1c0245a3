#pragma once
// CannedHttpServer: a tiny HTTP server for the http_get tests, on
// 127.0.0.1 and a port the kernel picks. One thread accepts connections one
// at a time, reads each request's head, and answers every request with the
// same canned bytes — or, in hang mode, answers nothing and holds the
// connection until the server stops, to test timeouts and cancellation.
//
// Thread-safety: construct and destroy on the test thread; the counters
// may be read from any thread.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace jobq::worker::testing {

class CannedHttpServer {
 public:
  enum class Mode { kAnswer, kHang };

  explicit CannedHttpServer(std::string response, Mode mode = Mode::kAnswer)
      : response_(std::move(response)), mode_(mode) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ok_ = listen_fd_ >= 0 &&
          bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
          listen(listen_fd_, 8) == 0;
    socklen_t length = sizeof(address);
    ok_ = ok_ && getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    port_ = ntohs(address.sin_port);
    if (ok_) {
      thread_ = std::thread([this] { Serve(); });
    }
  }

  ~CannedHttpServer() {
    stopping_.store(true);
    if (thread_.joinable()) {
      thread_.join();
    }
    if (listen_fd_ >= 0) {
      close(listen_fd_);
    }
  }

  bool ok() const { return ok_; }
  std::string Url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // Requests whose head has arrived.
  int requests() const { return requests_.load(); }

 private:
  // Polls in short steps so that the destructor is noticed; this is the
  // server's pace, not something a test waits for.
  bool WaitReadable(int fd) {
    while (!stopping_.load()) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 10) > 0) {
        return true;
      }
    }
    return false;
  }

  void Serve() {
    while (WaitReadable(listen_fd_)) {
      const int connection = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) {
        continue;
      }
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos && WaitReadable(connection)) {
        const ssize_t n = read(connection, buffer, sizeof(buffer));
        if (n <= 0) {
          break;
        }
        request.append(buffer, static_cast<size_t>(n));
      }
      if (request.find("\r\n\r\n") != std::string::npos) {
        requests_.fetch_add(1);
        if (mode_ == Mode::kAnswer) {
          size_t sent = 0;
          while (sent < response_.size()) {
            const ssize_t n =
                send(connection, response_.data() + sent, response_.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) {
              break;
            }
            sent += static_cast<size_t>(n);
          }
        } else {
          // Hang: hold the connection, reading whatever comes, until the
          // client gives up or the server stops.
          while (WaitReadable(connection) && read(connection, buffer, sizeof(buffer)) > 0) {
          }
        }
      }
      close(connection);
    }
  }

  const std::string response_;
  const Mode mode_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  bool ok_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace jobq::worker::testing
