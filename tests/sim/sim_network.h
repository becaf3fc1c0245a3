#pragma once
// SimNetwork: the messages in flight between the simulated broker and its
// peers (simulation.h). It drops, duplicates and delays them, all
// decided by the simulation's one seeded generator.
//
// Each link (one peer, one direction) is FIFO, as a ZeroMQ connection over
// TCP is: a message never overtakes one sent before it on its link, and a
// duplicate arrives right behind its original. Messages of different links
// interleave freely. (Reordering within a link made histories no broker can
// see: a DISPATCH arriving before the WELCOME sent ahead of it, a CREDIT of
// an old registration after the HELLO that replaced it.)
// Not thread-safe.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/framing.h"

namespace jobq::testing {

struct Message {
  bool to_core = true;
  bool worker_link = false;  // backend (worker) or frontend (client)
  std::string peer;
  Command command{};
  std::string body;
  TimeMs deliver_ms = 0;
  uint64_t sequence = 0;  // order of sending on its link
};

// A message from or to `peer`; its sender sets which way it goes.
template <typename Body>
Message MakeMessage(const std::string& peer, Command command, const Body& body) {
  Message message;
  message.peer = peer;
  message.command = command;
  message.body = body.SerializeAsString();
  return message;
}

class SimNetwork {
 public:
  explicit SimNetwork(std::mt19937_64& rng) : rng_(rng) {}

  void set_faults(bool faults) { faults_ = faults; }
  bool empty() const { return in_flight_.empty(); }

  // Returns false when the message was dropped: the caller treats that as
  // a broken connection.
  bool Send(Message message, TimeMs now_ms) {
    if (faults_ && Chance(2)) {
      return false;  // 2% lost
    }
    int copies = faults_ && Chance(2) ? 2 : 1;
    TimeMs& last_ms = last_deliver_ms_[LinkOf(message)];
    for (int i = 0; i < copies; ++i) {
      Message copy = message;
      // Never before what was sent earlier on the same link.
      copy.deliver_ms = std::max(now_ms + Delay(), last_ms);
      last_ms = copy.deliver_ms;
      copy.sequence = next_sequence_++;
      in_flight_.push_back(std::move(copy));
    }
    return true;
  }

  // A message that is due, if any: a random link among those with one due,
  // and that link's oldest message.
  std::optional<Message> TakeDue(TimeMs now_ms) {
    due_.clear();
    for (size_t i = 0; i < in_flight_.size(); ++i) {
      if (in_flight_[i].deliver_ms <= now_ms) {
        due_.push_back(i);
      }
    }
    if (due_.empty()) {
      return std::nullopt;
    }
    size_t pick = due_[rng_() % due_.size()];
    const Link link = LinkOf(in_flight_[pick]);
    for (size_t i = 0; i < in_flight_.size(); ++i) {
      if (in_flight_[i].sequence < in_flight_[pick].sequence && LinkOf(in_flight_[i]) == link) {
        pick = i;
      }
    }
    Message message = std::move(in_flight_[pick]);
    in_flight_[pick] = std::move(in_flight_.back());
    in_flight_.pop_back();
    return message;
  }

  // The broker process died. On each link, what had reached the peer's
  // buffers still arrives (a prefix of what the broker sent) and what peers
  // had queued but not yet written reaches the next broker process (a
  // suffix of what they sent: ZeroMQ reconnects underneath); the rest sat
  // in socket buffers and is gone. Where each link is cut is random.
  void BrokerCrashed() {
    std::map<Link, std::vector<uint64_t>> sequences;
    for (const Message& message : in_flight_) {
      sequences[LinkOf(message)].push_back(message.sequence);
    }
    std::map<Link, uint64_t> cut;  // first sequence lost (to peers) or kept (to the core)
    for (auto& [link, list] : sequences) {
      std::sort(list.begin(), list.end());
      const size_t at = rng_() % (list.size() + 1);
      cut[link] = at < list.size() ? list[at] : UINT64_MAX;
    }
    std::vector<Message> kept;
    for (Message& message : in_flight_) {
      const uint64_t at = cut[LinkOf(message)];
      const bool keep = message.to_core ? message.sequence >= at : message.sequence < at;
      if (keep) {
        kept.push_back(std::move(message));
      }
    }
    in_flight_ = std::move(kept);
  }

 private:
  using Link = std::tuple<bool, bool, std::string>;  // to_core, worker_link, peer

  static Link LinkOf(const Message& message) {
    return {message.to_core, message.worker_link, message.peer};
  }
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  TimeMs Delay() {
    if (!faults_) {
      return static_cast<TimeMs>(rng_() % 20);
    }
    uint64_t r = rng_() % 100;
    if (r < 80) {
      return static_cast<TimeMs>(rng_() % 50);
    }
    if (r < 97) {
      return static_cast<TimeMs>(rng_() % 500);
    }
    return static_cast<TimeMs>(rng_() % 4000);  // clogged: may outlast the liveness window
  }

  std::mt19937_64& rng_;
  bool faults_ = true;
  std::vector<Message> in_flight_;
  std::vector<size_t> due_;
  std::map<Link, TimeMs> last_deliver_ms_;
  uint64_t next_sequence_ = 0;
};

}  // namespace jobq::testing
