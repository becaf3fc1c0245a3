// Benchmark driver for gearmand, through its C client library libgearman.
//
//   gearman_bench worker      PORT          run a "noop" worker until killed
//   gearman_bench waitworkers PORT K        wait until K workers offer "noop"
//   gearman_bench queued      PORT          print the jobs gearmand holds for "noop"
//   gearman_bench e2e         PORT N [R]    N foreground tasks (add_task + run_tasks),
//                                           prints "<seconds>" first submit -> last result
//   gearman_bench enqueue     PORT N [R]    N background tasks (add_task_background +
//                                           run_tasks), prints "<seconds>" until the last
//                                           JOB_CREATED
//                                           (R: tasks per run_tasks call; default all N)
//   gearman_bench lat         PORT N        N gearman_client_do one at a time,
//                                           prints "<p50_us> <p99_us>"
//
// Results go to stdout, diagnostics to stderr; exit 1 on any failure
// (a lost or failed job, a timeout, a connection error).
#include <arpa/inet.h>
#include <libgearman/gearman.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kFunction = "noop";
constexpr const char* kPayload = "{}";
constexpr int kIoTimeoutMs = 30000;  // libgearman gives up if nothing happens for this long

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "gearman_bench: %s\n", what.c_str());
  std::exit(1);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---- worker ---------------------------------------------------------------

void* noop_fn(gearman_job_st*, void*, size_t* result_size, gearman_return_t* ret_ptr) {
  *result_size = 0;
  *ret_ptr = GEARMAN_SUCCESS;
  return nullptr;
}

int run_worker(in_port_t port) {
  gearman_worker_st* worker = gearman_worker_create(nullptr);
  if (worker == nullptr) {
    die("gearman_worker_create failed");
  }
  if (gearman_worker_add_server(worker, "127.0.0.1", port) != GEARMAN_SUCCESS) {
    die(std::string("worker add_server: ") + gearman_worker_error(worker));
  }
  if (gearman_worker_add_function(worker, kFunction, 0, noop_fn, nullptr) != GEARMAN_SUCCESS) {
    die(std::string("worker add_function: ") + gearman_worker_error(worker));
  }
  for (;;) {
    gearman_return_t rc = gearman_worker_work(worker);
    if (rc != GEARMAN_SUCCESS) {
      die(std::string("worker work: ") + gearman_worker_error(worker));
    }
    if (getppid() == 1) {
      break;  // orphaned: the bench script is gone
    }
  }
  gearman_worker_free(worker);
  return 0;
}

// ---- admin text protocol (status) -----------------------------------------

// Returns {queued, available_workers} for kFunction from the admin "status" command.
std::pair<long, long> admin_status(in_port_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    die("socket failed");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    die("admin connect failed");
  }
  const char cmd[] = "status\n";
  if (write(fd, cmd, sizeof cmd - 1) != static_cast<ssize_t>(sizeof cmd - 1)) {
    die("admin write failed");
  }
  std::string reply;
  char buf[4096];
  while (reply.size() < 2 ||
         (reply.compare(0, 2, ".\n") != 0 && reply.find("\n.\n") == std::string::npos)) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
      die("admin read failed");
    }
    reply.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  long queued = 0, available = 0;
  size_t pos = 0;
  while (pos < reply.size()) {
    size_t end = reply.find('\n', pos);
    std::string line = reply.substr(pos, end - pos);
    pos = end + 1;
    char name[256];
    long total = 0, running = 0, workers = 0;
    if (std::sscanf(line.c_str(), "%255[^\t]\t%ld\t%ld\t%ld", name, &total, &running, &workers) ==
            4 &&
        std::strcmp(name, kFunction) == 0) {
      queued = total;
      available = workers;
    }
  }
  return {queued, available};
}

