// ClientSession alone: no socket, no thread. The test plays the broker
// (decoded messages in, what the session sent read from a RecordingSink),
// the socket monitor (connected, disconnected) and the I/O loop's turns,
// giving each the time of a ManualClock it moves for the timeouts. Futures
// are read from their FutureStates, which the session completes or fails.

#include "producer/client/internal/client_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/framing.h"
#include "common/job_id.h"
#include "common/wake_fd.h"
#include "jobq/wire.pb.h"
#include "producer/client/client.h"
#include "producer/client/internal/message_sink.h"
#include "producer/client/internal/shared_state.h"
#include "tests/unit/producer/client_session_fixture.h"

namespace jobq::client_internal::session_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// One SUBMIT as sent: its first_seq, and per job the payload and token.
struct SubmitShape {
  uint64_t first_seq = 0;
  std::vector<std::string> payloads;
  std::vector<std::string> tokens;

  friend bool operator==(const SubmitShape&, const SubmitShape&) = default;
  friend std::ostream& operator<<(std::ostream& out, const SubmitShape& shape) {
    out << "{first_seq " << shape.first_seq << ", payloads";
    for (const std::string& payload : shape.payloads) {
      out << " '" << payload << "'";
    }
    return out << ", " << shape.tokens.size() << " tokens}";
  }
};

// `messages` decoded, each of which must be a SUBMIT.
std::vector<SubmitShape> Submits(const std::vector<SentMessage>& messages) {
  std::vector<SubmitShape> shapes;
  for (const SentMessage& message : messages) {
    EXPECT_EQ(message.command, Command::kSubmit) << CommandName(message.command);
    wire::Submit submit;
    EXPECT_TRUE(submit.ParseFromString(message.body));
    SubmitShape& shape = shapes.emplace_back();
    shape.first_seq = submit.first_seq();
    for (const wire::JobSpec& job : submit.jobs()) {
      shape.payloads.push_back(job.payload());
      shape.tokens.push_back(job.submit_token());
    }
  }
  return shapes;
}

class ClientSessionTest : public ClientSessionFixture {
 protected:
  // What Client::Submit queues, then the I/O thread's take of it.
  std::shared_ptr<FutureState> Submit(const std::string& payload, bool notify = false) {
    auto state = std::make_shared<FutureState>(notify, 0, nullptr);
    JobSpec spec;
    spec.set_task("echo");
    spec.set_payload(payload);
    {
      std::lock_guard lock(shared_->mutex);
      ++shared_->window_used;
      shared_->outbox.push_back(OutItem{OutItem::Type::kJob, std::move(spec), "", state});
    }
    EXPECT_TRUE(session_->TakeRequests());
    return state;
  }

  // What Client::SendSentinel queues before it blocks.
  std::shared_ptr<FutureState> SendSentinel(const std::string& queue) {
    auto state = std::make_shared<FutureState>(/*notify=*/false, 0, nullptr);
    {
      std::lock_guard lock(shared_->mutex);
      shared_->outbox.push_back(OutItem{OutItem::Type::kSentinel, {}, queue, state});
    }
    EXPECT_TRUE(session_->TakeRequests());
    return state;
  }

  // What Client::Wait queues for one id.
  std::shared_ptr<FutureState> Wait(const JobId& id) {
    auto state = std::make_shared<FutureState>(/*notify=*/true, 0, nullptr);
    state->ack.emplace().id = id;
    {
      std::lock_guard lock(shared_->mutex);
      shared_->new_waits.push_back(state);
    }
    EXPECT_TRUE(session_->TakeRequests());
    return state;
  }

  void AckSeqs(const std::vector<uint64_t>& seqs) {
    wire::Submitted submitted;
    for (uint64_t seq : seqs) {
      wire::SubmitAck* ack = submitted.add_acks();
      ack->set_client_seq(seq);
      ack->set_id(std::string(IdFor('i', seq).Bytes()));
    }
    Deliver(Command::kSubmitted, submitted);
  }
};

