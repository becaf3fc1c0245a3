// jobq-bench-relay: the ceiling that jobq's own figures are read against.
//
// A bare ZeroMQ relay with the four hops a job takes (client -> broker ->
// worker -> broker -> client) in three processes on loopback TCP, one job per
// message and no batching, so it costs what the transport costs and nothing
// else: no protobuf, no store, no queue logic. Prints FIGURE lines that
// bench/run parses; asserts nothing about them.
//
// Process layout: the parent only supervises. It never creates a ZeroMQ
// context, so forking it is safe; each child creates its own.
//
//   parent --fork--> broker  (ROUTER frontend + ROUTER backend, ephemeral ports,
//                             endpoints written back to the parent over a pipe)
//          --fork--> worker  (DEALER to backend, echoes every message)
//          --fork--> client  (DEALER to frontend, measures, writes its figures
//                             to the parent over a pipe)

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>
#include <zmq.hpp>

namespace jobq::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kProgram[] = "jobq-bench-relay";
// Like a small job: an 8-byte sequence number, a 16-byte job id, 8 spare bytes.
constexpr size_t kBodyBytes = 32;
constexpr int64_t kWarmupMessages = 1000;
constexpr std::chrono::seconds kDeadline{120};
// Bounds how long one socket can be drained before the other gets a turn.
constexpr int kDrainMax = 256;
constexpr char kReady[] = "READY";

struct Options {
  int64_t messages = 200000;
  int64_t window = 1000;
  int64_t latency_round_trips = 2000;
};

constexpr char kUsage[] =
    "usage: jobq-bench-relay [--messages N] [--window W] [--latency-round-trips M]\n"
    "\n"
    "Bare ZeroMQ relay (client -> broker -> worker -> broker -> client), three\n"
    "processes on loopback TCP, one 32-byte job per message: the ceiling for jobq.\n"
    "\n"
    "  --messages N             pipelined messages for throughput (default 200000)\n"
    "  --window W               most messages in flight at once (default 1000)\n"
    "  --latency-round-trips M  one-at-a-time round trips for latency (default 2000)\n"
    "  --help                   print this text\n"
    "\n"
    "Prints FIGURE relay <name> <value> lines; exits non-zero on failure or after 120 s.\n";

// Result of ParseArgs: options to run with, or an exit code to return at once.
struct ParsedArgs {
  Options options;
  std::optional<int> exit_code;
};

std::optional<int64_t> ParsePositive(std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < 1 || value > 1'000'000'000) {
    return std::nullopt;
  }
  return value;
}

ParsedArgs ParseArgs(int argc, char** argv) {
  ParsedArgs parsed;
  struct Flag {
    std::string_view name;
    int64_t* value;
  };
  const Flag flags[] = {
      {"--messages", &parsed.options.messages},
      {"--window", &parsed.options.window},
      {"--latency-round-trips", &parsed.options.latency_round_trips},
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      parsed.exit_code = 0;
      return parsed;
    }
    // Accept both "--flag value" and "--flag=value".
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const Flag* flag = nullptr;
    for (const Flag& candidate : flags) {
      if (candidate.name == name) {
        flag = &candidate;
      }
    }
    if (flag == nullptr) {
      std::fprintf(stderr, "%s: unknown argument '%s'\n%s", kProgram, argv[i], kUsage);
      parsed.exit_code = 2;
      return parsed;
    }
    if (!value) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s: %s needs a value\n", kProgram, argv[i]);
        parsed.exit_code = 2;
        return parsed;
      }
      value = argv[++i];
    }
    std::optional<int64_t> number = ParsePositive(*value);
    if (!number) {
      std::fprintf(stderr, "%s: %.*s wants an integer from 1 to 1000000000, got '%.*s'\n", kProgram,
                   static_cast<int>(name.size()), name.data(), static_cast<int>(value->size()),
                   value->data());
      parsed.exit_code = 2;
      return parsed;
    }
    *flag->value = *number;
  }
  return parsed;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Unlimited high water marks: the window bounds what is in flight, and a
