#pragma once
// BrokerCore: all of the broker's queue state — jobs, queues, sentinels,
// workers, credits, leases — as a pure state machine.
//
// Input: decoded messages from clients and workers, and the passing of time
// (Tick). Output: Effects (messages to send, jobs to persist). It never reads
// a clock, touches a socket or starts a thread, so unit tests and the
// simulation drive it with a FakeClock. Deterministic: the same inputs at the
// same times give the same effects.
//
// Not thread-safe: exactly one loop thread owns an instance.
//
// The methods are defined in one .cpp per concept (dispatch, leases,
// retries, ...); each section of the class below names its file.

#include <array>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/core/core_options.h"
#include "broker/core/effects.h"
#include "broker/core/job.h"
#include "broker/core/job_index.h"
#include "broker/core/limit_record.h"
#include "broker/core/limit_state.h"
#include "broker/core/ready_queue.h"
#include "broker/core/schedule_spec.h"
#include "broker/core/stats.h"
#include "broker/core/worker_info.h"
#include "broker/core/workflow.h"
#include "common/clock.h"
#include "common/framing.h"
#include "common/job_id.h"
#include "jobq/admin.pb.h"
#include "jobq/store.pb.h"
#include "jobq/wire.pb.h"

namespace jobq::broker::core {

struct CoreCounters {
  uint64_t submitted = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;  // failed + dead
  uint64_t cancelled = 0;
  uint64_t requeued = 0;
  uint64_t rejected = 0;
  uint64_t bad_messages = 0;
  uint64_t late_results = 0;
  uint64_t late_hellos = 0;  // overtaken by a later HELLO of the same worker
  uint64_t refused = 0;      // jobs a worker refused for want of room, requeued
  uint64_t workers_lost = 0;
  uint64_t leases_expired = 0;
  uint64_t duplicates = 0;  // submits answered with an existing job (same key or token)
  uint64_t retried = 0;     // failed attempts scheduled to run again
  // PROGRESS reports (progress.cpp): kept, ignored as late, refused as malformed.
  uint64_t progress_accepted = 0;
  uint64_t progress_late = 0;
  uint64_t progress_refused = 0;
  // Workflows and parents (workflows.cpp).
  uint64_t workflows_submitted = 0;
  uint64_t workflows_rejected = 0;
  uint64_t released = 0;            // blocked jobs whose parents all resolved
  uint64_t upstream_cancelled = 0;  // blocked jobs cancelled for a parent's failure
};

// One page of ListWorkflows.
struct WorkflowPage {
  std::vector<const Workflow*> workflows;  // in id (= submit) order
  std::optional<JobId> next_after;         // set when more may match
};

// What CancelWorkflow did to the nodes not finished.
struct WorkflowCancelCounts {
  size_t cancelled = 0;         // blocked, queued and scheduled: cancelled now
  size_t cancel_requested = 0;  // running: stopped by their workers
};

// One page of ListJobs.
struct JobPage {
  std::vector<const Job*> jobs;  // in id order, at most JobFilter::limit
  // Set when more jobs may match: the next page starts after it. A page
  // may be short and still have one, when the broker examined
  // kListExamineMax jobs for it (a sparse filter on a large store).
  std::optional<JobId> next_after;
};
// Jobs one ListJobs call looks at, at most: it runs on the loop thread,
// and this keeps a page of a sparse filter (a task and a state, say) to
// about a millisecond however many jobs are kept.
inline constexpr size_t kListExamineMax = 5000;

// kWaitsForParents: a job cancelled because a parent failed; retry that
// parent instead (its descendants come back with it).
enum class RetryOutcome { kRetried, kUnknownJob, kNotFinished, kShuttingDown, kWaitsForParents };

// Admin commands (broker/core/admin_control.cpp).
enum class CancelOutcome { kCancelled, kCancelRequested, kUnknownJob, kAlreadyFinished };
enum class QueueControlOutcome { kDone, kUnknownQueue, kAlreadyPaused, kNotPaused };
enum class DrainOutcome { kDraining, kUnknownWorker, kAlreadyDraining };

// The error type of a job cancelled by a producer or an operator.
inline constexpr char kCancelledErrorType[] = "cancelled";
// The error type a worker reports for a job it refuses because the pool is
// full: the job goes back to the front of its queue, no attempt spent.
inline constexpr char kRefusedErrorType[] = "worker_overloaded";

// How long, and how many, workers declared dead stay listed by ListWorkers.
inline constexpr TimeMs kDeadWorkerKeepMs = 5 * 60 * 1000;
inline constexpr size_t kDeadWorkersMax = 100;
// Sentinels waiting in one queue. A few are normal (one per shutdown); more
// would each be kept and persisted for nothing.
inline constexpr size_t kSentinelsPerQueueMax = 1000;
// What one HELLO may list. Real workers list a handful of each; the bounds
// keep a hostile one from registering megabytes of names.
inline constexpr int kHelloQueuesMax = 1000;
inline constexpr int kHelloTasksMax = 10'000;
// Worker instances whose latest registration number is remembered after
// they are gone, so that a HELLO overtaken by a later one is never taken
// for a new registration.
inline constexpr size_t kInstancesRememberedMax = 20'000;

// Schedules one broker keeps, at most (AddSchedule refuses more).
inline constexpr size_t kSchedulesMax = 10'000;
// GetStatus lists the first of them by name; ListSchedules has them all.
inline constexpr size_t kSchedulesInStatusMax = 100;

// Why a running job's lease ended without a result.
enum class LeaseLoss {
  kHandedBack,  // its worker said BYE, registered again or refused it: not the job's doing
  kOrphaned,    // recovered as running; its worker did not come back after a restart
  kExpired,     // its live worker kept it past the lease (counts toward worker_lost)
  kWorkerDied,  // its worker's process ended (counts toward poison)
};

class BrokerCore {
 public:
  explicit BrokerCore(const CoreOptions& options);