TEST_F(ClientSessionTest, AReconnectResendsUnacknowledgedJobsWithTheirSeqsAndTokensFirst) {
  ClientOptions options;
  options.batch_jobs_max = 2;
  MakeSession(options);
  std::vector<std::shared_ptr<FutureState>> futures;
  for (int i = 0; i < 4; ++i) {
    futures.push_back(Submit("job " + std::to_string(i)));
  }
  Turn();
  EXPECT_THAT(sink_.Take(), IsEmpty()) << "sent before any connection";

  session_->OnConnected(clock_.NowMs());
  Turn();
  EXPECT_THAT(Submits(sink_.Take()),
              ElementsAre(SubmitShape{1, {"job 0", "job 1"}, {TokenFor(1), TokenFor(2)}},
                          SubmitShape{3, {"job 2", "job 3"}, {TokenFor(3), TokenFor(4)}}));
  AckSeqs({2});
  ASSERT_TRUE(futures[1]->ack.has_value());
  EXPECT_EQ(futures[1]->ack->id, IdFor('i', 2));

  session_->OnDisconnected();
  futures.push_back(Submit("job 4"));
  futures.push_back(Submit("job 5"));
  Turn();
  EXPECT_THAT(sink_.Take(), IsEmpty()) << "sent while disconnected";

  clock_.AdvanceMs(100);
  session_->OnConnected(clock_.NowMs());
  Turn();
  // Seq 2, acknowledged, is not sent again, and its gap splits the re-send;
  // the jobs submitted meanwhile go only after it.
  EXPECT_THAT(Submits(sink_.Take()),
              ElementsAre(SubmitShape{1, {"job 0"}, {TokenFor(1)}},
                          SubmitShape{3, {"job 2", "job 3"}, {TokenFor(3), TokenFor(4)}},
                          SubmitShape{5, {"job 4", "job 5"}, {TokenFor(5), TokenFor(6)}}));

  AckSeqs({1, 3, 4, 5, 6});
  for (size_t i = 0; i < futures.size(); ++i) {
    ASSERT_TRUE(futures[i]->ack.has_value()) << "job " << i << ": " << futures[i]->failure;
    EXPECT_EQ(futures[i]->ack->id, IdFor('i', i + 1)) << "job " << i;
  }
  EXPECT_EQ(shared_->window_used, 0u);
  EXPECT_TRUE(shared_->failure.ok()) << shared_->failure;
}

// What a broker started with --batch-max `batch_max` answers a SUBMIT of more.
wire::Error TooManyJobs(uint64_t first_seq, int jobs, uint32_t batch_max) {
  wire::Error error;
  error.set_code(wire::ERROR_CODE_TOO_LARGE);
  error.set_text("SUBMIT carries " + std::to_string(jobs) + " jobs; the limit is " +
                 std::to_string(batch_max) + " per message (--batch-max): split the batch");
  error.set_first_seq(first_seq);
  error.set_batch_max(batch_max);
  return error;
}

TEST_F(ClientSessionTest, WithSeveralBrokersJobsUnacknowledgedOnALiveConnectionGoAgain) {
  ClientOptions options;
  options.batch_jobs_max = 1;  // each job its own SUBMIT, none held back
  MakeSession(options, std::string(kEndpoint) + ",tcp://standby.test:5555");
  std::shared_ptr<FutureState> first = Submit("first");
  session_->OnConnected(clock_.NowMs());
  Turn();
  ASSERT_THAT(Submits(sink_.Take()), ElementsAre(SubmitShape{1, {"first"}, {TokenFor(1)}}));
  clock_.AdvanceMs(ClientSession::kSeveralBrokersResendMs - 1);
  std::shared_ptr<FutureState> second = Submit("second");
  Turn();
  ASSERT_THAT(Submits(sink_.Take()), ElementsAre(SubmitShape{2, {"second"}, {TokenFor(2)}}));

  // Lost on a connection that was closing, say: only the job sent that
  // long ago goes again, with its seq and token.
  clock_.AdvanceMs(1);
  ASSERT_EQ(session_->NextDeadline(), clock_.NowMs());
  Turn();
  Turn();
  EXPECT_THAT(Submits(sink_.Take()), ElementsAre(SubmitShape{1, {"first"}, {TokenFor(1)}}));
  AckSeqs({1, 2});
  EXPECT_TRUE(first->ack.has_value());
  EXPECT_TRUE(second->ack.has_value());
  clock_.AdvanceMs(ClientSession::kSeveralBrokersResendMs);
  Turn();
  EXPECT_THAT(sink_.Take(), IsEmpty()) << "nothing is unacknowledged";
}

TEST_F(ClientSessionTest, WithOneBrokerAJobIsNotSentTwiceOnOneConnection) {
  MakeSession();
  Submit("only");
  session_->OnConnected(clock_.NowMs());
  Turn();
  ASSERT_THAT(Submits(sink_.Take()), SizeIs(1));
  clock_.AdvanceMs(ClientSession::kSeveralBrokersResendMs);
  Turn();
  EXPECT_THAT(sink_.Take(), IsEmpty());
}