// limit here would block or drop (ROUTER drops) instead of measuring.
void SetUnlimitedHwm(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::sndhwm, 0);
  socket.set(zmq::sockopt::rcvhwm, 0);
  socket.set(zmq::sockopt::linger, 0);
}

// ---------------------------------------------------------------- broker

// Routes client messages to the one worker and the worker's echoes back to
// the client whose routing id the worker carries back as the first frame,
// the way a real broker must remember who asked.
int RunBroker(int endpoints_fd) {
  zmq::context_t context(1);
  zmq::socket_t frontend(context, zmq::socket_type::router);
  zmq::socket_t backend(context, zmq::socket_type::router);
  SetUnlimitedHwm(frontend);
  SetUnlimitedHwm(backend);
  frontend.bind("tcp://127.0.0.1:*");
  backend.bind("tcp://127.0.0.1:*");
  std::string endpoints = frontend.get(zmq::sockopt::last_endpoint) + "\n" +
                          backend.get(zmq::sockopt::last_endpoint) + "\n";
  if (!WriteAll(endpoints_fd, endpoints)) {
    throw std::runtime_error("cannot write endpoints to the parent");
  }
  close(endpoints_fd);

  // Frontend is not read until the worker has said who it is, so early client
  // messages wait in ZeroMQ's queue instead of having nowhere to go.
  zmq::message_t worker_id;
  zmq::message_t frame;
  while (true) {
    (void)backend.recv(worker_id, zmq::recv_flags::none);
    if (!worker_id.more()) {
      continue;
    }
    (void)backend.recv(frame, zmq::recv_flags::none);
    if (!frame.more() && frame.to_string_view() == kReady) {
      break;
    }
    while (frame.more()) {
      (void)backend.recv(frame, zmq::recv_flags::none);
    }
  }

  zmq::message_t route;  // Routing id of one hop: a worker's on the way back.
  zmq::message_t client_id;
  zmq::message_t body;
  zmq::message_t worker_route;
  zmq::pollitem_t items[] = {
      {frontend.handle(), 0, ZMQ_POLLIN, 0},
      {backend.handle(), 0, ZMQ_POLLIN, 0},
  };
  while (true) {
    zmq::poll(items, 2, std::chrono::milliseconds(-1));
    // Drain each ready socket rather than taking one message per poll: the
    // poll is the expensive part, and each message still travels alone.
    if (items[0].revents & ZMQ_POLLIN) {
      for (int i = 0; i < kDrainMax; ++i) {
        if (!frontend.recv(client_id, zmq::recv_flags::dontwait)) {
          break;
        }
        // Parts of one message arrive together, so these never wait.
        if (!client_id.more()) {
          continue;  // No body: not a client message.
        }
        (void)frontend.recv(body, zmq::recv_flags::none);
        if (body.more()) {
          while (body.more()) {
            (void)frontend.recv(body, zmq::recv_flags::none);
          }
          continue;  // More than one body frame: not ours, drop it.
        }
        worker_route.copy(worker_id);
        backend.send(worker_route, zmq::send_flags::sndmore);
        backend.send(client_id, zmq::send_flags::sndmore);
        backend.send(body, zmq::send_flags::none);
      }
    }
    if (items[1].revents & ZMQ_POLLIN) {
      for (int i = 0; i < kDrainMax; ++i) {
        if (!backend.recv(route, zmq::recv_flags::dontwait)) {
          break;
        }
        if (!route.more()) {
          continue;
        }
        (void)backend.recv(client_id, zmq::recv_flags::none);
        if (!client_id.more()) {
          continue;
        }
        (void)backend.recv(body, zmq::recv_flags::none);
        if (body.more()) {
          while (body.more()) {
            (void)backend.recv(body, zmq::recv_flags::none);
          }
          continue;
        }
        frontend.send(client_id, zmq::send_flags::sndmore);
        frontend.send(body, zmq::send_flags::none);
      }
    }
  }
}