  BrokerCore(const BrokerCore&) = delete;
  BrokerCore& operator=(const BrokerCore&) = delete;

  // Entry points, time and restore (broker_core.cpp).
  //
  // A message from a client (frontend) or a worker (backend) whose frames
  // decoded; `body` is still the serialized protobuf. A body that does not
  // decode is answered with ERROR and counted.
  void OnClientMessage(const std::string& client, Command command, std::string_view body,
                       TimeMs now_ms, Effects* effects);
  void OnWorkerMessage(const std::string& worker, Command command, std::string_view body,
                       TimeMs now_ms, Effects* effects);
  // A message whose frames did not decode. `routing_id` may be empty when
  // even that was missing; then nothing is answered.
  void OnMalformed(Socket socket, const std::string& routing_id, wire::ErrorCode code,
                   const std::string& text, Effects* effects);

  // Fires what is due at `now_ms` (delayed jobs, dead workers, heartbeats,
  // expired results) and dispatches what can be dispatched. Call it after
  // every batch of messages. Returns when it next needs to run.
  TimeMs Tick(TimeMs now_ms, Effects* effects);

  // Rebuilds state from what the store recovered, before the first Tick.
  // Jobs that were running stay leased to their workers for a liveness
  // window plus the lease grace: a worker that reconnects and lists them in
  // HELLO keeps them; the rest are requeued then.
  void Restore(std::vector<Job> jobs, std::vector<SentinelMark> sentinels, TimeMs now_ms);

  // Shutdown (sentinels.cpp).
  //
  // Shutdown(drain): a sentinel behind every queue any worker serves (and
  // every queue with jobs), and SUBMIT refused from now on. The broker may
  // exit once worker_count() is 0.
  void BeginShutdown(TimeMs now_ms, Effects* effects);
  bool shutting_down() const { return shutting_down_; }

  // Retries (retries.cpp).
  //
  // Runs a dead, failed or cancelled job again from its first attempt.
  RetryOutcome RetryJob(const JobId& id, TimeMs now_ms, Effects* effects);

