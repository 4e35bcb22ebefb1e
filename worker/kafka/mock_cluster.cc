#include "worker/kafka/mock_cluster.h"

#include "worker/kafka/client.h"

namespace ferry::kafka {

Result<std::unique_ptr<MockCluster>> MockCluster::Start(int brokers) {
  // The host handle only carries the mock cluster's thread; it never connects anywhere itself.
  auto host = NewClient(RD_KAFKA_PRODUCER, {{"log_level", "3"}});
  if (!host.ok()) return host.error();
  MockClusterPtr mcluster(rd_kafka_mock_cluster_new(host->get(), brokers));
  if (mcluster == nullptr) return Error::Internal("cannot start a mock cluster");
  return std::unique_ptr<MockCluster>(new MockCluster(std::move(*host), std::move(mcluster), brokers));
}

MockCluster::MockCluster(HandlePtr host, MockClusterPtr mcluster, int brokers)
    : host_(std::move(host)),
      mcluster_(std::move(mcluster)),
      brokers_(brokers),
      bootstrap_servers_(rd_kafka_mock_cluster_bootstraps(mcluster_.get())) {}

MockCluster::~MockCluster() { mcluster_.reset(); }  // before host_, which hosts it

Result<> MockCluster::CreateTopic(const std::string& topic, int partitions, int replication_factor) {
  rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(mcluster_.get(), topic.c_str(), partitions, replication_factor);
  if (err) return Error::Kafka("create mock topic " + topic, err);
  return Ok();
}

Result<> MockCluster::SetBrokerDown(int broker_id) {
  rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_down(mcluster_.get(), broker_id);
  if (err) return Error::Kafka("set mock broker down", err);
  return Ok();
}

Result<> MockCluster::SetBrokerUp(int broker_id) {
  rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_up(mcluster_.get(), broker_id);
  if (err) return Error::Kafka("set mock broker up", err);
  return Ok();
}

}  // namespace ferry::kafka
