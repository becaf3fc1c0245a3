#include "tests/support/cluster.h"

#include <sstream>
#include <stdexcept>

namespace jobq::testing {

Cluster::Cluster() = default;

Cluster::~Cluster() {
  for (auto& worker : workers_) {
    worker->Stop(std::chrono::seconds(3));
  }
  if (broker_) {
    broker_->Stop(std::chrono::seconds(3));
  }
}

void Cluster::StartBroker(std::vector<std::string> extra_args, int frontend_port,
                          int backend_port) {
  const std::string ready_file = dir_.File("broker-ready-" + std::to_string(broker_starts_));
  auto endpoint = [](int port) {
    return "tcp://127.0.0.1:" + (port == 0 ? std::string("*") : std::to_string(port));
  };
  std::vector<std::string> argv = {JOBQ_BROKER_BIN, "--frontend", endpoint(frontend_port),
                                   "--backend", endpoint(backend_port), "--admin", "127.0.0.1:0",
                                   "--ready-file", ready_file,
                                   // The default store, one per cluster; a
                                   // restarted broker finds it again.
                                   "--data-dir", dir_.File("data")};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  broker_ = std::make_unique<Process>(argv, dir_.File("broker-" + std::to_string(broker_starts_)));
  ++broker_starts_;
  bool ready = WaitFor([&] { return !ReadFile(ready_file).empty() || !broker_->Running(); });
  if (!ready || !broker_->Running()) {
    throw std::runtime_error("broker did not start: " + broker_->Stderr());
  }
  nlohmann::json endpoints = nlohmann::json::parse(ReadFile(ready_file));
  frontend_ = endpoints.at("frontend").get<std::string>();
  backend_ = endpoints.at("backend").get<std::string>();
  admin_ = endpoints.at("admin").get<std::string>();
  metrics_ = endpoints.value("metrics", std::string());
  http_ = endpoints.value("http", std::string());
}

void Cluster::StopBroker() {
  if (broker_) {
    broker_->Stop();
  }
}

void Cluster::KillBroker() {
  if (broker_) {
    broker_->Kill();
  }
}

Process& Cluster::StartWorker(const std::string& name, std::vector<std::string> extra_args) {
  std::vector<std::string> argv = {JOBQ_WORKER_BIN, "--broker", backend_, "--name", name};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  workers_.push_back(std::make_unique<Process>(argv, dir_.File("worker-" + name)));
  return *workers_.back();
}

CommandResult Cluster::Jobq(std::vector<std::string> args, const std::string& input,
                            std::chrono::milliseconds timeout) {
  args.insert(args.begin(), JOBQ_CLI_BIN);
  std::map<std::string, std::string> env = jobq_env_;
  env["JOBQ_BROKER"] = frontend_;
  env["JOBQ_ADMIN"] = admin_;
  return RunCommand(args, input, timeout, env);
}

nlohmann::json Cluster::Status() {
  CommandResult result = Jobq({"status", "--json"}, "", std::chrono::seconds(10));
  if (result.exit_code != 0) {
    return nullptr;
  }
  nlohmann::json status = nlohmann::json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  return status.is_discarded() ? nullptr : status;
}

bool Cluster::WaitForWorkers(size_t count) {
  return WaitFor([&] {
    nlohmann::json status = Status();
    if (status.is_null()) {
      return false;
    }
    size_t workers = status.contains("workers") ? status["workers"].size() : 0;
    return workers == count;
  });
}

bool Cluster::WaitForOneWorkerHolding(uint64_t jobs) {
  return WaitFor([&] {
    nlohmann::json status = Status();
    if (status.is_null() || !status.contains("workers") || status["workers"].size() != 1) {
      return false;
    }
    uint64_t in_flight = 0;
    for (const nlohmann::json& pool :
         status["workers"][0].value("pools", nlohmann::json::array())) {
      in_flight += pool.value("in_flight", 0u);
    }
    return in_flight == jobs;
  });
}

bool Cluster::WaitForQueued(const std::string& queue, uint64_t jobs) {
  return WaitFor([&] {
    nlohmann::json status = Status();
    if (status.is_null()) {
      return false;
    }
    for (const nlohmann::json& entry : status.value("queues", nlohmann::json::array())) {
      if (entry["name"] == queue) {
        return std::stoull(entry["queued"].get<std::string>()) == jobs;
      }
    }
    return jobs == 0;
  });
}

bool Cluster::WaitForWorkerNames(const std::set<std::string>& names,
                                 std::chrono::milliseconds timeout) {
  return WaitFor(
      [&] {
        nlohmann::json status = Status();
        return !status.is_null() && WorkerNames(status) == names;
      },
      timeout);
}

std::vector<nlohmann::json> Cluster::AllJobs(const std::string& state) {
  constexpr int kPage = 10'000;  // jobq jobs --limit at most
  std::vector<nlohmann::json> jobs;
  std::string after;
  while (true) {
    std::vector<std::string> args = {"jobs", "--json", "--limit", std::to_string(kPage)};
    if (!state.empty()) {
      args.insert(args.end(), {"--state", state});
    }
    if (!after.empty()) {
      args.insert(args.end(), {"--after", after});
    }
    CommandResult page = Jobq(args, "", std::chrono::seconds(60));
    if (page.exit_code != 0) {
      throw std::runtime_error("jobq jobs failed (" + std::to_string(page.exit_code) +
                               "): " + page.err);
    }
    std::vector<nlohmann::json> lines = JsonLines(page.out);
    jobs.insert(jobs.end(), lines.begin(), lines.end());
    // A further page is announced on stderr with the id to go on after.
    if (lines.empty() || page.err.find("more jobs follow") == std::string::npos) {
      break;
    }
    after = lines.back().at("id").get<std::string>();
  }
  return jobs;
}

uint64_t StatusCounter(const nlohmann::json& status, const std::string& name) {
  if (!status.is_object() || !status.contains("counters")) {
    return 0;
  }
  const nlohmann::json& counters = status["counters"];
  if (!counters.contains(name)) {
    return 0;
  }
  const nlohmann::json& value = counters[name];
  if (value.is_string()) {
    return std::stoull(value.get<std::string>());
  }
  return value.is_number() ? value.get<uint64_t>() : 0;
}

std::set<std::string> WorkerNames(const nlohmann::json& status) {
  std::set<std::string> names;
  if (!status.is_object() || !status.contains("workers")) {
    return names;
  }
  for (const nlohmann::json& worker : status["workers"]) {
    names.insert(worker.value("name", std::string()));
  }
  return names;
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) {
      continue;
    }
    nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) {
      lines.push_back(std::move(parsed));
    }
  }
  return lines;
}

}  // namespace jobq::testing