  // Admin commands and queries (broker/core/admin_control.cpp). Each leaves
  // the invariants true and reports its changes through `effects`.
  //
  // A queued or scheduled job is cancelled now (error type "cancelled");
  // a running one is marked and its worker sent CANCEL: the error it then
  // reports, or the loss of its lease, ends it cancelled.
  CancelOutcome CancelJob(const JobId& id, TimeMs now_ms, Effects* effects);
  // Cancels every queued and scheduled job of `queue`; nullopt when there
  // is no such queue. Returns how many.
  std::optional<size_t> PurgeQueue(const std::string& queue, TimeMs now_ms, Effects* effects);
  // A paused queue keeps accepting jobs and dispatches none, sentinels
  // included. Pausing an unknown queue creates it. Not persisted.
  QueueControlOutcome PauseQueue(const std::string& queue);
  QueueControlOutcome ResumeQueue(const std::string& queue);
  bool QueuePaused(const std::string& queue) const;
  // Sends the worker a SENTINEL for each queue it serves (so it drains and
  // exits, as on SIGTERM) and dispatches nothing more to it. `queues`, when
  // given, receives those queue names.
  DrainOutcome DrainWorker(const std::string& name, Effects* effects,
                           std::vector<std::string>* queues = nullptr);
  void FillStatus(TimeMs now_ms, ::jobq::admin::GetStatusResponse* status) const;
  // Queues as GetStatus has them.
  void FillQueues(::jobq::admin::ListQueuesResponse* response) const;
  // Connected workers, then those declared dead within kDeadWorkerKeepMs
  // (newest death first) whose name has not registered again.
  void FillWorkers(TimeMs now_ms, ::jobq::admin::ListWorkersResponse* response) const;
  // Jobs matching `filter`, in id (= submit) order: O(page + log n)
  // through the index, at most kListExamineMax examined.
  JobPage ListJobs(const JobFilter& filter) const;

  // Schedules (schedules.cpp). Each call that changes one reports it
  // through `effects`; the firings' jobs and the schedule's new cursor go
  // into the same commit. Errors carry the code the admin RPC returns:
  // INVALID_ARGUMENT (a spec CheckScheduleSpec refuses), ALREADY_EXISTS,
  // NOT_FOUND, FAILED_PRECONDITION (pause a paused one, resume a running one),
  // RESOURCE_EXHAUSTED (kSchedulesMax, or no room for RunSchedule's job),
  // UNAVAILABLE (shutting down).
  absl::StatusOr<::jobq::admin::ScheduleInfo> AddSchedule(const ::jobq::admin::ScheduleSpec& spec,
                                                          TimeMs now_ms, Effects* effects);
  absl::Status RemoveSchedule(const std::string& name, Effects* effects);
  absl::StatusOr<::jobq::admin::ScheduleInfo> PauseSchedule(const std::string& name, bool pause,
                                                            TimeMs now_ms, Effects* effects);
  // One job from the template now, whatever the timing, pause and overlap.
  absl::StatusOr<JobId> RunSchedule(const std::string& name, TimeMs now_ms, Effects* effects);
  // With the next `next_count` firing instants.
  absl::StatusOr<::jobq::admin::ScheduleInfo> GetSchedule(const std::string& name,
                                                          size_t next_count) const;
  // By name, at most `max` of them.
  void FillSchedules(size_t max,
                     google::protobuf::RepeatedPtrField<::jobq::admin::ScheduleInfo>* out) const;
  // What the store keeps of the schedule named so; nullptr when none.
  const ::jobq::store::ScheduleRecord* FindScheduleRecord(const std::string& name) const;
  size_t schedule_count() const { return schedules_.size(); }
  // Schedules the store recovered; call it with Restore, before the first
  // Tick. Firing instants at or before `now_ms` passed while the broker was
  // down: each schedule's catch-up policy decides what they make.
  void RestoreSchedules(std::vector<::jobq::store::ScheduleRecord> records, TimeMs now_ms);

