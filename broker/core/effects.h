#pragma once
// Effects: what one step of BrokerCore asks the outside world to do — messages
// to send and jobs whose new state must be persisted. The loop persists
// first and sends after the commit, so no acknowledgement ever gets ahead of
// the store.
//
// Messages to the same peer of the same kind made in one step are merged
// into one (batching: one DISPATCH per worker, one SUBMITTED and one RESULT
// per client per loop iteration). Not thread-safe.

#include <google/protobuf/message.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/core/limit_record.h"
#include "common/framing.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"

namespace jobq::broker::core {

enum class Socket { kFrontend, kBackend };

// A sentinel as the store keeps it: its id orders it among the queue's jobs.
struct SentinelMark {
  JobId id;
  std::string queue;
};

struct Outbound {
  Socket socket;
  std::string routing_id;
  Command command;
  std::unique_ptr<google::protobuf::Message> body;
};

class Effects {
 public:
  // The batch message for this peer, created on first use in this step.
  wire::Dispatch& DispatchFor(const std::string& worker);
  wire::Submitted& SubmittedFor(const std::string& client);
  wire::ClientResults& ResultsFor(const std::string& client);

  void Send(Socket socket, const std::string& routing_id, Command command,
            std::unique_ptr<google::protobuf::Message> body);
  void SendError(Socket socket, const std::string& routing_id, wire::ErrorCode code,
                 std::string text);

  // A job whose state changed (persist its latest state) or that is gone.
  void JobChanged(const JobId& id) { changed_jobs.push_back(id); }
  void JobErased(const JobId& id) { erased_jobs.push_back(id); }
  void SentinelAdded(const JobId& id, const std::string& queue) {
    sentinels_added.push_back({id, queue});
  }
  void SentinelRemoved(const JobId& id) { sentinels_removed.push_back(id); }
  // A schedule added or changed (persist its record as it is at the
  // commit), or removed.
  void ScheduleChanged(const std::string& name) { changed_schedules.push_back(name); }
  void ScheduleErased(const std::string& name) { erased_schedules.push_back(name); }
  // A limit set or changed, or cleared (record.cleared): the whole record,
  // since the store keeps no part of it without the rest.
  void LimitChanged(const LimitRecord& record) { limits_changed.push_back(record); }
  // A workflow created or changed (persist its record), or forgotten.
  void WorkflowChanged(const JobId& id) { changed_workflows.push_back(id); }
  void WorkflowErased(const JobId& id) { erased_workflows.push_back(id); }

  bool has_store_writes() const {
    return !changed_jobs.empty() || !erased_jobs.empty() || !sentinels_added.empty() ||
           !sentinels_removed.empty() || !changed_schedules.empty() || !erased_schedules.empty() ||
           !limits_changed.empty() || !changed_workflows.empty() || !erased_workflows.empty();
  }
  bool empty() const { return outbound.empty() && !has_store_writes(); }
  void Clear();

  std::vector<Outbound> outbound;
  std::vector<JobId> changed_jobs;  // may repeat an id; the store writes the latest state once
  std::vector<JobId> erased_jobs;
  std::vector<SentinelMark> sentinels_added;
  std::vector<JobId> sentinels_removed;        // fired; may name one added in the same step
  std::vector<std::string> changed_schedules;  // may repeat a name
  std::vector<std::string> erased_schedules;
  std::vector<LimitRecord> limits_changed;  // in order; the store applies the last per limit
  std::vector<JobId> changed_workflows;     // may repeat an id
  std::vector<JobId> erased_workflows;

 private:
  template <typename Message>
  Message& BatchFor(std::unordered_map<std::string, size_t>& index, Socket socket,
                    const std::string& peer, Command command);
  // Batch messages of earlier steps that were sent, cleared and kept: a
  // cleared protobuf keeps its repeated elements and string buffers, so
  // refilling one allocates nothing per job. Messages handed off (held
  // for a commit) are not recycled.
  void Recycle(Outbound& out);
  std::vector<std::unique_ptr<google::protobuf::Message>>& RecycledFor(Command command);
  std::vector<std::unique_ptr<google::protobuf::Message>> recycled_dispatch_;
  std::vector<std::unique_ptr<google::protobuf::Message>> recycled_submitted_;
  std::vector<std::unique_ptr<google::protobuf::Message>> recycled_results_;

  std::unordered_map<std::string, size_t> dispatch_index_;
  std::unordered_map<std::string, size_t> submitted_index_;
  std::unordered_map<std::string, size_t> results_index_;
};

}  // namespace jobq::broker::core
