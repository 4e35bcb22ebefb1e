// ClientProps: which of a connector config's keys reach which client (issue 13: Connect's
// `producer.override.*` keys once reached librdkafka as `override.*` and failed the task).
#include "connectors/mirror_client_config.h"

#include <gtest/gtest.h>

#include "worker/kafka/client.h"

namespace ferry::connectors {
namespace {

TEST(MirrorClientConfigTest, ConnectOverridesConfigureTheTargetClientsAndWinThere) {
  const Properties config = {{"source.cluster.bootstrap.servers", "source:9092"},
                             {"target.cluster.bootstrap.servers", "127.0.0.1:1"},
                             {"producer.linger.ms", "5"},
                             {"target.producer.compression.type", "lz4"},
                             {"producer.override.compression.type", "zstd"},
                             {"producer.override.acks", "all"},
                             {"consumer.override.fetch.min.bytes", "2"},
                             {"admin.override.request.timeout.ms", "7000"}};
  const Properties target_producer = ClientProps(config, Cluster::kTarget, ClientRole::kProducer);
  EXPECT_EQ(target_producer, (Properties{{"bootstrap.servers", "127.0.0.1:1"},
                                         {"linger.ms", "5"},
                                         {"compression.type", "zstd"},
                                         {"acks", "all"}}));
  EXPECT_EQ(ClientProps(config, Cluster::kSource, ClientRole::kProducer),
            (Properties{{"bootstrap.servers", "source:9092"}, {"linger.ms", "5"}}))
      << "overrides are the worker's clients', on the target";
  EXPECT_EQ(ClientProps(config, Cluster::kTarget, ClientRole::kConsumer).at("fetch.min.bytes"), "2");
  EXPECT_EQ(ClientProps(config, Cluster::kSource, ClientRole::kConsumer).count("fetch.min.bytes"), 0u);
  EXPECT_EQ(ClientProps(config, Cluster::kTarget, ClientRole::kAdmin).at("request.timeout.ms"), "7000");

  // The client librdkafka builds from them.
  Result<kafka::HandlePtr> producer = kafka::NewClient(RD_KAFKA_PRODUCER, target_producer);
  EXPECT_TRUE(producer.ok()) << producer.error().ToString();
}

TEST(MirrorClientConfigTest, LibrdkafkasSecuritySwitchesAreConnectionKeysOfTheirCluster) {
  const Properties config = {{"source.cluster.bootstrap.servers", "source:9092"},
                             {"source.cluster.enable.ssl.certificate.verification", "false"},
                             {"target.cluster.bootstrap.servers", "target:9092"},
                             {"target.cluster.enable.sasl.oauthbearer.unsecure.jwt", "true"}};
  EXPECT_EQ(ClientProps(config, Cluster::kSource, ClientRole::kConsumer),
            (Properties{{"bootstrap.servers", "source:9092"}, {"enable.ssl.certificate.verification", "false"}}));
  EXPECT_EQ(ClientProps(config, Cluster::kTarget, ClientRole::kProducer),
            (Properties{{"bootstrap.servers", "target:9092"}, {"enable.sasl.oauthbearer.unsecure.jwt", "true"}}));
}

}  // namespace
}  // namespace ferry::connectors
