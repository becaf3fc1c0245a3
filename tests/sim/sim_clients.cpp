#include "tests/sim/sim_clients.h"

#include <algorithm>
#include <cstdlib>

#include "tests/sim/checkers/checkers.h"

namespace jobq::testing {

SimClient* SimClients::Find(const std::string& id) {
  // Ids are "c<index>": no search through dozens of clients per message.
  if (id.size() < 2 || id[0] != 'c') {
    return nullptr;
  }
  const size_t index = std::strtoull(id.c_str() + 1, nullptr, 10);
  return index < clients_.size() && clients_[index].id == id ? &clients_[index] : nullptr;
}

void SimClients::Add() {
  SimClient client;
  client.id = "c" + std::to_string(clients_.size());
  client.next_wait_resend_ms = env_.Now() + kWaitResendMs;
  clients_.push_back(std::move(client));
}

void SimClients::Send(SimClient& client, Message message) {
  message.to_core = true;
  message.worker_link = false;
  message.peer = client.id;
  if (!env_.net.Send(std::move(message), env_.Now())) {
    LinkBroke(client.id);
  }
}

// A lost message = a broken connection: the client reconnects a little later.
void SimClients::LinkBroke(const std::string& id) {
  SimClient* client = Find(id);
  if (client != nullptr && !client->reconnect_at_ms) {
    client->reconnect_at_ms = env_.Now() + static_cast<TimeMs>(env_.Below(500));
    env_.Trace("link of ", id, " broke");
  }
}

void SimClients::Act() {
  SimClient& client = clients_[env_.Below(clients_.size())];
  uint64_t r = env_.Below(100);
  if (r < 60) {
    Submit(client);
  } else if (r < 75 && !client.known.empty()) {
    std::vector<JobId> ids;
    for (int i = 0, n = 1 + static_cast<int>(env_.Below(3)); i < n; ++i) {
      ids.push_back(client.known[env_.Below(client.known.size())]);
    }
    SendWait(client, ids);
  } else if (r < 87 && !client.known.empty()) {
    wire::Cancel cancel;
    cancel.add_ids(std::string(client.known[env_.Below(client.known.size())].Bytes()));
    Send(client, MakeMessage(client.id, Command::kCancel, cancel));
  } else if (r < 92) {
    wire::Sentinel sentinel;
    sentinel.set_queue(kQueues[env_.Below(kQueues.size())]);
    Send(client, MakeMessage(client.id, Command::kSentinel, sentinel));
  }
}

void SimClients::Submit(SimClient& client) {
  wire::Submit submit;
  submit.set_first_seq(client.next_seq);
  submit.set_notify(env_.Chance(50));
  const int count = 1 + static_cast<int>(env_.Below(4));
  for (int i = 0; i < count; ++i) {
    const uint64_t seq = client.next_seq++;
    wire::JobSpec& spec = *submit.add_jobs();
    spec.set_task("t");
    spec.set_queue(kQueues[env_.Below(kQueues.size())]);
    spec.set_priority(static_cast<int32_t>(env_.Below(5)) - 2);
    spec.set_max_attempts(static_cast<uint32_t>(env_.Below(4)));
    spec.set_sentinel(env_.Chance(2));
    if (env_.Chance(20)) {
      spec.set_timeout_ms(50 + static_cast<int64_t>(env_.Below(3000)));
    }
    if (env_.Chance(50)) {
      spec.set_backoff_ms(1 + static_cast<int64_t>(env_.Below(50)));
    }
    // Delayed jobs (issue 17 item 1), and a few whose time has passed.
    if (env_.Chance(10)) {
      spec.set_not_before_ms(env_.Now() + 1 + static_cast<int64_t>(env_.Below(3000)));
    } else if (env_.Chance(2)) {
      spec.set_not_before_ms(env_.Now() - static_cast<int64_t>(env_.Below(3000)));
    }
    // Producers that resubmit "the same" job: keys shared by everyone.
    if (env_.Chance(15)) {
      spec.set_idempotency_key("key-" + std::to_string(env_.Below(40)));
    }
    // As the client library sets it: unique per job, kept for re-sends.
    spec.set_submit_token(client.id + "/" + std::to_string(seq));
    client.unacked[seq] = PendingSubmit{spec, submit.notify()};
  }
  Send(client, MakeMessage(client.id, Command::kSubmit, submit));
}

template <typename Ids>
void SimClients::SendWait(SimClient& client, const Ids& ids) {
  wire::Wait wait;
  std::set<JobId> distinct;
  for (const JobId& id : ids) {
    if (!distinct.insert(id).second) {
      continue;
    }
    wait.add_ids(std::string(id.Bytes()));
    if (!client.finished.count(id)) {
      client.waiting.insert(id);
    }
  }
  Send(client, MakeMessage(client.id, Command::kWait, wait));
}

void SimClients::Time() {
  for (SimClient& client : clients_) {
    if (client.reconnect_at_ms && env_.Now() >= *client.reconnect_at_ms) {
      Reconnect(client);
    }
    if (env_.Now() >= client.next_wait_resend_ms) {
      client.next_wait_resend_ms = env_.Now() + kWaitResendMs;
      if (!client.waiting.empty()) {
        SendWait(client, client.waiting);
      }
    }
  }
}

// As the client library does on a new connection: every unacknowledged
// job again, with its token and client_seq, then WAIT for what it awaits.
void SimClients::Reconnect(SimClient& client) {
  client.reconnect_at_ms.reset();
  env_.Trace(client.id, " reconnects: ", client.unacked.size(), " unacknowledged, ",
             client.waiting.size(), " awaited");
  env_.coverage.client_resends += client.unacked.size();
  wire::Submit submit;
  uint64_t next_seq = 0;
  for (const auto& [seq, pending] : client.unacked) {
    if (submit.jobs_size() > 0 && (seq != next_seq || pending.notify != submit.notify())) {
      Send(client, MakeMessage(client.id, Command::kSubmit, submit));
      submit.Clear();
    }
    if (submit.jobs_size() == 0) {
      submit.set_first_seq(seq);
      submit.set_notify(pending.notify);
    }
    *submit.add_jobs() = pending.spec;
    next_seq = seq + 1;
  }
  if (submit.jobs_size() > 0) {
    Send(client, MakeMessage(client.id, Command::kSubmit, submit));
  }
  if (!client.waiting.empty()) {
    SendWait(client, client.waiting);
  }
}

void SimClients::BrokerRestarted() {
  for (SimClient& client : clients_) {
    if (!client.reconnect_at_ms) {
      client.reconnect_at_ms = env_.Now() + static_cast<TimeMs>(env_.Below(1000));
    }
  }
}

void SimClients::Receive(const Message& message) {
  SimClient* client = Find(message.peer);
  if (client == nullptr) {
    return;
  }
  if (message.command == Command::kClientResult) {
    wire::ClientResults results;
    results.ParseFromString(message.body);
    for (const wire::JobOutcome& outcome : results.outcomes()) {
      if (auto id = JobId::FromBytes(outcome.id())) {
        client->waiting.erase(*id);
        client->finished.insert(*id);
      }
    }
    return;
  }
  if (message.command == Command::kSubmitted) {
    wire::Submitted submitted;
    submitted.ParseFromString(message.body);
    Acknowledged(*client, submitted);
  }
}

void SimClients::Acknowledged(SimClient& client, const wire::Submitted& submitted) {
  for (const wire::SubmitAck& ack : submitted.acks()) {
    std::optional<JobId> id = JobId::FromBytes(ack.id());
    if (!id) {
      continue;  // a rejection; the model has failed the run already
    }
    auto [acked, first] = client.acked.emplace(ack.client_seq(), *id);
    checks_.acknowledged.OnAckReceived(client.id, ack.client_seq(), *id, acked->second);
    if (!first) {
      continue;
    }
    if (std::find(client.known.begin(), client.known.end(), *id) == client.known.end()) {
      client.known.push_back(*id);
    }
    auto pending = client.unacked.find(ack.client_seq());
    if (pending == client.unacked.end()) {
      continue;
    }
    checks_.acknowledged.CheckAckedSpec(pending->second.spec);
    if (pending->second.notify && !client.finished.count(*id)) {
      client.waiting.insert(*id);
    }
    client.unacked.erase(pending);
  }
}

}  // namespace jobq::testing