TEST_F(ClientSessionTest, ASubmitRefusedForItsSizeGoesAgainInSubmitsOfAtMostTheBrokersLimit) {
  ClientOptions options;
  options.batch_jobs_max = 5;
  MakeSession(options);
  std::vector<std::shared_ptr<FutureState>> futures;
  for (int i = 0; i < 5; ++i) {
    futures.push_back(Submit(std::to_string(i)));
  }
  session_->OnConnected(clock_.NowMs());
  Turn();
  ASSERT_THAT(
      Submits(sink_.Take()),
      ElementsAre(SubmitShape{1,
                              {"0", "1", "2", "3", "4"},
                              {TokenFor(1), TokenFor(2), TokenFor(3), TokenFor(4), TokenFor(5)}}));

  Deliver(Command::kError, TooManyJobs(1, 5, 2));
  Turn();
  EXPECT_THAT(Submits(sink_.Take()),
              ElementsAre(SubmitShape{1, {"0", "1"}, {TokenFor(1), TokenFor(2)}},
                          SubmitShape{3, {"2", "3"}, {TokenFor(3), TokenFor(4)}},
                          SubmitShape{5, {"4"}, {TokenFor(5)}}));
  for (size_t i = 0; i < futures.size(); ++i) {
    EXPECT_TRUE(futures[i]->failure.ok()) << "job " << i << ": " << futures[i]->failure;
    EXPECT_FALSE(futures[i]->ack.has_value()) << "job " << i;
  }
  EXPECT_TRUE(shared_->failure.ok()) << shared_->failure;

  // Later SUBMITs keep to the limit learned: three jobs are a full SUBMIT
  // of two, then one held back behind its ack.
  AckSeqs({1, 2, 3, 4, 5});
  for (int i = 0; i < 3; ++i) {
    Submit("later " + std::to_string(i));
  }
  Turn();
  EXPECT_THAT(Submits(sink_.Take()),
              ElementsAre(SubmitShape{6, {"later 0", "later 1"}, {TokenFor(6), TokenFor(7)}}));
}

TEST_F(ClientSessionTest, NoConnectionWithinTheConnectTimeoutFailsThePendingJobs) {
  ClientOptions options;
  options.connect_timeout_ms = 500;
  options.reconnect_timeout_ms = 60'000;  // not this one: the broker never answered
  MakeSession(options);
  std::shared_ptr<FutureState> job = Submit("lost");
  Turn();
  EXPECT_EQ(session_->NextDeadline(), clock_.NowMs() + 500);

  clock_.AdvanceMs(499);
  Turn();
  EXPECT_TRUE(job->failure.ok()) << job->failure;
  clock_.AdvanceMs(1);
  Turn();
  // Never sent, so not of unknown fate: the message says nothing of it.
  EXPECT_EQ(job->failure, absl::UnavailableError("cannot reach the broker at "
                                                 "tcp://broker.test:5555 (no reply in 0.5 s): is "
                                                 "jobq-broker running?"));
  EXPECT_EQ(shared_->failure, job->failure);
  EXPECT_FALSE(session_->NextDeadline().has_value());
}

TEST_F(ClientSessionTest, AWaitOnAConnectionTheBrokerKeepsOpenOutlastsTheConnectTimeout) {
  // `jobq wait` of a job that runs for minutes: WAIT is not acknowledged,
  // so the broker says nothing until the job ends.
  ClientOptions options;
  options.connect_timeout_ms = 5000;
  MakeSession(options);
  std::shared_ptr<FutureState> waiting = Wait(IdFor('i', 1));
  Turn();
  clock_.AdvanceMs(100);
  session_->OnConnected(clock_.NowMs());
  Turn();
  for (int second = 0; second < 60; ++second) {
    clock_.AdvanceMs(1000);
    Turn();
    ASSERT_TRUE(shared_->failure.ok()) << "after " << second + 1 << " s: " << shared_->failure;
  }
  EXPECT_TRUE(waiting->failure.ok()) << waiting->failure;

  // Lost after that, the broker gets the reconnect timeout, not the
  // connect timeout: it was reached.
  session_->OnDisconnected();
  Turn();
  clock_.AdvanceMs(options.connect_timeout_ms);
  Turn();
  EXPECT_TRUE(waiting->failure.ok()) << waiting->failure;
}