  // Workflows and parents (workflows.cpp).
  //
  // Workflows the store recovered: call it before Restore, which links
  // their nodes (and every job with parents) again.
  void RestoreWorkflows(std::vector<::jobq::store::WorkflowRecord> records);
  const Workflow* FindWorkflow(const JobId& id) const;
  size_t workflow_count() const { return workflows_.size(); }
  // Cancels every node not finished, children before parents, so that each
  // ends "cancelled" by the operator rather than by its parent's failure.
  // NOT_FOUND: no such workflow; FAILED_PRECONDITION: every node finished.
  absl::StatusOr<WorkflowCancelCounts> CancelWorkflow(const JobId& id, TimeMs now_ms,
                                                      Effects* effects);
  // Nodes [node_offset, node_offset + node_limit) with it; none for 0.
  ::jobq::admin::WorkflowInfo WorkflowInfoOf(const Workflow& workflow, size_t node_offset,
                                             size_t node_limit) const;
  // In id order after `after`; `state` UNSPECIFIED matches every workflow.
  // At most kListExamineMax examined.
  WorkflowPage ListWorkflows(::jobq::admin::WorkflowState state, std::optional<JobId> after,
                             size_t limit) const;
  // Workflows by WorkflowState (index), for the figures.
  std::array<uint64_t, ::jobq::admin::WorkflowState_ARRAYSIZE> WorkflowStateCounts() const {
    return workflow_states_;
  }
  // What the store keeps of a workflow; nullptr when none.
  const ::jobq::store::WorkflowRecord* FindWorkflowRecord(const JobId& id) const;

  // Lookups, counters and invariants (broker_core.cpp).
  const Job* FindJob(const JobId& id) const;
  const CoreCounters& counters() const { return counters_; }
  size_t job_count() const { return jobs_.size(); }
  size_t worker_count() const { return workers_.size(); }
  const WorkerInfo* FindWorkerByName(const std::string& name) const;
  const WorkerInfo* FindWorker(const std::string& routing_id) const;

  // Aborts on the first broken invariant (sim and unit tests call it).
  void CheckInvariants() const;

  // Limits (limits.cpp): rate limits and concurrency caps per queue and per
  // (queue, task), global across workers. Dispatch never exceeds them.
  //
  // Sets the whole limit of record.queue (and record.task): what it does
  // not give is removed. A new rate starts with a full bucket; a changed
  // one keeps its whole tokens. INVALID_ARGUMENT for a record CheckLimit
  // refuses, RESOURCE_EXHAUSTED past kLimitsMax; then nothing changed.
  absl::StatusOr<LimitRecord> SetLimit(LimitRecord record, TimeMs now_ms, Effects* effects);
  // False when there is no such limit.
  bool ClearLimit(const std::string& queue, const std::string& task, Effects* effects);
  // The limits the store recovered, with empty buckets, before the first Tick.
  void RestoreLimits(std::vector<LimitRecord> records, TimeMs now_ms);
  // Every limit in (queue, task) order, as of now_ms.
  std::vector<LimitView> Limits(TimeMs now_ms) const;

 private:
  // How many jobs a queue holds in each state is index_'s to count.
  struct QueueState {
    ReadyQueue ready;
    bool paused = false;
    uint64_t finished = 0;  // jobs that ended (any terminal state), for rates
  };
  struct DeadWorker {
    ::jobq::admin::WorkerStatus status;  // state "dead"; last_heartbeat_ms_ago unset
    TimeMs last_seen_ms = 0;
    TimeMs died_ms = 0;
  };
  struct Timer {
    TimeMs due_ms;
    JobId id;
    bool operator>(const Timer& other) const {
      return due_ms != other.due_ms ? due_ms > other.due_ms : other.id < id;
    }
  };
  using TimerHeap = std::priority_queue<Timer, std::vector<Timer>, std::greater<>>;

  // Job state changes and their timers (broker_core.cpp).
  //
  // Transition is the only place a kept job's state changes: it moves the
  // job in index_, which holds every count by queue and state. Admit and
  // Forget are a job's entry and exit.
  void Transition(Job& job, wire::JobState to, TimeMs now_ms);
  void Admit(const Job& job);
  void Forget(const Job& job);
  void Schedule(Job& job, TimeMs due_ms, TimeMs now_ms, Effects* effects);
  void Finish(Job& job, wire::JobState state, TimeMs now_ms, Effects* effects);