// ---------------------------------------------------------------- worker

int RunWorker(const std::string& backend_endpoint) {
  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  SetUnlimitedHwm(socket);
  socket.connect(backend_endpoint);
  socket.send(zmq::buffer(std::string_view(kReady)), zmq::send_flags::none);
  zmq::message_t client_id;
  zmq::message_t body;
  while (true) {
    (void)socket.recv(client_id, zmq::recv_flags::none);
    if (!client_id.more()) {
      continue;
    }
    (void)socket.recv(body, zmq::recv_flags::none);
    socket.send(client_id, zmq::send_flags::sndmore);
    socket.send(body, zmq::send_flags::none);
  }
}

// ---------------------------------------------------------------- client

class Client {
 public:
  explicit Client(const std::string& frontend_endpoint)
      : context_(1), socket_(context_, zmq::socket_type::dealer) {
    SetUnlimitedHwm(socket_);
    socket_.connect(frontend_endpoint);
    // A fixed job id; only the sequence number changes between messages.
    for (size_t i = 0; i < 16; ++i) {
      body_[8 + i] = static_cast<unsigned char>(0xa0 + i);
    }
  }

  // Sends `count` messages with at most `window` unanswered; returns the time
  // from the first send to the last reply.
  Clock::duration Pipelined(int64_t count, int64_t window) {
    int64_t sent = 0;
    int64_t received = 0;
    Clock::time_point start = Clock::now();
    while (received < count) {
      while (sent < count && sent - received < window) {
        Send();
        ++sent;
      }
      // Wait for one reply, then take whatever else has already arrived so
      // the window refills in bursts instead of one message per wake-up.
      Receive(zmq::recv_flags::none);
      ++received;
      while (received < sent && Receive(zmq::recv_flags::dontwait)) {
        ++received;
      }
    }
    return Clock::now() - start;
  }

