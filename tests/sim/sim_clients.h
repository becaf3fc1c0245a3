#pragma once
// SimClients: the simulated producers, each as the client library behaves
// (producer/client). They SUBMIT (a submit_token on every job, sometimes an
// idempotency key from a small shared pool; timeouts; small backoffs;
// notify), WAIT (re-sent every 2 s), CANCEL and SENTINEL; after a broken
// connection or a broker restart they re-send their unacknowledged jobs
// (same submit_token and client_seq) and WAIT again.
//
// Not thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "tests/sim/sim_env.h"
#include "tests/sim/sim_network.h"

namespace jobq::testing {

struct Checkers;

struct PendingSubmit {
  wire::JobSpec spec;
  bool notify = false;
};

struct SimClient {
  std::string id;
  uint64_t next_seq = 1;
  std::map<uint64_t, PendingSubmit> unacked;  // by client_seq, re-sent after a reconnect
  std::map<uint64_t, JobId> acked;            // by client_seq
  std::vector<JobId> known;                   // distinct acked ids, to WAIT for and CANCEL
  std::set<JobId> waiting;                    // outcome expected
  std::set<JobId> finished;                   // outcome received
  std::optional<TimeMs> reconnect_at_ms;
  TimeMs next_wait_resend_ms = 0;
};

class SimClients {
 public:
  // `env` and `checks` must outlive the clients.
  SimClients(SimEnv& env, Checkers& checks) : env_(env), checks_(checks) {}

  void Add();
  // A random client submits, waits, cancels or adds a sentinel.
  void Act();
  // A message from the broker to client `message.peer`.
  void Receive(const Message& message);
  // Time passed: reconnects and WAITs re-sent when due.
  void Time();
  // A message to or from `client` was lost: its connection broke.
  void LinkBroke(const std::string& client);
  // Every connection broke: each client reconnects within a second.
  void BrokerRestarted();

  const std::vector<SimClient>& all() const { return clients_; }

 private:
  SimClient* Find(const std::string& id);
  void Send(SimClient& client, Message message);
  void Submit(SimClient& client);
  template <typename Ids>
  void SendWait(SimClient& client, const Ids& ids);
  void Reconnect(SimClient& client);
  void Acknowledged(SimClient& client, const wire::Submitted& submitted);

  SimEnv& env_;
  Checkers& checks_;
  std::vector<SimClient> clients_;  // clients_[i].id == "c<i>"
};

}  // namespace jobq::testing
