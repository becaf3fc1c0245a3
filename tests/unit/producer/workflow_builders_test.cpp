// Chain, Group and Chord, and the naming and checks of a WorkflowSpec
// (producer/client/workflow_builders.h, workflow.h): pure, no broker.

#include "producer/client/workflow_builders.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "producer/client/workflow.h"

namespace jobq::workflow_builders_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

wire::JobSpec Job(const std::string& task) {
  wire::JobSpec job;
  job.set_task(task);
  return job;
}

// Each node's parents, by name.
std::map<std::string, std::vector<std::string>> Edges(const WorkflowSpec& spec) {
  std::map<std::string, std::vector<std::string>> edges;
  for (const WorkflowNode& node : spec.nodes) {
    edges[node.name()] = {node.after().begin(), node.after().end()};
  }
  return edges;
}

std::vector<std::string> Names(const WorkflowSpec& spec) {
  std::vector<std::string> names;
  for (const WorkflowNode& node : spec.nodes) {
    names.push_back(node.name());
  }
  return names;
}

TEST(WorkflowBuildersTest, AChainLinksEachNodeToTheOneBefore) {
  WorkflowSpec spec =
      Chain(Node("a", Job("t")), Node("b", Job("t")), Node("c", Job("t"))).Build("x");
  EXPECT_EQ(spec.name, "x");
  EXPECT_THAT(Names(spec), ElementsAre("a", "b", "c"));
  auto edges = Edges(spec);
  EXPECT_THAT(edges["a"], IsEmpty());
  EXPECT_THAT(edges["b"], ElementsAre("a"));
  EXPECT_THAT(edges["c"], ElementsAre("b"));
  EXPECT_TRUE(CheckWorkflowSpec(spec).ok());
}

TEST(WorkflowBuildersTest, AGroupLinksNothing) {
  WorkflowSpec spec = Group(Node("a", Job("t")), Node("b", Job("t"))).Build("");
  auto edges = Edges(spec);
  EXPECT_THAT(edges["a"], IsEmpty());
  EXPECT_THAT(edges["b"], IsEmpty());
}

TEST(WorkflowBuildersTest, AChordsCallbackWaitsForEveryNodeOfItsHeader) {
  std::vector<Flow> chunks;
  for (int i = 0; i < 4; ++i) {
    chunks.push_back(Job("sum_squares"));
  }
  WorkflowSpec spec = Chord(Group(std::move(chunks)), Node("total", Job("add"))).Build("m");
  EXPECT_THAT(Names(spec), ElementsAre("sum_squares-1", "sum_squares-2", "sum_squares-3",
                                       "sum_squares-4", "total"));
  EXPECT_THAT(Edges(spec)["total"],
              ElementsAre("sum_squares-1", "sum_squares-2", "sum_squares-3", "sum_squares-4"));
}

TEST(WorkflowBuildersTest, PiecesCompose) {
  // A chain of groups is a layered DAG; a chord whose header is a chain
  // waits only for that chain's last node.
  WorkflowSpec layered = Chain(Group(Node("a", Job("t")), Node("b", Job("t"))),
                               Group(Node("c", Job("t")), Node("d", Job("t"))), Node("e", Job("t")))
                             .Build("");
  auto edges = Edges(layered);
  EXPECT_THAT(edges["c"], UnorderedElementsAre("a", "b"));
  EXPECT_THAT(edges["d"], UnorderedElementsAre("a", "b"));
  EXPECT_THAT(edges["e"], UnorderedElementsAre("c", "d"));

  WorkflowSpec chord =
      Chord(Chain(Node("f", Job("t")), Node("g", Job("t"))), Node("h", Job("t"))).Build("");
  edges = Edges(chord);
  EXPECT_THAT(edges["g"], ElementsAre("f"));
  EXPECT_THAT(edges["h"], ElementsAre("g"));

  // A diamond: the middle group's heads both wait for the first node.
  WorkflowSpec diamond =
      Chain(Node("top", Job("t")), Group(Node("l", Job("t")), Node("r", Job("t"))),
            Node("bottom", Job("t")))
          .Build("");
  edges = Edges(diamond);
  EXPECT_THAT(edges["l"], ElementsAre("top"));
  EXPECT_THAT(edges["r"], ElementsAre("top"));
  EXPECT_THAT(edges["bottom"], ElementsAre("l", "r"));

  // A group of chains: each chain keeps its own links; a callback after
  // the group waits for each chain's tail.
  WorkflowSpec chains = Chord(Group(Chain(Node("a1", Job("t")), Node("a2", Job("t"))),
                                    Chain(Node("b1", Job("t")), Node("b2", Job("t")))),
                              Node("end", Job("t")))
                            .Build("");
  edges = Edges(chains);
  EXPECT_THAT(edges["a2"], ElementsAre("a1"));
  EXPECT_THAT(edges["b1"], IsEmpty());
  EXPECT_THAT(edges["end"], ElementsAre("a2", "b2"));
}