  // One message at a time; returns each round trip in microseconds.
  std::vector<double> RoundTrips(int64_t count) {
    std::vector<double> micros;
    micros.reserve(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      Clock::time_point start = Clock::now();
      Send();
      Receive(zmq::recv_flags::none);
      micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
    return micros;
  }

 private:
  void Send() {
    std::memcpy(body_, &next_send_, sizeof(next_send_));
    ++next_send_;
    // Small enough for libzmq to keep inline: no allocation per message.
    zmq::message_t message(body_, kBodyBytes);
    socket_.send(message, zmq::send_flags::none);
  }

  // Returns false only for dontwait with nothing to read. One worker on one
  // path keeps order, so any reply out of sequence means the relay is broken.
  bool Receive(zmq::recv_flags flags) {
    if (!socket_.recv(reply_, flags)) {
      return false;
    }
    uint64_t seq = 0;
    if (reply_.size() != kBodyBytes || reply_.more()) {
      throw std::runtime_error("reply of unexpected shape");
    }
    std::memcpy(&seq, reply_.data(), sizeof(seq));
    if (seq != next_reply_) {
      throw std::runtime_error("reply " + std::to_string(seq) + " out of order, expected " +
                               std::to_string(next_reply_));
    }
    ++next_reply_;
    return true;
  }

  zmq::context_t context_;
  zmq::socket_t socket_;
  zmq::message_t reply_;
  unsigned char body_[kBodyBytes] = {};
  uint64_t next_send_ = 0;
  uint64_t next_reply_ = 0;
};

// Nearest-rank percentile of sorted values.
double Percentile(const std::vector<double>& sorted, double p) {
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

int RunClient(const std::string& frontend_endpoint, const Options& options, int result_fd) {
  Client client(frontend_endpoint);
  client.Pipelined(kWarmupMessages, std::min<int64_t>(options.window, kWarmupMessages));
  Clock::duration elapsed = client.Pipelined(options.messages, options.window);
  std::vector<double> micros = client.RoundTrips(options.latency_round_trips);

  double seconds = std::chrono::duration<double>(elapsed).count();
  std::sort(micros.begin(), micros.end());
  double sum = 0;
  for (double m : micros) {
    sum += m;
  }
  char text[512];
  std::snprintf(text, sizeof(text),
                "FIGURE relay throughput_msgs_per_s %.0f\n"
                "FIGURE relay lat_p50_us %.1f\n"
                "FIGURE relay lat_p99_us %.1f\n"
                "FIGURE relay lat_mean_us %.1f\n",
                static_cast<double>(options.messages) / seconds, Percentile(micros, 50),
                Percentile(micros, 99), sum / static_cast<double>(micros.size()));
  if (!WriteAll(result_fd, text)) {
    throw std::runtime_error("cannot write figures to the parent");
  }
  return 0;
}

// ---------------------------------------------------------------- parent

// Forks a child that runs `role`. The child dies with the parent (so a killed
// benchmark leaves nothing behind) and never returns into the parent's code.
pid_t Spawn(const char* name, const std::function<int()>& role) {
  pid_t parent = getpid();
  std::fflush(nullptr);  // Or buffered output would be written twice.
  pid_t pid = fork();
  if (pid < 0) {
    std::fprintf(stderr, "%s: fork %s: %s\n", kProgram, name, std::strerror(errno));
    return -1;
  }
  if (pid > 0) {
    return pid;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) {
    _exit(1);  // The parent died before prctl took effect.
  }
  int code = 1;
  try {
    code = role();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s: %s\n", kProgram, name, e.what());
  }
  std::fflush(nullptr);
  _exit(code);
}

struct Child {
  const char* name;
  pid_t pid;
  bool reaped = false;
  int status = 0;
};

// Reaps the child if it has exited; returns whether it has.
bool Poll(Child& child) {
  if (!child.reaped && waitpid(child.pid, &child.status, WNOHANG) == child.pid) {
    child.reaped = true;
  }
  return child.reaped;
}

std::string Describe(const Child& child) {
  if (WIFEXITED(child.status)) {
    return std::string(child.name) + " exited with " + std::to_string(WEXITSTATUS(child.status));
  }
  if (WIFSIGNALED(child.status)) {
    return std::string(child.name) + " killed by signal " + std::to_string(WTERMSIG(child.status));
  }
  return std::string(child.name) + " stopped";
}

// Ends every child still running (broker and worker serve forever) and reaps it.
void StopAll(std::vector<Child>& children) {
  for (Child& child : children) {
    if (!Poll(child)) {
      kill(child.pid, SIGKILL);
      waitpid(child.pid, &child.status, 0);
      child.reaped = true;
    }
  }
}

// Reads from `fd` until EOF or `deadline`, while watching `children`: returns
// false (with a message) if the deadline passes or a child other than
// `allowed_to_exit` ends first.
bool ReadUntilEof(int fd, Clock::time_point deadline, std::vector<Child>& children,
                  const Child* allowed_to_exit, std::string* out, const char* what) {
  char buffer[4096];
  while (true) {
    for (Child& child : children) {
      if (&child != allowed_to_exit && Poll(child)) {
        std::fprintf(stderr, "%s: %s while waiting for %s\n", kProgram, Describe(child).c_str(),
                     what);
        return false;
      }
    }
    Clock::time_point now = Clock::now();
    if (now >= deadline) {
      std::fprintf(stderr, "%s: gave up waiting for %s after %lld s\n", kProgram, what,
                   static_cast<long long>(kDeadline.count()));
      return false;
    }
    // Short waits so an early child exit is noticed promptly.
    auto wait = std::min<Clock::duration>(deadline - now, std::chrono::milliseconds(100));
    pollfd item = {fd, POLLIN, 0};
    int ready = ::poll(
        &item, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count()));
    if (ready < 0 && errno != EINTR) {
      std::fprintf(stderr, "%s: poll: %s\n", kProgram, std::strerror(errno));
      return false;
    }
    if (ready <= 0) {
      continue;
    }
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      std::fprintf(stderr, "%s: read: %s\n", kProgram, std::strerror(errno));
      return false;
    }
    if (n == 0) {
      return true;
    }
    out->append(buffer, static_cast<size_t>(n));
  }
}

