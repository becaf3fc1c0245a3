// jobq-bench-idle-workers: many idle workers in one process, so that
// bench/jobq/run.sh can measure what a broker spends on workers that only
// keep their sessions alive (a real jobq-worker per session would need a
// thousand processes and their pools on a 2-core machine).
//
//   jobq-bench-idle-workers --broker EP [--workers N] [--name PREFIX]
//
// Each session is a DEALER socket that speaks the worker dialogue of
// docs/protocol.md as jobq-worker does (HELLO, then a HEARTBEAT every
// interval the WELCOME names, HELLO again on RECONNECT) but registers an I/O
// pool of capacity 0: the broker can never hand it a job, so an idle
// session stays idle whatever is queued. Runs until SIGTERM or SIGINT, then
// says BYE on every session so that the broker forgets them at once.
// Progress goes to stderr ("N of M sessions welcomed").
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "bench/jobq/flag_parsing.h"
#include "common/framing.h"
#include "common/transport/zmq_messages.h"
#include "jobq/wire.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

// What the protocol says a worker uses until WELCOME says otherwise.
constexpr int64_t kDefaultHeartbeatMs = 1000;
// How long to wait before sending HELLO again when no WELCOME came: a
// thousand connects at once can outrun the broker's accept queue.
constexpr int64_t kHelloResendMs = 2000;
// The loop wakes at least this often to notice a stop signal.
constexpr int64_t kMaxPollMs = 100;
constexpr int kMaxWorkers = 10'000;
constexpr jobq::bench::Usage kUsage = {
    "jobq-bench-idle-workers",
    "usage: jobq-bench-idle-workers --broker ENDPOINT [--workers N] [--name PREFIX]\n"};

volatile std::sig_atomic_t stop_requested = 0;

void OnStopSignal(int) { stop_requested = 1; }

struct Flags {
  std::string broker = "tcp://127.0.0.1:5556";
  std::string name = "idle";
  int workers = 1000;
};

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  jobq::bench::ParseFlagPairs(argc, argv, kUsage,
                              {{"--broker", jobq::bench::Text(&flags.broker)},
                               {"--name", jobq::bench::Text(&flags.name)},
                               {"--workers", [&](const std::string& value) {
                                  if (!jobq::bench::ParseWholeNumber(value, &flags.workers) ||
                                      flags.workers < 1 || flags.workers > kMaxWorkers) {
                                    kUsage.Exit("--workers takes a whole number from 1 to " +
                                                std::to_string(kMaxWorkers) + ", not \"" + value +
                                                "\"");
                                  }
                                }}});
  return flags;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Session {
  zmq::socket_t socket;
  jobq::wire::Hello hello;
  bool welcomed = false;
  int64_t heartbeat_ms = kDefaultHeartbeatMs;
  int64_t next_send_ms = 0;  // next HEARTBEAT, or next HELLO until welcomed
};

jobq::wire::Hello MakeHello(const std::string& name) {
  jobq::wire::Hello hello;
  hello.set_name(name);
  hello.set_host("localhost");
  hello.set_pid(static_cast<int32_t>(getpid()));
  jobq::wire::PoolCapacity* pool = hello.add_pools();
  pool->set_kind(jobq::wire::KIND_IO);
  pool->set_capacity(0);
  hello.add_queues("default");
  jobq::wire::TaskInfo* task = hello.add_tasks();
  task->set_name("noop");
  task->set_kind(jobq::wire::KIND_IO);
  return hello;
}

// The same load report as a real idle worker's, so that the broker parses
// and keeps as much per heartbeat.
jobq::wire::Heartbeat MakeHeartbeat() {
  jobq::wire::Heartbeat heartbeat;
  jobq::wire::PoolLoad* load = heartbeat.add_pools();
  load->set_kind(jobq::wire::KIND_IO);
  load->set_capacity(0);
  load->set_in_flight(0);
  return heartbeat;
}

void SendHello(Session& session, int64_t now_ms, std::string* scratch) {
  jobq::SendMessage(session.socket, "", jobq::Command::kHello, session.hello, scratch);
  session.next_send_ms = now_ms + kHelloResendMs;
}