  // Client requests (client_requests.cpp).
  //
  // A new job from `spec` (checked, not a duplicate, with room for it):
  // queued, or scheduled when its not_before_ms is ahead; blocked when it
  // has parents (spec.after), which the caller then links (LinkToParents).
  // `workflow` and `node` make it a workflow's node.
  Job& AddJob(wire::JobSpec spec, TimeMs now_ms, Effects* effects,
              const std::optional<JobId>& workflow = std::nullopt, std::string node = {});
  // Why `spec` cannot be taken whatever the broker holds (no task, payload
  // or times out of bounds, a reserved key), or "": the message of a
  // bad_request.
  std::string RefuseSpec(const wire::JobSpec& spec, TimeMs now_ms) const;
  // Why `queue_name` has no room for one more waiting job (--queue-max),
  // or "".
  std::string WaitingRoomFor(const std::string& queue_name) const;
  //
  // Takes the jobs out of `submit` (moved, not copied).
  void Submit(const std::string& client, wire::Submit& submit, TimeMs now_ms, Effects* effects);
  // A job whose key or token names a kept job: that job, else nullptr.
  Job* FindDuplicate(const wire::JobSpec& spec);
  void IndexKeys(const Job& job);
  void UnindexKeys(const Job& job);
  void ResolveDefaults(wire::JobSpec& spec) const;
  // Why a producer's job for `queue_name` cannot be taken now (one of the
  // bounds of CoreOptions), or "" when it can; SentinelRoomFor, for a sentinel.
  std::string JobRoomFor(const std::string& queue_name) const;
  void Wait(const std::string& client, const wire::Wait& wait, Effects* effects);
  void Cancel(const std::string& client, const wire::Cancel& cancel, TimeMs now_ms,
              Effects* effects);
  void Notify(const Job& job, const std::string& client, Effects* effects) const;

  // Workflows and parents (workflows.cpp).
  //
  void SubmitWorkflow(const std::string& client, wire::SubmitWorkflow& request, TimeMs now_ms,
                      Effects* effects);
  // Why the broker cannot take the workflow now (bounds of CoreOptions,
  // unknown external parents), or "": `type` gets the error type.
  std::string WorkflowRoomFor(const wire::SubmitWorkflow& request, std::string* type) const;
  // Why a job naming these parents cannot be taken: an id the broker does
  // not keep. "" when each is kept.
  std::string UnknownParent(const wire::JobSpec& spec) const;
  // Registers a blocked job with its parents (their children, their
  // blocked_children), then releases it or cancels it if they have
  // already resolved it.
  void LinkToParents(Job& job, TimeMs now_ms, Effects* effects);
  // Its last parent resolved: its inputs are built and it is queued (or
  // scheduled); inputs past --result-max fail it instead.
  void Release(Job& job, TimeMs now_ms, Effects* effects);
  // A parent ended without success: `job` (blocked, PARENT_FAILURE_CANCEL)
  // ends cancelled, naming it; `parent` null when it is no longer kept.
  void CancelUpstream(Job& job, const Job* parent, const JobId& parent_id, TimeMs now_ms,
                      Effects* effects);
  // `parent` finished: each blocked child is released, counted down or
  // cancelled; their own outcomes go through the same queue, so a chain of
  // any length takes no stack.
  void ResolveChildren(const Job& parent, TimeMs now_ms, Effects* effects);
  // `job` runs again (RetryJob): its children cancelled for its failure
  // are blocked again, and theirs in turn.
  void ReviveChildren(const Job& job, TimeMs now_ms, Effects* effects);
  // The key of `parent` in its child's inputs: its node name when both are
  // nodes of one workflow, else its id.
  std::string ParentKey(const Job& child, const JobId& parent_id, const Job* parent) const;
  // Transition's part for jobs with links: a job leaving or entering
  // blocked updates its parents' blocked_children; a node, its workflow's
  // counts.
  void LinksTransition(Job& job, wire::JobState to, TimeMs now_ms);
  // A node moves from `from` to `to` in its workflow's counts; nullopt for
  // a node entering (Admit) or leaving (Forget).
  void CountNode(const Job& job, std::optional<wire::JobState> from,
                 std::optional<wire::JobState> to);
  // Counts `workflow` under the state it is in now (workflow_states_).
  void SyncWorkflowState(Workflow& workflow);
  // Finish's part: children resolved, a workflow done.
  void NodeFinished(Job& job, TimeMs now_ms, Effects* effects);
  // A finished job held for a blocked child, or a finished workflow, gets
  // its expiry looked at again (now or at its time).
  void RecheckExpiry(const Job& job, TimeMs now_ms);
  // Forgets finished workflows (with their nodes) whose time has come.
  void ExpireWorkflows(TimeMs now_ms, Effects* effects);
  // Whether the expiry loop must keep this finished job for now.
  bool HeldForLinks(const Job& job) const;
  // Restore's part: children, counts and blocked jobs resolved while the
  // broker was down, in id order.
  void RelinkRestored(const std::vector<JobId>& ids, TimeMs now_ms);
  void CheckWorkflowInvariants() const;

