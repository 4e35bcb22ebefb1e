// Test support: a fixture for tests that run Ferry workers mirroring `orders` from the source
// (alias A) to the target (alias B): the workers' Connect topics on the target, `orders` and
// `A.orders`, and MM2's offset-syncs topic, all made up front (the mock has no CreateTopics).
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "tests/support/two_clusters.h"
#include "tests/support/worker_harness.h"
#include "worker/common/json.h"

namespace ferry::testing {

class MirrorWorkerTest : public TwoClustersTest {
 protected:
  // Call from SetUp(): topics with `partitions` partitions, and worker_props_ for workers "w".
  void SetUpMirror(int partitions) {
    TwoClustersTest::SetUp();
    ASSERT_TRUE(target().CreateTopic("w-configs", 1).ok());
    ASSERT_TRUE(target().CreateTopic("w-offsets", 5).ok());
    ASSERT_TRUE(target().CreateTopic("w-status", 3).ok());
    ASSERT_TRUE(source().CreateTopic("orders", partitions).ok());
    ASSERT_TRUE(target().CreateTopic("A.orders", partitions).ok());
    ASSERT_TRUE(source().CreateTopic("mm2-offset-syncs.B.internal", 1).ok());
    worker_props_ = DistributedWorkerProps(target().bootstrap_servers(), "w");
  }

  // The MirrorSourceConnector config (JSON) for `topic`. The mock has no config or ACL admin API:
  // those syncs are tested against FakeAdmin elsewhere.
  std::string MirrorConfig(int tasks_max, const std::string& topic = "orders") {
    return "{\"connector.class\":\"MirrorSourceConnector\",\"source.cluster.alias\":\"A\",\"target.cluster.alias\":\"B\","
           "\"source.cluster.bootstrap.servers\":" + json::Quote(source().bootstrap_servers()) + ","
           "\"target.cluster.bootstrap.servers\":" + json::Quote(target().bootstrap_servers()) + ","
           "\"topics\":\"" + topic + "\",\"tasks.max\":\"" + std::to_string(tasks_max) + "\","
           "\"source.consumer.fetch.wait.max.ms\":\"50\",\"refresh.topics.enabled\":\"false\","
           "\"sync.topic.configs.enabled\":\"false\",\"sync.topic.acls.enabled\":\"false\"}";
  }

  Properties worker_props_;
};

}  // namespace ferry::testing