// Returns how many sessions became welcomed (0 or 1).
int Handle(Session& session, const jobq::ReceivedMessage& message, int64_t now_ms,
           std::string* scratch) {
  if (message.decoded.error != jobq::FrameError::kNone) {
    std::fprintf(stderr, "jobq-bench-idle-workers: bad message: %s\n",
                 message.decoded.ErrorText().c_str());
    return 0;
  }
  switch (message.decoded.command) {
    case jobq::Command::kWelcome: {
      jobq::wire::Welcome welcome;
      welcome.ParseFromArray(message.decoded.body.data(),
                             static_cast<int>(message.decoded.body.size()));
      if (welcome.heartbeat_interval_ms() > 0) {
        session.heartbeat_ms = welcome.heartbeat_interval_ms();
      }
      if (session.welcomed) {
        return 0;  // the answer to a resent HELLO
      }
      session.welcomed = true;
      session.next_send_ms = now_ms + session.heartbeat_ms;
      return 1;
    }
    case jobq::Command::kReconnect:
      // The broker forgot the session (it missed our heartbeats).
      if (session.welcomed) {
        std::fprintf(stderr, "jobq-bench-idle-workers: %s was forgotten, saying HELLO again\n",
                     session.hello.name().c_str());
      }
      session.welcomed = false;
      SendHello(session, now_ms, scratch);
      return 0;
    case jobq::Command::kDispatch:
      // Capacity 0 forbids it: a broker that sends one anyway is broken.
      std::fprintf(stderr, "jobq-bench-idle-workers: %s got a DISPATCH with no credit\n",
                   session.hello.name().c_str());
      return 0;
    case jobq::Command::kError: {
      jobq::wire::Error error;
      error.ParseFromArray(message.decoded.body.data(),
                           static_cast<int>(message.decoded.body.size()));
      std::fprintf(stderr, "jobq-bench-idle-workers: broker error: %s\n", error.text().c_str());
      return 0;
    }
    default:
      return 0;  // HEARTBEAT, SENTINEL, CANCEL: nothing to do for an idle session
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);

  zmq::context_t context(1);
  // ZeroMQ's default cap (1023 sockets per context) is below what we open.
  context.set(zmq::ctxopt::max_sockets, flags.workers + 16);
  std::string scratch;
  std::vector<Session> sessions;
  sessions.reserve(flags.workers);
  const int64_t start_ms = NowMs();
  try {
    for (int i = 0; i < flags.workers; ++i) {
      Session& session = sessions.emplace_back(Session{
          zmq::socket_t(context, zmq::socket_type::dealer),
          MakeHello(flags.name + "-" + std::to_string(getpid()) + "-" + std::to_string(i))});
      session.socket.set(zmq::sockopt::linger, 100);
      // As jobq-worker: a send never blocks the loop; a lost HELLO is resent.
      session.socket.set(zmq::sockopt::sndtimeo, 0);
      session.socket.connect(flags.broker);
      SendHello(session, start_ms, &scratch);
    }
  } catch (const zmq::error_t& e) {
    std::fprintf(stderr, "jobq-bench-idle-workers: cannot open %d sessions: %s\n", flags.workers,
                 e.what());
    return 1;
  }

  const std::string heartbeat = MakeHeartbeat().SerializeAsString();
  std::vector<zmq::pollitem_t> items;
  items.reserve(sessions.size());
  for (Session& session : sessions) {
    items.push_back({session.socket.handle(), 0, ZMQ_POLLIN, 0});
  }
  int welcomed = 0;
  int reported = -1;
  int64_t reported_ms = 0;
  jobq::ReceivedMessage message;
  while (!stop_requested) {
    int64_t now_ms = NowMs();
    int64_t next_ms = now_ms + kMaxPollMs;
    for (const Session& session : sessions) {
      next_ms = std::min(next_ms, session.next_send_ms);
    }
    try {
      zmq::poll(items, std::chrono::milliseconds(std::max<int64_t>(0, next_ms - now_ms)));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) {
        std::fprintf(stderr, "jobq-bench-idle-workers: poll failed: %s\n", e.what());
        return 1;
      }
      continue;  // a signal: the loop condition looks at it
    }
    now_ms = NowMs();
    for (size_t i = 0; i < sessions.size(); ++i) {
      Session& session = sessions[i];
      if (items[i].revents & ZMQ_POLLIN) {
        while (
            jobq::ReceiveMessage(session.socket, jobq::Channel::kBrokerToWorker, false, &message)) {
          const bool was_welcomed = session.welcomed;
          welcomed += Handle(session, message, now_ms, &scratch);
          if (was_welcomed && !session.welcomed) {
            --welcomed;
          }
        }
      }
      if (now_ms >= session.next_send_ms) {
        if (session.welcomed) {
          jobq::SendRaw(session.socket, "", jobq::Command::kWorkerHeartbeat, heartbeat);
          session.next_send_ms = now_ms + session.heartbeat_ms;
        } else {
          SendHello(session, now_ms, &scratch);
        }
      }
    }
    // At most once a second, and at once when all are in.
    if (welcomed != reported && (welcomed == flags.workers || now_ms - reported_ms >= 1000)) {
      std::fprintf(stderr, "jobq-bench-idle-workers: %d of %d sessions welcomed\n", welcomed,
                   flags.workers);
      reported = welcomed;
      reported_ms = now_ms;
    }
  }
  for (Session& session : sessions) {
    if (session.welcomed) {
      jobq::SendRaw(session.socket, "", jobq::Command::kBye, "");
    }
  }
  return 0;
}