  // Sentinels (sentinels.cpp).
  //
  // Why a producer's sentinel for `queue_name` cannot be taken now (one of
  // the bounds of CoreOptions), or "" when it can.
  std::string SentinelRoomFor(const std::string& queue_name) const;
  void AddSentinel(const std::string& queue_name, TimeMs now_ms, Effects* effects);
  void FireSentinelIfAtHead(const std::string& queue_name, QueueState& queue, Effects* effects);

  // Dispatch (dispatch.cpp).
  void Enqueue(Job& job, bool at_front, TimeMs now_ms, Effects* effects);
  void Credit(WorkerInfo& worker, const wire::Credit& credit);
  // Dispatch: fires sentinels that reached the head, then fills free credit.
  void Pump(TimeMs now_ms, Effects* effects);
  void SkipDeadHead(QueueState& queue);
  void FillCredit(WorkerInfo& worker, TimeMs now_ms, Effects* effects);

  // Leases, worker liveness and loss, late results (leases.cpp).
  TimeMs LivenessWindowMs() const;
  TimeMs LeaseExpiry(const Job& job, TimeMs now_ms) const;
  void Lease(Job& job, WorkerInfo& worker, wire::Kind pool, TimeMs now_ms, Effects* effects);
  void RenewLeases(WorkerInfo& worker, const wire::Heartbeat& heartbeat, TimeMs now_ms);
  void ReleaseLease(Job& job);
  // The lease ended without a result (its worker died, or it expired):
  // back to the front of its queue, or dead after too many such losses.
  void LoseLease(Job& job, LeaseLoss loss, TimeMs now_ms, Effects* effects);
  // The worker refused a job for want of room (error type
  // worker_overloaded): back to the front of its queue, no attempt spent.
  void Refused(Job& job, TimeMs now_ms, Effects* effects);
  // A result for an attempt whose lease the broker took back: a success
  // still finishes the job (once); anything else is ignored.
  void LateResult(Job& job, const wire::JobResult& result, TimeMs now_ms, Effects* effects);
  void ExpireLeases(TimeMs now_ms, Effects* effects);
  void CheckLiveness(TimeMs now_ms, Effects* effects);
  void RemoveWorker(const std::string& routing_id, LeaseLoss loss, TimeMs now_ms, Effects* effects);
  void SendHeartbeats(Effects* effects);

  // Results and retries (retries.cpp).
  void Results(WorkerInfo& worker, const wire::WorkerResults& results, TimeMs now_ms,
               Effects* effects);
  TimeMs BackoffFor(const Job& job);

