#pragma once
// WorkflowSim: a seeded simulation of workflows (issue 18, item 5) with
// crashes around the commits that release nodes, on a SimProcess
// (sim_process.h, as ScheduleSim): the core, the loop's commit pipeline
// and a SQLite store whose writer the simulation plays. Its worker runs
// the nodes and ends each in success or an error at random; one client
// submits random DAGs (chains, wide fan-out and fan-in, diamonds, random
// ones, with some nodes that run whatever their parents did) and re-sends
// the ones not acknowledged after a crash, with the same token. Now and
// then an operator cancels a workflow or retries a failed node.
//
// Checked after every step, beside the core's own CheckInvariants:
//  - a node is dispatched only when every parent has succeeded (or, for
//    PARENT_FAILURE_RUN, finished), with "inputs" in its payload;
//  - each node is released once: once a committed batch has written it
//    released, no committed batch writes it blocked again (unless a retry
//    of one of its ancestors revived it), and a workflow is created once
//    however often it is re-sent;
//  - a failure reaches exactly the descendants: a node cancelled as
//    upstream_failed has a parent that did not succeed, and once its
//    workflow has finished, a node with such a parent did not run;
//  - an acknowledged workflow survives every crash, whole;
//  - every workflow ends: after a quiet phase no node is blocked or
//    waiting, and the store holds what the core has.
//
// Not thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "broker/net/owned_batch.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "tests/sim/sim_process.h"

namespace jobq::testing {

struct WorkflowSimFigures {
  uint64_t workflows = 0;           // acknowledged
  uint64_t nodes = 0;               // of acknowledged workflows
  uint64_t releases_committed = 0;  // nodes first written released
  uint64_t upstream_cancelled = 0;  // nodes committed cancelled for a parent
  uint64_t restarts = 0;
  uint64_t revived = 0;  // retries of failed nodes with descendants waiting on them
};

class WorkflowSim {
 public:
  explicit WorkflowSim(uint64_t seed);

  WorkflowSim(const WorkflowSim&) = delete;
  WorkflowSim& operator=(const WorkflowSim&) = delete;

  // Empty when every check held; else what broke, and where.
  std::string Run();
  const WorkflowSimFigures& figures() const { return figures_; }

 private:
  // A workflow the client sent: re-sent until acknowledged.
  struct Sent {
    wire::SubmitWorkflow request;
    std::optional<JobId> id;  // once acknowledged
    size_t nodes = 0;
  };

  // Starts the process, checks that the acknowledged workflows survived,
  // and has the client send again what was not acknowledged.
  void Start();
  void Operate();
  wire::SubmitWorkflow RandomWorkflow();
  void SubmitWorkflow(wire::SubmitWorkflow request);
  void FinishSomeJob();
  void CancelSomeWorkflow();
  void RetrySomeNode();
  void AdvanceTime(TimeMs delta_ms);
  // A batch reached the disk: the model of the disk moves on.
  void OnCommitted(const broker::net::OwnedBatch& batch);
  void OnRecovered(const broker::store::Recovered& recovered);
  void Crash();
  void OnSent(const broker::core::Outbound& out);
  void CheckDispatch(const wire::DispatchedJob& dispatched);
  void CheckCore();
  void QuietPhase();
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  const uint64_t seed_;
  std::mt19937_64 rng_;
  FakeClock clock_;
  uint64_t next_seq_ = 1;
  std::map<uint64_t, Sent> sent_;  // by client_seq
  // What the committed batches wrote: whether each job with parents was
  // released, and which jobs may legitimately block again (descendants of
  // a retried node) until a batch writes them blocked.
  std::map<JobId, bool> committed_released_;
  std::set<JobId> may_block_again_;
  std::set<JobId> committed_workflows_;
  WorkflowSimFigures figures_;
  // Last: its hooks use the members above.
  SimProcess process_;
};

}  // namespace jobq::testing
