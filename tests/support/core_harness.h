#pragma once
// CoreHarness: drives a BrokerCore the way the loop does — serialized
// message bodies in, Effects out — on a FakeClock, and picks the effects
// apart for assertions. For unit and simulation tests only.

#include <string>
#include <vector>

#include "broker/core/broker_core.h"
#include "common/clock.h"
#include "jobq/wire.pb.h"

namespace jobq::testing {

class CoreHarness {
 public:
  explicit CoreHarness(broker::core::CoreOptions options = {}) : core_(options) {
    core_.Tick(clock_.NowMs(), &effects_);
  }

  broker::core::BrokerCore& core() { return core_; }
  FakeClock& clock() { return clock_; }
  broker::core::Effects& effects() { return effects_; }

  // Each call clears the effects of the previous step first, then runs the
  // message and a Tick, as one loop iteration does.
  void FromClient(const std::string& client, Command command,
                  const google::protobuf::Message& body);
  void FromWorker(const std::string& worker, Command command,
                  const google::protobuf::Message& body);
  void RawFromClient(const std::string& client, Command command, const std::string& body);
  void AdvanceMs(TimeMs delta_ms);

  // Submits jobs (task names) to `queue`; returns their ids in order.
  std::vector<JobId> Submit(const std::string& client, const std::vector<std::string>& tasks,
                            const std::string& queue = "default", int32_t priority = 0,
                            bool notify = false, uint32_t max_attempts = 1);
  void Hello(const std::string& worker, uint32_t io_capacity,
             const std::vector<std::string>& queues = {"default"},
             const std::vector<wire::HeldJob>& held = {});
  // A numbered registration (Hello.instance, Hello.registration).
  void Register(const std::string& worker, uint32_t io_capacity, uint64_t instance,
                uint64_t registration, const std::vector<wire::HeldJob>& held = {});
  // A difference, as workers that number nothing send it.
  void Credit(const std::string& worker, uint32_t credits);
  // Holding `holding` (ids of jobs the worker still runs).
  void Heartbeat(const std::string& worker, const std::vector<JobId>& holding = {});
  // A running total of `registration`.
  void CreditTotal(const std::string& worker, uint64_t freed_total, uint64_t registration);
  void Result(const std::string& worker, const JobId& id, uint32_t attempt, bool ok,
              const std::string& error_type = "");

  // What the last step sent.
  std::vector<wire::DispatchedJob> Dispatched(const std::string& worker) const;
  std::vector<wire::SubmitAck> Acks(const std::string& client) const;
  std::vector<wire::JobOutcome> Outcomes(const std::string& client) const;
  std::vector<Command> CommandsTo(const std::string& peer) const;
  std::vector<wire::Error> Errors(const std::string& peer) const;
  std::vector<wire::Welcome> Welcomes(const std::string& worker) const;

 private:
  void Step();

  FakeClock clock_;
  broker::core::BrokerCore core_;
  broker::core::Effects effects_;
};

// The task names of `jobs`, in order.
std::vector<std::string> Tasks(const std::vector<wire::DispatchedJob>& jobs);
JobId IdOf(const wire::DispatchedJob& job);
JobId IdOf(const wire::SubmitAck& ack);

}  // namespace jobq::testing