TEST(WorkflowBuildersTest, EmptyPiecesAreNoOps) {
  WorkflowSpec spec = Chain(Flow(), Node("a", Job("t")), Group(), Node("b", Job("t"))).Build("");
  EXPECT_THAT(Names(spec), ElementsAre("a", "b"));
  EXPECT_THAT(Edges(spec)["b"], ElementsAre("a"));
  WorkflowSpec alone = Chord(Group(), Node("cb", Job("t"))).Build("");
  EXPECT_THAT(Edges(alone)["cb"], IsEmpty());
  EXPECT_TRUE(Flow().Build("").nodes.empty());
}

TEST(WorkflowBuildersTest, GeneratedNamesAreUniqueAndAvoidGivenOnes) {
  WorkflowSpec spec =
      Chain(Node("fetch-2", Job("fetch")), Job("fetch"), Job("fetch"), Job("my task:v2"), Job(""))
          .Build("");
  EXPECT_THAT(Names(spec), ElementsAre("fetch-2", "fetch-1", "fetch-3", "my_task_v2-1", "node-1"));
  for (const std::string& name : Names(spec)) {
    EXPECT_TRUE(IsValidNodeName(name)) << name;
  }
  // The same piece twice is two nodes.
  Flow one = Job("t");
  EXPECT_THAT(Names(Chain(one, one).Build("")), ElementsAre("t-1", "t-2"));
}

TEST(WorkflowBuildersTest, ALongTaskNameStillGivesAValidName) {
  WorkflowSpec spec = Flow(Job(std::string(500, 'x'))).Build("");
  ASSERT_EQ(spec.nodes.size(), 1u);
  EXPECT_TRUE(IsValidNodeName(spec.nodes[0].name())) << spec.nodes[0].name().size();
}

TEST(CheckWorkflowSpecTest, RefusesWhatTheBrokerWouldNamingTheNode) {
  EXPECT_THAT(std::string(CheckWorkflowSpec(WorkflowSpec{}).message()), HasSubstr("at least one"));

  WorkflowSpec duplicate = Group(Node("a", Job("t")), Node("a", Job("t"))).Build("");
  EXPECT_THAT(std::string(CheckWorkflowSpec(duplicate).message()),
              HasSubstr("two nodes are named \"a\""));

  WorkflowSpec no_task = Node("a", Job("")).Build("");
  EXPECT_THAT(std::string(CheckWorkflowSpec(no_task).message()),
              HasSubstr("node \"a\" has no task"));

  WorkflowSpec unknown = Node("a", Job("t")).Build("");
  unknown.nodes[0].add_after("ghost");
  EXPECT_THAT(std::string(CheckWorkflowSpec(unknown).message()),
              HasSubstr("node \"a\" waits for \"ghost\""));

  WorkflowSpec bad_name = Node("a b", Job("t")).Build("");
  EXPECT_THAT(std::string(CheckWorkflowSpec(bad_name).message()), HasSubstr("\"a b\""));
}

TEST(AddParentsTest, SetsTheIdsAndThePolicy) {
  wire::JobSpec job = Job("t");
  const JobId a = *JobId::FromBytes(std::string(16, 'a'));
  const JobId b = *JobId::FromBytes(std::string(16, 'b'));
  AddParents(job, {a, b}, wire::PARENT_FAILURE_RUN);
  EXPECT_THAT(job.after(), ElementsAre(std::string(16, 'a'), std::string(16, 'b')));
  EXPECT_EQ(job.on_parent_failure(), wire::PARENT_FAILURE_RUN);
}

}  // namespace
}  // namespace jobq::workflow_builders_test