int run_waitworkers(in_port_t port, long want) {
  auto start = Clock::now();
  while (admin_status(port).second < want) {
    if (seconds_since(start) > 30) {
      die("workers did not register within 30 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

// ---- client ---------------------------------------------------------------

struct Counters {
  long done = 0;
  long failed = 0;
};

gearman_return_t on_complete(gearman_task_st* task) {
  ++static_cast<Counters*>(gearman_task_context(task))->done;
  return GEARMAN_SUCCESS;
}

gearman_return_t on_fail(gearman_task_st* task) {
  ++static_cast<Counters*>(gearman_task_context(task))->failed;
  return GEARMAN_SUCCESS;
}

gearman_client_st* make_client(in_port_t port) {
  gearman_client_st* client = gearman_client_create(nullptr);
  if (client == nullptr) {
    die("gearman_client_create failed");
  }
  if (gearman_client_add_server(client, "127.0.0.1", port) != GEARMAN_SUCCESS) {
    die(std::string("client add_server: ") + gearman_client_error(client));
  }
  gearman_client_set_timeout(client, kIoTimeoutMs);
  gearman_client_add_options(client, GEARMAN_CLIENT_FREE_TASKS);
  return client;
}

// background == false: foreground tasks, counted when their result (WORK_COMPLETE) arrives.
// background == true: background tasks, counted when the server acknowledged (JOB_CREATED).
// Tasks go to run_tasks in rounds of `round` (all n in one round by default).
int run_batch(in_port_t port, long n, bool background, long round) {
  gearman_client_st* client = make_client(port);
  Counters counters;
  if (background) {
    gearman_client_set_created_fn(client, on_complete);
  } else {
    gearman_client_set_complete_fn(client, on_complete);
  }
  gearman_client_set_fail_fn(client, on_fail);
  gearman_client_set_exception_fn(client, on_fail);

  auto start = Clock::now();
  for (long first = 0; first < n; first += round) {
    long last = std::min(n, first + round);
    for (long i = first; i < last; ++i) {
      gearman_return_t rc;
      gearman_task_st* task =
          background
              ? gearman_client_add_task_background(client, nullptr, &counters, kFunction, nullptr,
                                                   kPayload, std::strlen(kPayload), &rc)
              : gearman_client_add_task(client, nullptr, &counters, kFunction, nullptr, kPayload,
                                        std::strlen(kPayload), &rc);
      if (task == nullptr || rc != GEARMAN_SUCCESS) {
        die(std::string("add_task: ") + gearman_client_error(client));
      }
    }
    gearman_return_t rc = gearman_client_run_tasks(client);
    if (rc != GEARMAN_SUCCESS) {
      die(std::string("run_tasks: ") + gearman_client_error(client));
    }
  }
  double elapsed = seconds_since(start);
  if (counters.done != n || counters.failed != 0) {
    die("counted " + std::to_string(counters.done) + " of " + std::to_string(n) + " jobs (" +
        std::to_string(counters.failed) + " failed)");
  }
  std::printf("%.6f\n", elapsed);
  gearman_client_free(client);
  return 0;
}

int run_latency(in_port_t port, long n) {
  gearman_client_st* client = make_client(port);
  std::vector<double> us;
  us.reserve(static_cast<size_t>(n));
  for (long i = 0; i < n; ++i) {
    size_t result_size = 0;
    gearman_return_t rc;
    auto start = Clock::now();
    void* result = gearman_client_do(client, kFunction, nullptr, kPayload, std::strlen(kPayload),
                                     &result_size, &rc);
    us.push_back(seconds_since(start) * 1e6);
    std::free(result);
    if (rc != GEARMAN_SUCCESS) {
      die(std::string("client_do: ") + gearman_client_error(client));
    }
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    return us[std::min(us.size() - 1, static_cast<size_t>(p * static_cast<double>(us.size())))];
  };
  std::printf("%.1f %.1f\n", pct(0.50), pct(0.99));
  gearman_client_free(client);
  return 0;
}

[[noreturn]] void usage() {
  die("usage: gearman_bench worker|waitworkers|queued|e2e|enqueue|lat PORT [N [R]]");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    usage();
  }
  std::string mode = argv[1];
  auto port = static_cast<in_port_t>(std::atoi(argv[2]));
  long n = argc > 3 ? std::atol(argv[3]) : 0;
  if (mode == "worker") {
    return run_worker(port);
  }
  if (mode == "queued") {
    std::printf("%ld\n", admin_status(port).first);
    return 0;
  }
  if (argc < 4 || n <= 0) {
    usage();
  }
  if (mode == "waitworkers") {
    return run_waitworkers(port, n);
  }
  long round = argc > 4 ? std::atol(argv[4]) : n;
  if (round <= 0) {
    usage();
  }
  if (mode == "e2e") {
    return run_batch(port, n, false, round);
  }
  if (mode == "enqueue") {
    return run_batch(port, n, true, round);
  }
  if (mode == "lat") {
    return run_latency(port, n);
  }
  usage();
}
