#include "tests/sim/sim_workers.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>

#include "common/progress_limits.h"
#include "tests/sim/checkers/checkers.h"
#include "tests/sim/sim_model.h"

namespace jobq::testing {

std::optional<size_t> SimWorkers::IndexOf(const std::string& id) const {
  // Ids are "w<index>": no search through hundreds of workers per message.
  if (id.size() < 2 || id[0] != 'w') {
    return std::nullopt;
  }
  const size_t index = std::strtoull(id.c_str() + 1, nullptr, 10);
  if (index >= workers_.size() || workers_[index].id != id) {
    return std::nullopt;
  }
  return index;
}

SimWorker* SimWorkers::Find(const std::string& id) {
  std::optional<size_t> index = IndexOf(id);
  return index ? &workers_[*index] : nullptr;
}

bool SimWorkers::IsBroken(const std::string& worker) const {
  std::optional<size_t> index = IndexOf(worker);
  return index && workers_[*index].broken;
}

void SimWorkers::Spawn(std::optional<std::string> queue, bool broken) {
  SimWorker worker;
  worker.id = "w" + std::to_string(workers_.size());
  worker.capacity = 1 + static_cast<uint32_t>(env_.Below(4));
  worker.lossy = env_.Chance(15);
  worker.broken = broken;
  worker.instance = env_.rng() | 1;
  if (queue) {
    worker.queues = {*queue};
  } else {
    for (const char* name : kQueues) {
      if (env_.Chance(50)) {
        worker.queues.push_back(name);
      }
    }
    if (worker.queues.empty()) {
      worker.queues.push_back(kQueues[env_.Below(kQueues.size())]);
    }
  }
  worker.next_heartbeat_ms = env_.Now() + kHeartbeatMs - static_cast<TimeMs>(env_.Below(200));
  workers_.push_back(std::move(worker));
  env_.Trace("spawn ", workers_.back().id, workers_.back().lossy ? " (lossy)" : "");
  SendHello(workers_.back(), /*new_registration=*/true);
}

void SimWorkers::SendToCore(SimWorker& worker, Message message) {
  message.to_core = true;
  message.worker_link = true;
  message.peer = worker.id;
  if (env_.Now() < worker.silent_until_ms) {
    worker.outbox.push_back(std::move(message));
    return;
  }
  if (!env_.net.Send(std::move(message), env_.Now())) {
    LinkBroke(worker.id);
  }
}

// A lost message = a broken connection: the worker says HELLO a little later.
void SimWorkers::LinkBroke(const std::string& id) {
  SimWorker* worker = Find(id);
  if (worker != nullptr && worker->alive() && worker->link != Link::kDown) {
    worker->link = Link::kDown;
    worker->hello_at_ms = env_.Now() + static_cast<TimeMs>(env_.Below(500));
    env_.Trace("link of ", id, " broke");
  }
}

// Lists what it runs and what it finished but did not report, as the
// real worker's BuildHello does. A new registration takes the next
// number and counts the finished jobs it lists as freed (their slots come
// back with the first CREDIT); a HELLO re-sent for want of a WELCOME keeps
// both.
void SimWorkers::SendHello(SimWorker& worker, bool new_registration) {
  if (new_registration) {
    ++worker.registration;
    worker.freed_total = worker.unsent.size();
    worker.refused_slots = 0;  // a new registration counts them free at once
  }
  wire::Hello hello;
  hello.set_name(worker.id);
  hello.set_host("sim");
  hello.set_instance(worker.instance);
  hello.set_registration(worker.registration);
  wire::PoolCapacity& pool = *hello.add_pools();
  pool.set_kind(wire::KIND_IO);
  pool.set_capacity(worker.capacity);
  for (const std::string& queue : worker.queues) {
    hello.add_queues(queue);
  }
  for (const auto& [key, job] : worker.held) {
    wire::HeldJob& held = *hello.add_in_flight();
    held.set_id(std::string(key.first.Bytes()));
    held.set_attempt(key.second);
    held.set_kind(wire::KIND_IO);
  }
  for (const wire::JobResult& result : worker.unsent) {
    wire::HeldJob& held = *hello.add_in_flight();
    held.set_id(result.id());
    held.set_attempt(result.attempt());
    held.set_kind(wire::KIND_IO);
  }
  worker.link = Link::kHelloSent;
  worker.hello_at_ms = env_.Now() + kHelloResendMs;
  env_.Trace(worker.id, new_registration ? " registers as " : " re-sends HELLO ",
             worker.registration, " listing ", hello.in_flight_size(), " job(s)");
  SendToCore(worker, MakeMessage(worker.id, Command::kHello, hello));
}

void SimWorkers::RegisterAgain(SimWorker& worker, const char* what) {
  env_.Trace(worker.id, " got ", what, " of another broker process: registers anew");
  SendHello(worker, /*new_registration=*/true);
}

void SimWorkers::SendResults(SimWorker& worker, const wire::WorkerResults& results, bool freed) {
  if (results.results_size() > 0) {
    SendToCore(worker, MakeMessage(worker.id, Command::kWorkerResult, results));
  }
  if (freed && !worker.queues.empty()) {
    wire::Credit credit;
    credit.set_kind(wire::KIND_IO);
    credit.set_freed_total(worker.freed_total);
    credit.set_registration(worker.registration);
    SendToCore(worker, MakeMessage(worker.id, Command::kCredit, credit));
  }
}

void SimWorkers::Receive(const Message& message) {
  SimWorker* found = Find(message.peer);
  if (found == nullptr || !found->alive()) {
    return;
  }
  SimWorker& worker = *found;
  switch (message.command) {
    case Command::kWelcome: {
      wire::Welcome welcome;
      welcome.ParseFromString(message.body);
      Welcomed(worker, welcome);
      break;
    }
    case Command::kDispatch: {
      wire::Dispatch dispatch;
      dispatch.ParseFromString(message.body);
      Dispatched(worker, dispatch);
      break;
    }
    case Command::kWorkerCancel: {
      wire::Cancel cancel;
      cancel.ParseFromString(message.body);
      for (const std::string& raw : cancel.ids()) {
        auto id = JobId::FromBytes(raw);
        if (!id) {
          continue;
        }
        for (auto& [key, held] : worker.held) {
          if (key.first == *id) {
            held.ok = false;
            held.error_type = "cancelled";
            held.finish_ms =
                std::min(held.finish_ms, env_.Now() + static_cast<TimeMs>(env_.Below(50)));
          }
        }
      }
      break;
    }
    case Command::kWorkerSentinel: {
      wire::Sentinel sentinel;
      sentinel.ParseFromString(message.body);
      std::erase(worker.queues, sentinel.queue());
      if (worker.queues.empty()) {
        worker.draining = true;
      }
      break;
    }
    case Command::kReconnect:
      // An answer to something sent before the HELLO on its way: that
      // HELLO registers the worker.
      if (worker.link == Link::kHelloSent) {
        break;
      }
      SendHello(worker, /*new_registration=*/true);
      break;
    default:
      break;  // HEARTBEAT, ERROR
  }
}

void SimWorkers::Welcomed(SimWorker& worker, const wire::Welcome& welcome) {
  if (welcome.registration() != worker.registration) {
    return;  // an old HELLO's answer
  }
  if (worker.link == Link::kUp) {
    // A repeated answer, or another broker process that took a copy of
    // that HELLO: then the worker registers anew.
    if (welcome.broker() != worker.broker) {
      RegisterAgain(worker, "a WELCOME");
    }
    return;
  }
  if (worker.link != Link::kHelloSent) {
    return;
  }
  worker.link = Link::kUp;
  worker.broker = welcome.broker();
  env_.Trace(worker.id, " registered as ", worker.registration);
  if (worker.unsent.empty()) {
    return;
  }
  wire::WorkerResults results;
  for (wire::JobResult& result : worker.unsent) {
    *results.add_results() = std::move(result);
  }
  worker.unsent.clear();
  SendResults(worker, results, /*freed=*/true);
}

void SimWorkers::Dispatched(SimWorker& worker, const wire::Dispatch& dispatch) {
  if (worker.link != Link::kUp || dispatch.registration() != worker.registration ||
      dispatch.broker() != worker.broker) {
    // Taken back by the HELLO that replaced that registration (or leased
    // before the WELCOME that says by which broker process).
    env_.Trace(worker.id, " drops a DISPATCH of registration ", dispatch.registration(), " (now ",
               worker.registration, ")");
    ++env_.coverage.stale_dispatches;
    if (worker.link == Link::kUp && dispatch.registration() == worker.registration) {
      RegisterAgain(worker, "a DISPATCH");
    }
    return;
  }
  for (const wire::DispatchedJob& job : dispatch.jobs()) {
    auto id = JobId::FromBytes(job.id());
    if (!id || !worker.seen.insert({*id, job.attempt()}).second) {
      continue;  // duplicate
    }
    checks_.credit.CheckDispatchReceived(worker, *id);
    checks_.attempts.OnDispatchReceived(*id, job.attempt(), worker.id);
    HeldJob held;
    const TimeMs run_ms = 1 + static_cast<TimeMs>(env_.Below(env_.Chance(10) ? 5000 : 800));
    if (env_.faults && env_.Chance(2)) {
      // Its pool is full (threads held by tasks past their timeout):
      // refused at once, the slot not credited back.
      held.finish_ms = env_.Now();
      held.ok = false;
      held.error_type = "worker_overloaded";
      held.refused = true;
    } else if (job.timeout_ms() > 0 && run_ms > job.timeout_ms()) {
      // The worker stops it at its timeout and reports that.
      held.finish_ms = env_.Now() + job.timeout_ms();
      held.ok = false;
      held.error_type = "timeout";
    } else {
      held.finish_ms = env_.Now() + run_ms;
      uint64_t r = env_.Below(100);
      held.ok = r < 78;
      held.error_type = r < 78 ? "" : (r < 92 ? "exception" : "bad_args");
    }
    worker.held[{*id, job.attempt()}] = held;
  }
}

void SimWorkers::Time(bool faults) {
  for (SimWorker& worker : workers_) {
    TimeFor(worker, faults);
  }
}

void SimWorkers::TimeFor(SimWorker& worker, bool faults) {
  if (!worker.alive()) {
    return;
  }
  if (faults && !worker.broken) {
    uint64_t r = env_.Below(1000);
    if (r < 2) {
      worker.crashed = true;
      ++env_.coverage.worker_crashes;
      env_.Trace("crash ", worker.id);
      return;
    }
    if (r < 5 && env_.Now() >= worker.silent_until_ms) {
      worker.silent_until_ms =
          env_.Now() + kSilenceMaxMs + 500 + static_cast<TimeMs>(env_.Below(4000));
      env_.Trace("stall ", worker.id);
    } else if (r < 7) {
      env_.Trace("bye ", worker.id, " holding ", worker.held.size());
      SendToCore(worker, MakeMessage(worker.id, Command::kBye, wire::Empty()));
      worker.gone = true;
      return;
    } else if (r < 9 && !worker.draining) {
      worker.draining = true;
      worker.queues.clear();
      wire::Heartbeat heartbeat;
      heartbeat.set_draining(true);
      SendToCore(worker, MakeMessage(worker.id, Command::kWorkerHeartbeat, heartbeat));
    }
  }
  if (env_.Now() >= worker.silent_until_ms && !worker.outbox.empty()) {
    std::vector<Message> outbox = std::move(worker.outbox);
    worker.outbox.clear();
    for (Message& message : outbox) {
      SendToCore(worker, std::move(message));
    }
  }
  if (worker.link != Link::kUp && env_.Now() >= worker.hello_at_ms) {
    SendHello(worker, /*new_registration=*/worker.link == Link::kDown);
  }
  if (faults && worker.broken) {
    Misbehave(worker);
  }
  ReportProgress(worker);
  Finish(worker, faults);
  if (env_.Now() >= worker.next_heartbeat_ms) {
    worker.next_heartbeat_ms = env_.Now() + kHeartbeatMs - static_cast<TimeMs>(env_.Below(100));
    if (worker.link == Link::kUp && env_.Now() >= worker.silent_until_ms) {
      wire::Heartbeat heartbeat;
      heartbeat.set_draining(worker.draining);
      for (const auto& [key, held] : worker.held) {
        heartbeat.add_holding(std::string(key.first.Bytes()));
      }
      SendToCore(worker, MakeMessage(worker.id, Command::kWorkerHeartbeat, heartbeat));
    }
  }
  if (worker.draining && worker.held.empty() && worker.unsent.empty() && worker.outbox.empty()) {
    env_.Trace("drained ", worker.id);
    SendToCore(worker, MakeMessage(worker.id, Command::kBye, wire::Empty()));
    worker.gone = true;
  }
}

// Reports the jobs whose time is up, and credits the slots they freed.
void SimWorkers::Finish(SimWorker& worker, bool faults) {
  wire::WorkerResults results;
  bool freed = false;
  for (auto it = worker.held.begin(); it != worker.held.end();) {
    if (it->second.finish_ms > env_.Now()) {
      ++it;
      continue;
    }
    const JobId id = it->first.first;
    wire::JobResult result;
    result.set_id(std::string(id.Bytes()));
    result.set_attempt(it->first.second);
    result.set_ok(it->second.ok);
    if (it->second.ok) {
      result.set_result("42");
    } else {
      result.mutable_error()->set_type(it->second.error_type);
      result.mutable_error()->set_message("sim");
    }
    const bool refused = it->second.refused;
    it = worker.held.erase(it);
    ++(refused ? worker.refused_slots : worker.freed_total);
    if (worker.link != Link::kUp) {
      worker.unsent.push_back(std::move(result));  // reported after WELCOME
      continue;
    }
    freed = true;
    if (faults && worker.lossy && env_.Chance(15)) {
      // Gone without a trace, the connection up: only the lease's expiry
      // gives the job back.
      env_.Trace(worker.id, " loses its result for ", Hex(id));
      ++env_.coverage.results_lost;
      continue;
    }
    *results.add_results() = std::move(result);
  }
  if (env_.Now() >= worker.next_heartbeat_ms && worker.refused_slots > 0) {
    // A pool that was full has had a heartbeat's time to drain.
    worker.freed_total += worker.refused_slots;
    worker.refused_slots = 0;
    freed = true;
  }
  SendResults(worker, results, freed);
}

void SimWorkers::ReportProgress(SimWorker& worker) {
  if (worker.link != Link::kUp || env_.Now() < worker.silent_until_ms || worker.broken ||
      !env_.Chance(15)) {
    return;
  }
  wire::Progress progress;
  auto add = [&](const std::pair<JobId, uint32_t>& key) {
    wire::ProgressReport& report = *progress.add_reports();
    report.set_id(std::string(key.first.Bytes()));
    report.set_attempt(key.second);
    report.set_total(env_.Chance(20) ? 0 : 10);
    report.set_done(env_.Below(11));
    report.set_message("step " + std::to_string(env_.Below(100)));
  };
  if (!worker.held.empty()) {
    auto it = worker.held.begin();
    std::advance(it, static_cast<long>(env_.Below(worker.held.size())));
    if (it->first.second > 1 && env_.Chance(10)) {
      // A straggler of an earlier attempt of a job it runs again.
      add({it->first.first, it->first.second - 1});
      ++env_.coverage.progress_late;
    }
    add(it->first);
  }
  if (!worker.seen.empty() && env_.Chance(10)) {
    auto it = worker.seen.begin();
    std::advance(it, static_cast<long>(env_.Below(std::min<size_t>(worker.seen.size(), 16))));
    if (worker.held.count(*it) == 0) {
      add(*it);
      ++env_.coverage.progress_late;
    }
  }
  if (progress.reports_size() > 0) {
    SendToCore(worker, MakeMessage(worker.id, Command::kProgress, progress));
  }
}

void SimWorkers::Misbehave(SimWorker& worker) {
  const auto& jobs = model_.jobs();
  uint64_t r = env_.Below(100);
  if (r < 5) {
    wire::Credit credit;
    credit.set_kind(wire::KIND_IO);
    credit.set_freed_total(1000 + env_.Below(1000));
    credit.set_registration(worker.registration);
    SendToCore(worker, MakeMessage(worker.id, Command::kCredit, credit));
  } else if (r < 10 && !jobs.empty()) {
    // A result for some job it may well not hold.
    auto it = jobs.begin();
    std::advance(it, static_cast<long>(env_.Below(std::min<size_t>(jobs.size(), 64))));
    wire::WorkerResults results;
    wire::JobResult& result = *results.add_results();
    result.set_id(std::string(it->first.Bytes()));
    result.set_attempt(static_cast<uint32_t>(env_.Below(4)));
    result.set_ok(env_.Chance(50));
    SendToCore(worker, MakeMessage(worker.id, Command::kWorkerResult, results));
  } else if (r < 13) {
    Message message;
    message.command = env_.Chance(50) ? Command::kCredit : Command::kWorkerResult;
    message.body = std::string("\xff\xff\xff\x01garbage", 11);
    SendToCore(worker, std::move(message));
  } else if (r < 15 && !jobs.empty()) {
    // HELLO claiming a job it never got.
    auto it = jobs.begin();
    std::advance(it, static_cast<long>(env_.Below(std::min<size_t>(jobs.size(), 64))));
    wire::Hello hello;
    hello.set_name(worker.id);
    wire::PoolCapacity& pool = *hello.add_pools();
    pool.set_kind(wire::KIND_IO);
    pool.set_capacity(worker.capacity);
    for (const std::string& queue : worker.queues) {
      hello.add_queues(queue);
    }
    wire::HeldJob& held = *hello.add_in_flight();
    held.set_id(std::string(it->first.Bytes()));
    held.set_attempt(it->second.attempt);
    SendToCore(worker, MakeMessage(worker.id, Command::kHello, hello));
  } else if (r < 20 && !jobs.empty()) {
    // Reports for some job at its attempt: bogus ones, and well formed
    // ones for a job it does not run (the broker must take none).
    auto it = jobs.begin();
    std::advance(it, static_cast<long>(env_.Below(std::min<size_t>(jobs.size(), 64))));
    wire::Progress progress;
    wire::ProgressReport& report = *progress.add_reports();
    report.set_id(std::string(it->first.Bytes()));
    report.set_attempt(it->second.attempt);
    report.set_done(3);
    report.set_total(10);
    switch (env_.Below(5)) {
      case 0:
        report.set_done(11);
        break;
      case 1:
        report.set_message(std::string(kProgressMessageBytesMax + 1, 'x'));
        break;
      case 2:
        report.set_id("short");
        break;
      case 3:
        report.set_attempt(0);
        break;
      default:
        break;  // well formed: late, since it runs no such job
    }
    ++env_.coverage.progress_bogus;
    if (env_.Chance(20)) {
      Message message;
      message.command = Command::kProgress;
      message.body = std::string("\xff\xff\xff\x01garbage", 11);
      SendToCore(worker, std::move(message));
    } else {
      SendToCore(worker, MakeMessage(worker.id, Command::kProgress, progress));
    }
  }
}

void SimWorkers::BrokerRestarted() {
  for (SimWorker& worker : workers_) {
    if (!worker.alive()) {
      continue;
    }
    if (!worker.broken && env_.Chance(10)) {
      worker.crashed = true;
      ++env_.coverage.worker_crashes;
      env_.Trace("crash ", worker.id, " with the broker");
      continue;
    }
    if (env_.Chance(50)) {
      worker.link = Link::kDown;
      worker.hello_at_ms =
          env_.Now() + static_cast<TimeMs>(env_.Below(env_.Chance(10) ? 12'000 : 1'000));
    }
  }
}

void SimWorkers::WakeAll() {
  for (SimWorker& worker : workers_) {
    worker.silent_until_ms = std::min(worker.silent_until_ms, env_.Now());
  }
}

void SimWorkers::EnsureConsumers() {
  std::map<std::string, size_t> need;
  for (const auto& [id, model] : model_.jobs()) {
    if (!model.terminal) {
      need[model.queue] = std::min<size_t>(need[model.queue] + 1, 8);
    }
  }
  for (const auto& [name, queue] : model_.queues()) {
    if (queue.fired < queue.sentinels) {
      need[name] = std::max<size_t>(need[name], 1);
    }
  }
  std::map<std::string, size_t> room;
  for (const SimWorker& worker : workers_) {
    if (!worker.alive() || worker.draining || worker.broken) {
      continue;
    }
    for (const std::string& queue : worker.queues) {
      room[queue] += worker.capacity;
    }
  }
  for (const auto& [queue, slots] : need) {
    for (size_t have = room[queue]; have < slots; have += workers_.back().capacity) {
      Spawn(queue);
    }
  }
}

}  // namespace jobq::testing
