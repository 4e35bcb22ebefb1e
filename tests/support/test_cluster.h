// Test support: the Kafka cluster a test talks to, on one of two peers.
//
//  - Peer::kMock: librdkafka 2.0.2's mock cluster, started inside the test process for each test.
//    Fast, and the only peer that can take a broker down on command; it has no admin API, no
//    transaction markers, no compaction (docs/testing.md).
//  - Peer::kRealKafka: Apache Kafka, the suite's shared `source` and `target` clusters that
//    tests/kafka/kafka_cluster.py starts (the ctest fixture `kafka`). A test finds them through
//    $FERRY_KAFKA_RUN/<name>/bootstrap, or FERRY_SOURCE_BOOTSTRAP / FERRY_TARGET_BOOTSTRAP for
//    clusters of the user's. They outlive the test and other tests share them: every name a test
//    makes on them goes through UniqueName().
//
// Where a real broker is needed and none runs, the test fails under CI (CI or
// FERRY_REQUIRE_REAL_KAFKA set) and is skipped elsewhere, saying so (RealKafkaMissing()).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/kafka/admin.h"
#include "worker/kafka/client.h"
#include "worker/kafka/mock_cluster.h"

namespace ferry::testing {

enum class Peer { kMock, kRealKafka };
std::ostream& operator<<(std::ostream& os, Peer peer);
// For INSTANTIATE_TEST_SUITE_P: "mock" or "kafka".
std::string PeerName(const ::testing::TestParamInfo<Peer>& info);

// The bootstrap servers of the real cluster `name` ("source", "target"), or nullopt if none runs.
std::optional<std::string> RealKafkaBootstrap(const std::string& name);
// Why a test needing `name` cannot run, and whether that is a failure here (under CI) or a skip.
struct RealKafkaMissing {
  std::string why;
  bool fail;
};
RealKafkaMissing NoRealKafka(const std::string& name);

// The secured listeners kafka_cluster.py opens on every node (its docstring): `listener` is
// SASL_PLAINTEXT, SSL (mTLS), SASL_SSL, EXPIRED or WRONGHOST. Nullopt when the cluster `name` does
// not run under $FERRY_KAFKA_RUN or has no such listener (e.g. clusters given by FERRY_*_BOOTSTRAP).
std::optional<std::string> RealKafkaListener(const std::string& name, const std::string& listener);
// The test CA's files and the SASL users of the clusters under $FERRY_KAFKA_RUN
// (RUN/tls/security.properties): keys ca, other.ca, client.certificate, client.key,
// client.key.encrypted, client.key.password, user.<name> (that user's password).
std::optional<Properties> RealKafkaSecurity();
// In a test body or SetUp: ends the test when the real cluster `name` does not run, as a failure
// under CI and a skip elsewhere.
#define FERRY_REQUIRE_REAL_KAFKA(name)                                              \
  do {                                                                              \
    if (!::ferry::testing::RealKafkaBootstrap(name)) {                              \
      const ::ferry::testing::RealKafkaMissing missing = ::ferry::testing::NoRealKafka(name); \
      if (missing.fail) FAIL() << missing.why;                                      \
      GTEST_SKIP() << missing.why;                                                  \
    }                                                                               \
  } while (false)

class TestCluster {
 public:
  static Result<std::unique_ptr<TestCluster>> StartMock(int brokers);
  // The running real cluster `name`; kNotFound if none runs.
  static Result<std::unique_ptr<TestCluster>> ConnectReal(const std::string& name);
  // A running real cluster at `bootstrap`.
  static Result<std::unique_ptr<TestCluster>> ConnectTo(const std::string& bootstrap);

  Peer peer() const { return mock_ ? Peer::kMock : Peer::kRealKafka; }
  bool real() const { return peer() == Peer::kRealKafka; }
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }

  // Creates `topic` and waits until its metadata is visible. On the mock, `configs` must be empty
  // (it has no CreateTopics); on a real cluster the replication factor is the broker's default.
  Result<> CreateTopic(const std::string& topic, int partitions, const Properties& configs = {});
  // The partition count of `topic` as the cluster's metadata says.
  Result<int> PartitionCount(const std::string& topic);
  kafka::Watermarks WatermarksOf(const TopicPartition& tp);  // ADD_FAILURE and {-1,-1} on error

  // Real clusters only: moves `tp`'s log start to `offset` (DeleteRecords).
  Result<> DeleteRecordsBefore(const TopicPartition& tp, int64_t offset);
  // Real clusters only: the Admin client Ferry itself uses.
  kafka::Admin& admin();
  // The mock only: broker faults and the raw mock handle.
  kafka::MockCluster& mock();

 private:
  TestCluster(std::unique_ptr<kafka::MockCluster> mock, std::string bootstrap);

  std::unique_ptr<kafka::MockCluster> mock_;
  std::string bootstrap_servers_;
  kafka::AdminPtr admin_;
  kafka::HandlePtr client_;  // metadata and watermark look-ups
};

// A real cluster of its own for one test (e.g. three nodes, so that leadership can move), started by
// tests/kafka/kafka_cluster.py under $FERRY_KAFKA_RUN and stopped by the destructor. Starting one
// costs a few seconds per node; the shared clusters serve every test that does not stop brokers.
class LaunchedKafka {
 public:
  // `version`: an Apache Kafka release on Maven Central ("3.9.1"); empty: the launcher's default.
  static Result<std::unique_ptr<LaunchedKafka>> Start(const std::string& name, int nodes,
                                                      const std::string& version = "");
  ~LaunchedKafka();
  LaunchedKafka(const LaunchedKafka&) = delete;
  LaunchedKafka& operator=(const LaunchedKafka&) = delete;

  TestCluster& cluster() { return *cluster_; }
  // Controlled shutdown of node `node` (1-based), and its start again on the same port and data.
  Result<> StopNode(int node);
  Result<> StartNode(int node);

 private:
  explicit LaunchedKafka(std::string name) : name_(std::move(name)) {}
  std::string name_;
  std::unique_ptr<TestCluster> cluster_;
};

// MM2's connectors create their topics with 3 replicas (2 for remote topics), more than the one-node
// real test clusters have: on real Kafka, JSON members (",\"k\":\"v\"...") setting them to 1 for a
// connector config; nothing on the mock, where tests make the topics.
std::string Mm2ReplicationFactors(Peer peer);

// A name no other test (of this run or an earlier one on the same clusters) uses: `base` plus a
// suffix made once per test. Topic names stay valid Kafka names.
std::string UniqueName(const std::string& base);

}  // namespace ferry::testing
