// Benchmark driver for beanstalkd: its text protocol over raw TCP, pipelined.
//
// Jobs go into the tube "jobs"; beanstalkd has no results, so a worker deletes
// each job it reserved and puts a result job into the tube "results", which the
// producer reserves and deletes.
//
//   beanstalk_bench worker  PORT K      worker until killed: reserves up to K jobs per
//                                       round trip (K x "reserve-with-timeout 0", or one
//                                       blocking reserve when none was ready), answers each
//                                       with "delete" + "put" into "results", pipelined
//   beanstalk_bench e2e     PORT N K    N puts into "jobs" (writer thread, pipelined) while
//                                       reserving+deleting N results (pipelined like the
//                                       worker); prints "<seconds>" first put -> last result
//   beanstalk_bench enqueue PORT N      N pipelined puts; prints "<seconds>" until the last
//                                       INSERTED
//   beanstalk_bench lat     PORT N      N times: put a job, reserve its result; prints
//                                       "<p50_us> <p99_us>"
//   beanstalk_bench count   PORT TUBE   prints "<ready> <reserved> <watching>": jobs of TUBE
//                                       ready and reserved, connections watching it
//
// Results go to stdout, diagnostics to stderr; exit 1 on any failure (an
// unexpected reply, a lost job, a timeout).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kPayload = "{}";
constexpr int kIoTimeoutS = 30;          // any single read or write that blocks this long fails
constexpr double kStallTimeoutS = 60.0;  // the e2e producer fails when no result came for this long
constexpr const char* kPut = "put 1024 0 120 2\r\n{}\r\n";  // pri 1024, no delay, TTR 120 s

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "beanstalk_bench: %s\n", what.c_str());
  std::exit(1);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One client connection with a buffered line reader.
class Conn {
 public:
  explicit Conn(in_port_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) {
      die("socket failed");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      die("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{kIoTimeoutS, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    buf_.resize(1 << 16);
  }
  ~Conn() { close(fd_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        die(std::string("send: ") + (n < 0 ? std::strerror(errno) : "closed"));
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // The next reply line, without its "\r\n"; valid until the next read.
  std::string_view line() {
    for (;;) {
      auto* start = buf_.data() + begin_;
      auto* nl = static_cast<char*>(std::memchr(start, '\n', end_ - begin_));
      if (nl != nullptr) {
        size_t len = static_cast<size_t>(nl - start);
        begin_ += len + 1;
        if (len == 0 || start[len - 1] != '\r') {
          die("reply line without CRLF");
        }
        return {start, len - 1};
      }
      fill();
    }
  }

  // Skips a job body of `bytes` bytes plus its "\r\n".
  void skip_body(size_t bytes) {
    size_t want = bytes + 2;
    while (end_ - begin_ < want) {
      want -= end_ - begin_;
      begin_ = end_;
      fill();
    }
    begin_ += want;
  }

  // Sends a command and checks that its one-line reply starts with `expect`.
  void command(const std::string& cmd, std::string_view expect) {
    send(cmd);
    std::string_view reply = line();
    if (reply.substr(0, expect.size()) != expect) {
      die("'" + cmd.substr(0, cmd.size() - 2) + "' answered '" + std::string(reply) + "'");
    }
  }

  std::string body(size_t bytes) {
    while (end_ - begin_ < bytes + 2) {
      fill();
    }
    std::string out(buf_.data() + begin_, bytes);
    begin_ += bytes + 2;
    return out;
  }

 private:
  void fill() {
    if (begin_ == end_) {
      begin_ = end_ = 0;
    } else if (begin_ > 0 && end_ == buf_.size()) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buf_.size()) {
      buf_.resize(buf_.size() * 2);
    }
    for (;;) {
      ssize_t n = recv(fd_, buf_.data() + end_, buf_.size() - end_, 0);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        die("read timed out");
      }
      if (n <= 0) {
        die(std::string("recv: ") + (n < 0 ? std::strerror(errno) : "connection closed"));
      }
      end_ += static_cast<size_t>(n);
      return;
    }
  }

  int fd_ = -1;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0;
};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

void expect_inserted(Conn& c) {
  std::string_view reply = c.line();
  if (!starts_with(reply, "INSERTED ")) {
    die("put answered '" + std::string(reply) + "'");
  }
}

// Batched reserve/act loop shared by workers and the e2e result reader.
// Each round trip sends the actions for the jobs of the previous round plus
// either up to K "reserve-with-timeout 0" (some jobs were ready last time:
// twice that many, at most K) or one "reserve-with-timeout 1" (none was). `act` appends the
// commands for one reserved job to `out` and returns how many replies they produce.
class Reserver {
 public:
  Reserver(Conn& conn, size_t batch) : conn_(conn), batch_(batch) {}