TEST_F(ClientSessionTest, ConnectionsClosedBeforeAnyAnswerDoNotRestartTheConnectTimeout) {
  ClientOptions options;
  options.connect_timeout_ms = 500;
  MakeSession(options);
  const TimeMs start = clock_.NowMs();
  std::shared_ptr<FutureState> job = Submit("lost");
  Turn();

  // Two connections, each closed unanswered, as a broker at its
  // --connections-max does.
  for (int i = 0; i < 2; ++i) {
    clock_.AdvanceMs(200);
    session_->OnConnected(clock_.NowMs());
    Turn();
    EXPECT_THAT(Submits(sink_.Take()), ElementsAre(SubmitShape{1, {"lost"}, {TokenFor(1)}}));
    session_->OnDisconnected();
    Turn();
    EXPECT_EQ(session_->NextDeadline(), start + 500) << "connection " << i;
  }
  clock_.AdvanceMs(99);
  Turn();
  EXPECT_TRUE(job->failure.ok()) << job->failure;
  clock_.AdvanceMs(1);
  Turn();
  EXPECT_EQ(job->failure,
            absl::UnavailableError(
                "cannot reach the broker at tcp://broker.test:5555 (no reply in 0.5 s): is "
                "jobq-broker running? 2 connections were closed before the broker answered: one "
                "at its --connections-max does that (see connections_max_reached in its log), as "
                "does one that stopped; 1 submitted job was not acknowledged and may or may not "
                "have been accepted (submit again once the broker is back; an idempotency key "
                "keeps a job accepted already from being created twice)"));
}