int Run(const Options& options) {
  Clock::time_point deadline = Clock::now() + kDeadline;
  std::vector<Child> children;
  children.reserve(3);  // Pointers into it are held below.

  int endpoints_pipe[2];
  if (pipe(endpoints_pipe) != 0) {
    std::fprintf(stderr, "%s: pipe: %s\n", kProgram, std::strerror(errno));
    return 1;
  }
  pid_t broker = Spawn("broker", [&] {
    close(endpoints_pipe[0]);
    return RunBroker(endpoints_pipe[1]);
  });
  close(endpoints_pipe[1]);
  if (broker < 0) {
    close(endpoints_pipe[0]);
    return 1;
  }
  children.push_back({"broker", broker});
  std::string endpoints;
  bool ok = ReadUntilEof(endpoints_pipe[0], deadline, children, nullptr, &endpoints,
                         "the broker's endpoints");
  close(endpoints_pipe[0]);
  std::string frontend;
  std::string backend;
  std::istringstream lines(endpoints);
  if (ok && !(std::getline(lines, frontend) && std::getline(lines, backend))) {
    std::fprintf(stderr, "%s: broker sent no endpoints\n", kProgram);
    ok = false;
  }
  if (!ok) {
    StopAll(children);
    return 1;
  }

  pid_t worker = Spawn("worker", [&] { return RunWorker(backend); });
  if (worker < 0) {
    StopAll(children);
    return 1;
  }
  children.push_back({"worker", worker});

  int result_pipe[2];
  if (pipe(result_pipe) != 0) {
    std::fprintf(stderr, "%s: pipe: %s\n", kProgram, std::strerror(errno));
    StopAll(children);
    return 1;
  }
  pid_t client = Spawn("client", [&] {
    close(result_pipe[0]);
    return RunClient(frontend, options, result_pipe[1]);
  });
  close(result_pipe[1]);
  if (client < 0) {
    close(result_pipe[0]);
    StopAll(children);
    return 1;
  }
  children.push_back({"client", client});
  Child& client_child = children.back();

  std::string figures;
  ok = ReadUntilEof(result_pipe[0], deadline, children, &client_child, &figures,
                    "the client's figures");
  close(result_pipe[0]);
  if (ok) {
    // EOF means the client is exiting: wait for its status, not for the deadline.
    waitpid(client_child.pid, &client_child.status, 0);
    client_child.reaped = true;
    if (!WIFEXITED(client_child.status) || WEXITSTATUS(client_child.status) != 0) {
      std::fprintf(stderr, "%s: %s\n", kProgram, Describe(client_child).c_str());
      ok = false;
    }
  }
  StopAll(children);
  if (!ok) {
    return 1;
  }
  std::printf(
      "NOTE relay bare ZeroMQ %d.%d.%d relay, 3 processes (client DEALER -> broker ROUTER/ROUTER "
      "-> worker DEALER echo) on loopback TCP, %zu-byte body, one job per message, "
      "%lld messages window %lld, %lld one-at-a-time round trips, %lld warm-up\n",
      std::get<0>(zmq::version()), std::get<1>(zmq::version()), std::get<2>(zmq::version()),
      kBodyBytes, static_cast<long long>(options.messages), static_cast<long long>(options.window),
      static_cast<long long>(options.latency_round_trips), static_cast<long long>(kWarmupMessages));
  std::fputs(figures.c_str(), stdout);
  return 0;
}

}  // namespace
}  // namespace jobq::bench

int main(int argc, char** argv) {
  jobq::bench::ParsedArgs parsed = jobq::bench::ParseArgs(argc, argv);
  if (parsed.exit_code) {
    return *parsed.exit_code;
  }
  return jobq::bench::Run(parsed.options);
}
