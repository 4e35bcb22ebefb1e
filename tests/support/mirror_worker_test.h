// Test support: a fixture for tests that run Ferry workers mirroring `orders` from the source
// (alias A) to the target (alias B): the workers' Connect topics on the target, `orders` and
// `A.orders`, and MM2's offset-syncs topic, all made up front (the mock has no CreateTopics).
//
// On the mock every test has clusters of its own and the names are plain. On real Kafka the
// clusters are shared, so the topic, the workers' group and their topics get UniqueName()s: tests
// use orders_, remote_orders_ and worker_prefix_, never the literals. The offset-syncs topic is named
// after the target alias, as in MM2, and is shared by the tests of a run (syncs are per topic).
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "tests/support/two_clusters.h"
#include "tests/support/worker_harness.h"
#include "worker/common/json.h"

namespace ferry::testing {

class MirrorWorkerTest : public TwoClustersTest {
 protected:
  explicit MirrorWorkerTest(Peer peer = Peer::kMock)
      : TwoClustersTest(peer),
        orders_(Name("orders")),
        remote_orders_("A." + orders_),
        worker_prefix_(Name("w")) {}

  // A plain name on the mock, a UniqueName() on real Kafka.
  std::string Name(const std::string& base) const { return real_kafka() ? UniqueName(base) : base; }

  // Configs for a topic that holds MakeRecords' records: they are stamped in 2020, so on a real broker
  // time retention (7 days) would delete them at its next check (every 5 minutes), mid-test.
  Properties KeepRecords() const { return real_kafka() ? Properties{{"retention.ms", "-1"}} : Properties{}; }

  // Call from SetUp(): topics with `partitions` partitions, and worker_props_ for workers of worker_prefix_.
  void SetUpMirror(int partitions) {
    TwoClustersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(target().CreateTopic(worker_prefix_ + "-configs", 1).ok());
    ASSERT_TRUE(target().CreateTopic(worker_prefix_ + "-offsets", 5).ok());
    ASSERT_TRUE(target().CreateTopic(worker_prefix_ + "-status", 3).ok());
    ASSERT_TRUE(source().CreateTopic(orders_, partitions, KeepRecords()).ok());
    ASSERT_TRUE(target().CreateTopic(remote_orders_, partitions, KeepRecords()).ok());
    if (!real_kafka()) {
      ASSERT_TRUE(source().CreateTopic("mm2-offset-syncs.B.internal", 1).ok());
    }
    worker_props_ = DistributedWorkerProps(target().bootstrap_servers(), worker_prefix_, peer());
  }

  // The MirrorSourceConnector config (JSON) for `topic` (default: orders_). Topic config and ACL
  // syncs are off here; tests/e2e/mirror_connectors_real_test.cc runs them on real brokers.
  std::string MirrorConfig(int tasks_max, const std::string& topic = "") {
    return "{\"connector.class\":\"MirrorSourceConnector\",\"source.cluster.alias\":\"A\",\"target.cluster.alias\":\"B\","
           "\"source.cluster.bootstrap.servers\":" + json::Quote(source().bootstrap_servers()) + ","
           "\"target.cluster.bootstrap.servers\":" + json::Quote(target().bootstrap_servers()) + ","
           "\"topics\":" + json::Quote(topic.empty() ? orders_ : topic) + ",\"tasks.max\":\"" +
           std::to_string(tasks_max) + "\","
           "\"source.consumer.fetch.wait.max.ms\":\"50\",\"refresh.topics.enabled\":\"false\","
           "\"sync.topic.configs.enabled\":\"false\",\"sync.topic.acls.enabled\":\"false\"" +
           ReplicationFactors() + "}";
  }

  std::string ReplicationFactors() const { return Mm2ReplicationFactors(peer()); }

  const std::string orders_;
  const std::string remote_orders_;
  const std::string worker_prefix_;
  Properties worker_props_;
};

}  // namespace ferry::testing