  // One round trip; returns the ids reserved (their actions go out next round).
  template <typename Act>
  size_t round(Act&& act) {
    std::string out = std::move(actions_);
    actions_.clear();
    size_t action_replies = pending_replies_;
    pending_replies_ = 0;
    // Ask for twice what was ready last time (at most K): a reserve that finds
    // nothing costs beanstalkd a TIMED_OUT reply, so do not ask blindly for K.
    size_t reserves = last_got_ > 0 ? std::min(batch_, 2 * last_got_) : 1;
    for (size_t i = 0; i < reserves; ++i) {
      out += last_got_ > 0 ? "reserve-with-timeout 0\r\n" : "reserve-with-timeout 1\r\n";
    }
    conn_.send(out);
    check_action_replies(action_replies);
    size_t got = 0;
    for (size_t i = 0; i < reserves; ++i) {
      std::string_view reply = conn_.line();
      unsigned long long id = 0;
      size_t bytes = 0;
      if (std::sscanf(std::string(reply).c_str(), "RESERVED %llu %zu", &id, &bytes) == 2) {
        conn_.skip_body(bytes);
        pending_replies_ += act(actions_, id);
        ++got;
      } else if (reply != "TIMED_OUT" && reply != "DEADLINE_SOON") {
        die("reserve answered '" + std::string(reply) + "'");
      }
    }
    last_got_ = got;
    return got;
  }

  // Sends the actions still pending and checks their replies.
  void flush() {
    if (actions_.empty()) {
      return;
    }
    conn_.send(actions_);
    actions_.clear();
    check_action_replies(pending_replies_);
    pending_replies_ = 0;
  }

 private:
  void check_action_replies(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      std::string_view reply = conn_.line();
      if (reply != "DELETED" && !starts_with(reply, "INSERTED ")) {
        die("delete/put answered '" + std::string(reply) + "'");
      }
    }
  }

  Conn& conn_;
  size_t batch_;
  std::string actions_;
  size_t pending_replies_ = 0;
  size_t last_got_ = 0;
};

void append_delete(std::string& out, unsigned long long id) {
  out += "delete ";
  out += std::to_string(id);
  out += "\r\n";
}

// ---- modes ----------------------------------------------------------------

int run_worker(in_port_t port, size_t batch) {
  Conn c(port);
  c.command("watch jobs\r\n", "WATCHING");
  c.command("ignore default\r\n", "WATCHING");
  c.command("use results\r\n", "USING");
  Reserver r(c, batch);
  for (;;) {
    r.round([](std::string& out, unsigned long long id) {
      append_delete(out, id);
      out += kPut;
      return size_t{2};
    });
    if (getppid() == 1) {
      return 0;  // orphaned: the bench script is gone
    }
  }
}

// Writes n pipelined puts (in chunks) to c; runs on its own thread.
void write_puts(Conn& c, long n) {
  constexpr long kChunk = 1024;
  std::string chunk;
  for (long i = 0; i < kChunk; ++i) {
    chunk += kPut;
  }
  const size_t put_len = std::strlen(kPut);
  for (long sent = 0; sent < n; sent += kChunk) {
    long k = std::min(kChunk, n - sent);
    c.send(std::string_view(chunk).substr(0, static_cast<size_t>(k) * put_len));
  }
}