TEST_F(ClientSessionTest, AResultCompletesItsFutureAndAnErrorFailsTheSubmitWithTheBrokersWords) {
  MakeSession();
  session_->OnConnected(clock_.NowMs());
  std::shared_ptr<FutureState> notified = Submit("notified", /*notify=*/true);
  std::shared_ptr<FutureState> waited = Wait(IdFor('i', 42));
  Turn();
  std::vector<SentMessage> sent = sink_.Take();
  ASSERT_THAT(sent, SizeIs(2));
  EXPECT_THAT(Submits({sent[0]}), ElementsAre(SubmitShape{1, {"notified"}, {TokenFor(1)}}));
  ASSERT_EQ(sent[1].command, Command::kWait);
  wire::Wait wait;
  ASSERT_TRUE(wait.ParseFromString(sent[1].body));
  EXPECT_THAT(wait.ids(), ElementsAre(std::string(IdFor('i', 42).Bytes())));

  AckSeqs({1});
  ASSERT_TRUE(notified->ack.has_value());
  EXPECT_EQ(notified->ack->id, IdFor('i', 1));
  EXPECT_FALSE(notified->Done()) << "done before its outcome";

  wire::ClientResults results;
  wire::JobOutcome* running = results.add_outcomes();  // not final: ignored
  running->set_id(std::string(IdFor('i', 1).Bytes()));
  running->set_state(wire::JOB_STATE_RUNNING);
  wire::JobOutcome* other = results.add_outcomes();  // nobody waits for it
  other->set_id(std::string(IdFor('i', 7).Bytes()));
  other->set_state(wire::JOB_STATE_SUCCEEDED);
  Deliver(Command::kClientResult, results);
  EXPECT_FALSE(notified->Done()) << "completed by an outcome that is not final";
  EXPECT_FALSE(waited->Done()) << "completed by another job's outcome";

  results.Clear();
  wire::JobOutcome* done = results.add_outcomes();
  done->set_id(std::string(IdFor('i', 1).Bytes()));
  done->set_state(wire::JOB_STATE_SUCCEEDED);
  done->set_attempts(2);
  done->set_result("{\"answer\":1}");
  wire::JobOutcome* failed = results.add_outcomes();
  failed->set_id(std::string(IdFor('i', 42).Bytes()));
  failed->set_state(wire::JOB_STATE_FAILED);
  failed->mutable_error()->set_type("ValueError");
  Deliver(Command::kClientResult, results);
  ASSERT_TRUE(notified->outcome.has_value());
  EXPECT_EQ(notified->outcome->id, IdFor('i', 1));
  EXPECT_EQ(notified->outcome->state, wire::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(notified->outcome->attempts, 2u);
  EXPECT_EQ(notified->outcome->result, "{\"answer\":1}");
  ASSERT_TRUE(waited->outcome.has_value());
  EXPECT_EQ(waited->outcome->state, wire::JOB_STATE_FAILED);
  EXPECT_EQ(waited->outcome->error.type(), "ValueError");

  std::shared_ptr<FutureState> refused = Submit("refused");
  Turn();
  EXPECT_THAT(Submits(sink_.Take()), ElementsAre(SubmitShape{2, {"refused"}, {TokenFor(2)}}));
  wire::Error error;
  error.set_code(wire::ERROR_CODE_QUEUE_FULL);
  error.set_text("queue default holds 10 jobs (--queue-max)");
  Deliver(Command::kError, error);
  EXPECT_EQ(refused->failure,
            absl::ResourceExhaustedError("the broker at tcp://broker.test:5555 rejected a request "
                                         "(ERROR_CODE_QUEUE_FULL): queue default holds 10 jobs "
                                         "(--queue-max)"));
  EXPECT_EQ(shared_->failure, refused->failure);
  EXPECT_TRUE(notified->failure.ok()) << "failed after it was done: " << notified->failure;
}

TEST_F(ClientSessionTest, ASentinelSentOnALostConnectionFailsAndIsNotResent) {
  MakeSession();
  session_->OnConnected(clock_.NowMs());
  std::shared_ptr<FutureState> job = Submit("before the sentinel");
  std::shared_ptr<FutureState> sentinel = SendSentinel("reports");
  Turn();
  std::vector<SentMessage> sent = sink_.Take();
  ASSERT_THAT(sent, SizeIs(2));
  EXPECT_EQ(sent[0].command, Command::kSubmit);
  ASSERT_EQ(sent[1].command, Command::kSentinel);
  wire::Sentinel sent_sentinel;
  ASSERT_TRUE(sent_sentinel.ParseFromString(sent[1].body));
  EXPECT_EQ(sent_sentinel.queue(), "reports");

  session_->OnDisconnected();
  EXPECT_TRUE(sentinel->failure.ok()) << "failed before the next connection: " << sentinel->failure;
  session_->OnConnected(clock_.NowMs());
  EXPECT_FALSE(sentinel->sent);
  EXPECT_EQ(sentinel->failure,
            absl::UnavailableError(
                "the connection to the broker at tcp://broker.test:5555 was lost before it "
                "acknowledged the sentinel for queue reports, so it may or may not be in the "
                "queue: check the queue's SENTINELS in `jobq status` before sending another, "
                "which would be a second barrier"));
  Turn();
  EXPECT_THAT(Submits(sink_.Take()),
              ElementsAre(SubmitShape{1, {"before the sentinel"}, {TokenFor(1)}}));
  EXPECT_TRUE(job->failure.ok()) << job->failure;
  EXPECT_TRUE(shared_->failure.ok()) << shared_->failure;

  // The client stays usable: the next sentinel is confirmed by its ack.
  std::shared_ptr<FutureState> next = SendSentinel("billing");
  Turn();
  sent = sink_.Take();
  ASSERT_THAT(sent, SizeIs(1));
  ASSERT_EQ(sent[0].command, Command::kSentinel);
  wire::Submitted submitted;
  submitted.set_sentinels(1);
  Deliver(Command::kSubmitted, submitted);
  EXPECT_TRUE(next->sent);
  EXPECT_TRUE(next->failure.ok()) << next->failure;
}

TEST_F(ClientSessionTest, ARefusedSendWaitsForTheNextConnectionAndGoesAgainUnchanged) {
  MakeSession();
  session_->OnConnected(clock_.NowMs());
  std::shared_ptr<FutureState> job = Submit("refused once");
  sink_.RefuseNext();
  Turn();
  EXPECT_THAT(sink_.Take(), IsEmpty());
  EXPECT_FALSE(session_->connected());
  EXPECT_FALSE(session_->WantsToSend()) << "would poll for POLLOUT with no connection";
  Turn();
  EXPECT_THAT(sink_.Take(), IsEmpty()) << "sent before the monitor reported a connection";

  session_->OnDisconnected();
  session_->OnConnected(clock_.NowMs());
  EXPECT_TRUE(session_->WantsToSend());
  Turn();
  EXPECT_THAT(Submits(sink_.Take()), ElementsAre(SubmitShape{1, {"refused once"}, {TokenFor(1)}}));
  EXPECT_TRUE(job->failure.ok()) << job->failure;
}

}  // namespace
}  // namespace jobq::client_internal::session_test
