#include "broker/core/ready_queue.h"

#include <gtest/gtest.h>

namespace jobq::broker::core {
namespace {

std::vector<JobId> MakeIds(int count) {
  JobIdGenerator generator(1);
  std::vector<JobId> ids;
  for (int i = 0; i < count; ++i) {
    ids.push_back(generator.Next(i));
  }
  return ids;
}

TEST(ReadyQueueTest, EmptyQueueHasNoHead) {
  ReadyQueue queue;
  EXPECT_EQ(queue.Peek().kind, ReadyQueue::HeadKind::kEmpty);
}

TEST(ReadyQueueTest, PriorityThenFifo) {
  std::vector<JobId> ids = MakeIds(4);
  ReadyQueue queue;
  queue.Push(ids[0], 0);
  queue.Push(ids[1], 1);
  queue.Push(ids[2], 0);
  queue.Push(ids[3], 1);
  std::vector<JobId> order;
  while (queue.Peek().kind == ReadyQueue::HeadKind::kJob) {
    order.push_back(queue.Peek().id);
    queue.PopHead();
  }
  EXPECT_EQ(order, (std::vector<JobId>{ids[1], ids[3], ids[0], ids[2]}));
  EXPECT_EQ(queue.job_entries(), 0u);
}

TEST(ReadyQueueTest, SentinelIsABarrierAcrossPriorities) {
  std::vector<JobId> ids = MakeIds(6);
  ReadyQueue queue;
  queue.Push(ids[0], 0);
  queue.PushSentinel(ids[3]);
  queue.Push(ids[1], 100);
  queue.PushSentinel(ids[4]);
  queue.PushSentinel(ids[5]);
  queue.Push(ids[2], 0);
  EXPECT_EQ(queue.sentinels(), 3u);

  std::vector<std::string> seen;
  while (queue.Peek().kind != ReadyQueue::HeadKind::kEmpty) {
    ReadyQueue::Head head = queue.Peek();
    std::string name = head.id == ids[0]   ? "0"
                       : head.id == ids[1] ? "1"
                       : head.id == ids[2] ? "2"
                       : head.id == ids[3] ? "S3"
                       : head.id == ids[4] ? "S4"
                                           : "S5";
    if (head.kind == ReadyQueue::HeadKind::kSentinel) {
      EXPECT_EQ(name[0], 'S') << "a sentinel's head carries the sentinel's own id";
    }
    seen.push_back(name);
    queue.PopHead();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "S3", "1", "S4", "S5", "2"}));
}

TEST(ReadyQueueTest, PushFrontGoesAheadOfItsPriority) {
  std::vector<JobId> ids = MakeIds(3);
  ReadyQueue queue;
  queue.Push(ids[0], 0);
  queue.PushSentinel(ids[2]);
  queue.PushFront(ids[1], 0);
  EXPECT_EQ(queue.Peek().id, ids[1]) << "a requeued job goes before the sentinel";
}

}  // namespace
}  // namespace jobq::broker::core