int run_e2e(in_port_t port, long n, size_t batch) {
  Conn jobs(port), results(port);
  jobs.command("use jobs\r\n", "USING");
  results.command("watch results\r\n", "WATCHING");
  results.command("ignore default\r\n", "WATCHING");

  std::atomic<long> acked{0};
  auto start = Clock::now();
  std::thread writer([&] { write_puts(jobs, n); });
  std::thread acker([&] {
    for (long i = 0; i < n; ++i) {
      expect_inserted(jobs);
      acked.store(i + 1, std::memory_order_relaxed);
    }
  });

  long seen = 0;
  auto last_progress = Clock::now();
  Reserver r(results, batch);
  while (seen < n) {
    size_t got = r.round([](std::string& out, unsigned long long id) {
      append_delete(out, id);
      return size_t{1};
    });
    seen += static_cast<long>(got);
    if (got > 0) {
      last_progress = Clock::now();
    } else if (seconds_since(last_progress) > kStallTimeoutS) {
      die("no result for " + std::to_string(kStallTimeoutS) + " s; " + std::to_string(seen) +
          " of " + std::to_string(n) + " results, " + std::to_string(acked.load()) +
          " puts acknowledged");
    }
  }
  double elapsed = seconds_since(start);
  r.flush();
  writer.join();
  acker.join();
  if (seen != n || acked.load() != n) {
    die("saw " + std::to_string(seen) + " results for " + std::to_string(acked.load()) +
        " acknowledged of " + std::to_string(n) + " puts");
  }
  std::printf("%.6f\n", elapsed);
  return 0;
}

int run_enqueue(in_port_t port, long n) {
  Conn c(port);
  c.command("use jobs\r\n", "USING");
  auto start = Clock::now();
  std::thread writer([&] { write_puts(c, n); });
  for (long i = 0; i < n; ++i) {
    expect_inserted(c);
  }
  double elapsed = seconds_since(start);
  writer.join();
  std::printf("%.6f\n", elapsed);
  return 0;
}

int run_latency(in_port_t port, long n) {
  Conn jobs(port), results(port);
  jobs.command("use jobs\r\n", "USING");
  results.command("watch results\r\n", "WATCHING");
  results.command("ignore default\r\n", "WATCHING");
  std::vector<double> us;
  us.reserve(static_cast<size_t>(n));
  for (long i = 0; i < n; ++i) {
    auto start = Clock::now();
    jobs.send(kPut);
    results.send("reserve-with-timeout 10\r\n");
    expect_inserted(jobs);
    std::string_view reply = results.line();
    unsigned long long id = 0;
    size_t bytes = 0;
    if (std::sscanf(std::string(reply).c_str(), "RESERVED %llu %zu", &id, &bytes) != 2) {
      die("reserve of a result answered '" + std::string(reply) + "'");
    }
    results.skip_body(bytes);
    us.push_back(seconds_since(start) * 1e6);
    std::string del;
    append_delete(del, id);
    results.command(del, "DELETED");
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    return us[std::min(us.size() - 1, static_cast<size_t>(p * static_cast<double>(us.size())))];
  };
  std::printf("%.1f %.1f\n", pct(0.50), pct(0.99));
  return 0;
}

int run_count(in_port_t port, const std::string& tube) {
  Conn c(port);
  c.send("stats-tube " + tube + "\r\n");
  std::string_view reply = c.line();
  if (reply == "NOT_FOUND") {
    std::printf("0 0 0\n");
    return 0;
  }
  size_t bytes = 0;
  if (std::sscanf(std::string(reply).c_str(), "OK %zu", &bytes) != 1) {
    die("stats-tube answered '" + std::string(reply) + "'");
  }
  std::string yaml = c.body(bytes);
  auto field = [&](const std::string& name) {
    size_t at = yaml.find("\n" + name + ": ");
    if (at == std::string::npos) {
      die("stats-tube lacks " + name);
    }
    return std::atol(yaml.c_str() + at + name.size() + 3);
  };
  std::printf("%ld %ld %ld\n", field("current-jobs-ready"), field("current-jobs-reserved"),
              field("current-watching"));
  return 0;
}

[[noreturn]] void usage() {
  die("usage: beanstalk_bench worker PORT K | e2e PORT N K | enqueue PORT N | lat PORT N | count "
      "PORT TUBE");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    usage();
  }
  std::string mode = argv[1];
  auto port = static_cast<in_port_t>(std::atoi(argv[2]));
  if (mode == "count") {
    return run_count(port, argv[3]);
  }
  long n = std::atol(argv[3]);
  if (n <= 0) {
    usage();
  }
  if (mode == "worker") {
    return run_worker(port, static_cast<size_t>(n));
  }
  if (mode == "enqueue") {
    return run_enqueue(port, n);
  }
  if (mode == "lat") {
    return run_latency(port, n);
  }
  if (mode == "e2e") {
    if (argc < 5 || std::atoi(argv[4]) <= 0) {
      usage();
    }
    return run_e2e(port, n, static_cast<size_t>(std::atoi(argv[4])));
  }
  usage();
}