  // Worker registration (worker_registration.cpp).
  //
  // Why a HELLO cannot register (a bound of CoreOptions), or "".
  std::string RefuseHello(const std::string& routing_id, const wire::Hello& hello) const;
  // The registration a HELLO would replace: by routing id, else by name.
  WorkerInfo* RegistrationFor(const std::string& routing_id, const std::string& name);
  // True when `hello` is older than a registration this instance already
  // made (overtaken by a later HELLO): it must change nothing.
  bool Overtaken(const wire::Hello& hello) const;
  void RememberRegistration(uint64_t instance, uint64_t registration);
  void SendWelcome(const WorkerInfo& worker, Effects* effects) const;
  void Hello(const std::string& routing_id, const wire::Hello& hello, TimeMs now_ms,
             Effects* effects);

  // Schedules (schedules.cpp).
  struct ScheduleEntry {
    ::jobq::store::ScheduleRecord record;
    std::optional<::jobq::Schedule> timing;  // nullopt when `broken`
    std::string broken;                      // why its timing no longer loads
    TimeMs next_fire_ms = 0;                 // 0: none (paused, broken, never again)
  };
  struct ScheduleTimer {
    TimeMs due_ms;
    std::string name;
    bool operator>(const ScheduleTimer& other) const {
      return due_ms != other.due_ms ? due_ms > other.due_ms : name > other.name;
    }
  };
  // next_fire_ms from the cursor, and its timer.
  void ArmSchedule(ScheduleEntry& entry);
  // Makes the jobs of every instant that has come, as PlanFirings says.
  void FireSchedule(ScheduleEntry& entry, TimeMs now_ms, Effects* effects);
  void FireDueSchedules(TimeMs now_ms, Effects* effects);
  // One firing at `fire_ms`: a job, unless --overlap skip or a full queue
  // says no (then counted as skipped and why).
  void FireOnce(ScheduleEntry& entry, TimeMs fire_ms, TimeMs now_ms, Effects* effects);
  // Why the template's queue cannot take a job now, or "".
  std::string RoomForScheduledJob(const wire::JobSpec& job) const;
  ::jobq::admin::ScheduleInfo InfoOf(const ScheduleEntry& entry, size_t next_count) const;

  // Admin commands and listings (admin_control.cpp).
  //
  // A cancel from either path; `by` says who asked ("an operator", "its
  // producer") in the job's error message.
  CancelOutcome CancelJobBy(const JobId& id, const char* by, TimeMs now_ms, Effects* effects);
  void FillQueueStatus(const std::string& name, const QueueState& queue,
                       ::jobq::admin::QueueStatus* out) const;
  static void FillWorkerStatus(const WorkerInfo& worker, TimeMs now_ms,
                               ::jobq::admin::WorkerStatus* out);
  // Keeps a worker about to be removed for missed heartbeats listable.
  void RememberDeadWorker(const WorkerInfo& worker, TimeMs now_ms);

  // Limits (limits.cpp).
  enum class LimitHold { kNone, kRate, kConcurrency };
  LimitState* FindLimit(const std::string& queue, const std::string& task);
  int64_t RunningMatching(const std::string& queue, const std::string& task) const;
  static LimitHold HoldOf(const LimitState& limit, TimeMs now_ms, TimeMs* token_ms);
  LimitHold HoldFor(const std::string& queue, const std::string& task, TimeMs now_ms,
                    TimeMs* token_ms) const;
  // Whether `job` may start now under its queue's and its task's limits;
  // when a bucket holds it, Tick wakes at its next token.
  bool MayStart(const Job& job, TimeMs now_ms);
  void TakeTokens(const Job& job, TimeMs now_ms);
  // A job of a limited queue or task entered (+1) or left (-1) running.
  void CountRunning(const Job& job, int64_t delta, bool restored);
  // Whether the head job of `queue` waits for a limit (for status).
  bool HeadLimited(const std::string& name, const QueueState& queue, TimeMs* token_ms) const;
  void CheckLimitInvariants() const;

  // Progress reports (progress.cpp).
  void Progress(WorkerInfo& worker, const wire::Progress& progress, TimeMs now_ms,
                Effects* effects);
  void CheckProgressInvariants() const;

  // State, shared by every file.
  QueueState& QueueNamed(const std::string& name) { return queues_[name]; }

