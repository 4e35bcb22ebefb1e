// An embedded Kafka cluster (librdkafka's mock broker) on loopback, for `ferry demo`, tests and
// benchmarks. It speaks the real protocol over TCP; see docs/testing.md for what it cannot do.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <string>

#include "worker/common/result.h"
#include "worker/kafka/handles.h"

namespace ferry::kafka {

class MockCluster {
 public:
  // Starts `brokers` brokers on 127.0.0.1 with ephemeral ports.
  static Result<std::unique_ptr<MockCluster>> Start(int brokers);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  const std::string& bootstrap_servers() const { return bootstrap_servers_; }
  int broker_count() const { return brokers_; }

  Result<> CreateTopic(const std::string& topic, int partitions, int replication_factor = 3);
  // Brokers are numbered 1..broker_count(). A down broker closes its connections and refuses new ones;
  // partition leadership does not move.
  Result<> SetBrokerDown(int broker_id);
  Result<> SetBrokerUp(int broker_id);

  rd_kafka_mock_cluster_t* raw() { return mcluster_.get(); }

 private:
  MockCluster(HandlePtr host, MockClusterPtr mcluster, int brokers);

  // Declared first, destroyed last: the mock cluster lives inside this handle.
  HandlePtr host_;
  MockClusterPtr mcluster_;
  int brokers_;
  std::string bootstrap_servers_;
};

}  // namespace ferry::kafka
