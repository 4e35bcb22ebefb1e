// Test support: a source and a target cluster, on the mock (3 brokers each, new for every test) or
// on real Kafka (the suite's shared clusters; see test_cluster.h), and helpers to write records with
// every feature a mirror must keep (null keys, tombstones, headers, timestamps) and to read
// partitions back completely.
//
// A suite that runs on both peers derives from OnPeers<Fixture> and is instantiated with
// FERRY_INSTANTIATE_ON_PEERS(Suite): its tests are named Mock/Suite.Test/mock and
// RealKafka/Suite.Test/kafka. A suite that needs the mock (broker faults) derives from the fixture
// alone and uses TEST_F. Every topic, group and connector name goes through UniqueName().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/test_cluster.h"
#include "worker/kafka/admin.h"
#include "worker/kafka/record_io.h"

namespace ferry::testing {

using kafka::Record;

// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// `count` records numbered from `first`: varied keys and sizes, a null key every 7th, a tombstone
// every 11th, an empty value every 13th, one to three headers (one null-valued), explicit timestamps
// (the same for the same numbers within one process).
std::vector<Record> MakeRecords(int64_t first, int64_t count, size_t value_bytes = 100);

// What an application with manual commits does: reads up to `max` records of `tp` from the group's
// committed offset (or the log start), then commits.
std::vector<Record> ConsumeAndCommit(const std::string& bootstrap, const std::string& group, const TopicPartition& tp,
                                     size_t max);

// Runs `before` once, at the first non-empty offset commit through this Admin (a cutover's commit),
// then commits: a test picks the moment, while the broker, the consumer and its commit are real.
class BeforeCommitAdmin : public kafka::ForwardingAdmin {
 public:
  BeforeCommitAdmin(kafka::AdminPtr admin, std::function<void()> before)
      : ForwardingAdmin(std::move(admin)), before_(std::move(before)) {}
  Result<> AlterConsumerGroupOffsets(const std::string& group, const kafka::GroupOffsets& offsets) override {
    if (before_ && !offsets.empty()) std::exchange(before_, nullptr)();
    return ForwardingAdmin::AlterConsumerGroupOffsets(group, offsets);
  }

 private:
  std::function<void()> before_;
};

class TwoClustersTest : public ::testing::Test {
 protected:
  explicit TwoClustersTest(Peer peer = Peer::kMock) : peer_(peer) {}
  void SetUp() override;

  Peer peer() const { return peer_; }
  bool real_kafka() const { return peer_ == Peer::kRealKafka; }
  TestCluster& source() { return *source_; }
  TestCluster& target() { return *target_; }

  // Writes `records` to one partition and waits until all are acknowledged.
  void Produce(TestCluster& cluster, const std::string& topic, int32_t partition, const std::vector<Record>& records);
  // Real Kafka only (the mock writes no transaction markers): writes each batch to `tp` as one
  // transaction of a transactional producer (a transactional.id of its own), committed or aborted as
  // its flag says. Kafka puts a control record (the marker) at the offset after each batch's last
  // record: a gap in the partition's offsets.
  void ProduceTransactions(TestCluster& cluster, const TopicPartition& tp,
                           const std::vector<std::pair<std::vector<Record>, bool>>& batches);
  std::vector<Record> Read(TestCluster& cluster, const TopicPartition& tp);
  // For waits: how many records `tp` holds, 0 while it does not exist yet (a topic Ferry will create).
  size_t CountRecords(TestCluster& cluster, const TopicPartition& tp);

 private:
  Peer peer_;
  std::unique_ptr<TestCluster> source_;
  std::unique_ptr<TestCluster> target_;
};

// `Fixture` run on the peer the test is instantiated with.
template <typename Fixture>
class OnPeers : public Fixture, public ::testing::WithParamInterface<Peer> {
 protected:
  OnPeers() : Fixture(GetParam()) {}
};

// End-to-end suites run on real Kafka only: the mock duplicated them at twice the cost (its
// rebalances wait session.timeout.ms - 1 s) and proves nothing the real broker does not. What only
// the mock can show (a broker down on command, injected errors) lives in the *OnMock suites.
#define FERRY_INSTANTIATE_ON_REAL_KAFKA(Suite)                                                       \
  INSTANTIATE_TEST_SUITE_P(RealKafka, Suite, ::testing::Values(::ferry::testing::Peer::kRealKafka), \
                           ::ferry::testing::PeerName)

// Quick suites that also run on the mock, so that they run where no real broker can be started.
#define FERRY_INSTANTIATE_ON_PEERS(Suite)                                                            \
  INSTANTIATE_TEST_SUITE_P(Mock, Suite, ::testing::Values(::ferry::testing::Peer::kMock),            \
                           ::ferry::testing::PeerName);                                              \
  INSTANTIATE_TEST_SUITE_P(RealKafka, Suite, ::testing::Values(::ferry::testing::Peer::kRealKafka), \
                           ::ferry::testing::PeerName)

}  // namespace ferry::testing