  CoreOptions options_;
  JobIdGenerator id_generator_;
  // Every job's record, looked up several times per job: a SwissTable
  // (node-based, so Job references stay valid across inserts).
  absl::node_hash_map<JobId, Job> jobs_;
  JobIndex index_;                             // jobs_ by state, queue and task, in id order
  wire::WorkerResults results_scratch_;        // RESULT bodies, parsed into one reused message
  std::map<std::string, QueueState> queues_;   // ordered: deterministic output
  std::map<std::string, WorkerInfo> workers_;  // by routing id
  std::unordered_map<std::string, std::string> worker_by_name_;
  std::deque<DeadWorker> dead_workers_;  // newest first, at most kDeadWorkersMax
  // Latest registration number per worker instance, oldest instance first
  // in instance_order_; at most kInstancesRememberedMax.
  std::unordered_map<uint64_t, uint64_t> registration_by_instance_;
  std::deque<uint64_t> instance_order_;
  TimerHeap scheduled_;  // scheduled_ms of scheduled jobs; stale entries skipped
  TimerHeap expiry_;     // expires_ms of finished jobs; stale entries skipped
  // Workflows by id (ordered: listings page in submit order), their
  // submit tokens, and expires_ms of finished ones (stale entries skipped).
  std::map<JobId, Workflow> workflows_;
  absl::flat_hash_map<std::string, JobId> workflow_tokens_;
  TimerHeap workflow_expiry_;
  std::array<uint64_t, ::jobq::admin::WorkflowState_ARRAYSIZE> workflow_states_{};
  // ResolveChildren's queue: parents whose children are still to resolve.
  std::deque<JobId> resolving_;
  bool resolving_active_ = false;
  // Store writes of Restore (jobs its relinking released or cancelled),
  // handed to the first Tick's effects.
  std::vector<JobId> restore_changes_;
  std::vector<JobId> restore_workflows_erased_;
  std::map<std::string, ScheduleEntry> schedules_;  // by name: listings in order
  // next_fire_ms of armed schedules; stale entries (removed, paused,
  // re-armed) skipped.
  std::priority_queue<ScheduleTimer, std::vector<ScheduleTimer>, std::greater<>> schedule_timers_;
  // When the broker came back from its store: firing instants up to then
  // passed while it was down. Before any restore, none did.
  TimeMs restored_ms_ = std::numeric_limits<TimeMs>::min();
  // Idempotency keys and submit tokens of kept jobs, looked up once per
  // submitted job. The keys are views of the strings in the job's own spec
  // (which never changes once the job is in jobs_, and is unindexed before
  // the job is erased): a second copy would cost 64 bytes per job.
  absl::flat_hash_map<std::string_view, JobId> idempotency_keys_;
  absl::flat_hash_map<std::string_view, JobId> submit_tokens_;
  // Running jobs recovered from the store, whose workers have not said
  // HELLO yet: requeued when the time runs out.
  std::map<JobId, TimeMs> orphans_;
  // Restored as running: an unrecorded DISPATCH of attempt + 1 may be out
  // there; when their lease ends, that number is skipped.
  std::set<JobId> skip_attempt_;
  std::mt19937_64 jitter_;
  TimeMs next_heartbeat_ms_ = 0;
  TimeMs next_liveness_check_ms_ = 0;
  bool dispatch_pending_ = false;
  std::string rr_cursor_;  // round-robin start among workers
  // Welcome.broker and Dispatch.broker: this broker process, never 0.
  const uint64_t broker_instance_;
  CoreCounters counters_;
  CoreStats stats_;  // figures: throughput, depth by state, latency
  TimeMs started_ms_ = -1;
  bool shutting_down_ = false;
  // Limits by queue, then task (limits.cpp); limit_count_ counts both kinds.
  std::map<std::string, QueueLimits, std::less<>> limits_;
  size_t limit_count_ = 0;
  // When a bucket that held a job back next has a token; 0 when none.
  TimeMs next_limit_wake_ms_ = 0;
  TimeMs now_ms_ = 0;  // of the last Tick: what status shows limits as of
};

}  // namespace jobq::broker::core
