#pragma once
// SimNetwork: the messages in flight between the simulated broker and its
// peers (broker_sim_test.cpp). It drops, duplicates, delays and reorders
// them, all decided by the simulation's one seeded generator.
// Not thread-safe.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
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
};

class SimNetwork {
 public:
  explicit SimNetwork(std::mt19937_64& rng) : rng_(rng) {}

  void set_faults(bool faults) { faults_ = faults; }
  bool empty() const { return in_flight_.empty(); }

  // Returns false when the message was dropped: the caller treats that as
  // a broken connection.
  bool Send(Message message, TimeMs now_ms) {
    if (faults_ && Chance(2)) return false;  // 2% lost
    int copies = faults_ && Chance(2) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      Message copy = message;
      copy.deliver_ms = now_ms + Delay();
      in_flight_.push_back(std::move(copy));
    }
    return true;
  }

  // A random message that is due (reordering among those), if any.
  std::optional<Message> TakeDue(TimeMs now_ms) {
    due_.clear();
    for (size_t i = 0; i < in_flight_.size(); ++i) {
      if (in_flight_[i].deliver_ms <= now_ms) due_.push_back(i);
    }
    if (due_.empty()) return std::nullopt;
    size_t pick = due_[rng_() % due_.size()];
    Message message = std::move(in_flight_[pick]);
    in_flight_[pick] = std::move(in_flight_.back());
    in_flight_.pop_back();
    return message;
  }

  // The broker process died. What sat in its socket buffers is gone; what
  // had reached a peer's buffers still arrives; what peers had queued for it
  // reaches the next broker process (ZeroMQ reconnects underneath). Which of
  // these a message in flight was is not known, so each is kept or lost at
  // random.
  void BrokerCrashed() {
    std::vector<Message> kept;
    for (Message& message : in_flight_) {
      if (Chance(50)) kept.push_back(std::move(message));
    }
    in_flight_ = std::move(kept);
  }

 private:
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  TimeMs Delay() {
    if (!faults_) return static_cast<TimeMs>(rng_() % 20);
    uint64_t r = rng_() % 100;
    if (r < 80) return static_cast<TimeMs>(rng_() % 50);
    if (r < 97) return static_cast<TimeMs>(rng_() % 500);
    return static_cast<TimeMs>(rng_() % 4000);  // clogged: may outlast the liveness window
  }

  std::mt19937_64& rng_;
  bool faults_ = true;
  std::vector<Message> in_flight_;
  std::vector<size_t> due_;
};

}  // namespace jobq::testing
