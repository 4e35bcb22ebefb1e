// `ferry mirror-maker` on real Kafka with MM2's own two-way example file (config/connect-mirror-maker.properties
// of the Kafka release: A->B and B->A, replication factors of 1), checkpoints of a consumer group and
// group offset sync every second: data copied both ways, checkpoints exact, the group's offsets on
// the target where its next record landed. Aliases and topics are unique, as the clusters are shared.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "tasks/mirror_records.h"
#include "tests/support/two_clusters.h"
#include "tests/support/worker_harness.h"

namespace ferry::testing {
namespace {

using std::chrono::seconds;

class MirrorMakerOnRealKafkaTest : public TwoClustersTest {
 protected:
  MirrorMakerOnRealKafkaTest() : TwoClustersTest(Peer::kRealKafka) {}

  void SetUp() override {
    TwoClustersTest::SetUp();
    dir_ = ::testing::TempDir() + "/ferry-mm-real-" + std::to_string(getpid()) + "-" + UniqueName("t");
    std::filesystem::create_directories(dir_);
  }

  std::string dir_;
};

TEST_F(MirrorMakerOnRealKafkaTest, MM2sTwoWayExampleCopiesBothWaysEmitsExactCheckpointsAndSyncsGroupOffsets) {
  const std::string a = UniqueName("A");
  const std::string b = UniqueName("B");
  const std::string orders = UniqueName("orders");
  const std::string billing = UniqueName("billing");
  ASSERT_TRUE(source().CreateTopic(orders, 2).ok());
  ASSERT_TRUE(target().CreateTopic(orders, 2).ok());
  for (int p = 0; p < 2; ++p) {
    Produce(source(), orders, p, MakeRecords(p * 1000, 200));
    Produce(target(), orders, p, MakeRecords(500000 + p * 1000, 30));
  }
  // The group read part of each partition on A and committed.
  const std::map<int, int64_t> committed = {{0, 120}, {1, 200}};
  kafka::GroupOffsets offsets;
  for (const auto& [p, offset] : committed) offsets[{orders, p}] = {offset, ""};
  ASSERT_TRUE(source().admin().AlterConsumerGroupOffsets(billing, offsets).ok());

  // MM2's example, with this test's aliases, bootstrap servers and topics, and the group settings.
  const std::string file = dir_ + "/mm2.properties";
  std::ofstream(file) << "clusters = " << a << ", " << b << "\n"
                      << a << ".bootstrap.servers = " << source().bootstrap_servers() << "\n"
                      << b << ".bootstrap.servers = " << target().bootstrap_servers() << "\n"
                      << a << "->" << b << ".enabled = true\n"
                      << a << "->" << b << ".topics = " << orders << "\n"
                      << b << "->" << a << ".enabled = true\n"
                      << b << "->" << a << ".topics = " << orders << "\n"
                      << "replication.factor=1\n"
                      << "checkpoints.topic.replication.factor=1\n"
                      << "heartbeats.topic.replication.factor=1\n"
                      << "offset-syncs.topic.replication.factor=1\n"
                      << "offset.storage.replication.factor=1\n"
                      << "status.storage.replication.factor=1\n"
                      << "config.storage.replication.factor=1\n"
                      << a << "->" << b << ".groups = " << billing << "\n"
                      << a << "->" << b << ".emit.checkpoints.interval.seconds = 1\n"
                      << a << "->" << b << ".sync.group.offsets.enabled = true\n"
                      << a << "->" << b << ".sync.group.offsets.interval.seconds = 1\n";
  auto node = WorkerProcess::Start({"mirror-maker", file}, dir_ + "/node.log");
  ASSERT_NE(node, nullptr);

  // Both ways, offset by offset.
  const std::string on_b = a + "." + orders;
  const std::string on_a = b + "." + orders;
  for (int p = 0; p < 2; ++p) {
    ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {on_b, p}) == 200; }, seconds(120))) << on_b << "-" << p;
    ASSERT_TRUE(WaitFor([&] { return CountRecords(source(), {on_a, p}) == 30; }, seconds(120))) << on_a << "-" << p;
    auto ab = kafka::VerifyMirrored({orders, p}, Read(source(), {orders, p}), Read(target(), {on_b, p}));
    EXPECT_TRUE(ab.ok()) << ab.error().ToString();
    auto ba = kafka::VerifyMirrored({orders, p}, Read(target(), {orders, p}), Read(source(), {on_a, p}));
    EXPECT_TRUE(ba.ok()) << ba.error().ToString();
  }

  // Exact checkpoints, and the group's offsets committed on B where its next record landed.
  auto landed = [&](int p, int64_t source_offset) {
    const auto copy = Read(target(), {on_b, p});
    return source_offset < static_cast<int64_t>(copy.size()) ? copy[static_cast<size_t>(source_offset)].offset
                                                             : copy.back().offset + 1;
  };
  std::map<int, tasks::Checkpoint> latest;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto records = kafka::ReadPartition(target().bootstrap_servers(), {a + ".checkpoints.internal", 0}, seconds(10));
        if (!records.ok()) return false;
        for (const auto& record : *records) {
          auto c = tasks::Checkpoint::Decode(*record.key, *record.value);
          if (c.ok() && c->group == billing) latest[c->partition] = *c;
        }
        return latest.size() == committed.size();
      },
      seconds(60)))
      << "no checkpoint of " << billing << " (see " << dir_ << "/node.log)";
  for (const auto& [p, offset] : committed) {
    EXPECT_EQ(latest[p].topic, on_b);
    EXPECT_EQ(latest[p].upstream_offset, offset);
    EXPECT_EQ(latest[p].downstream_offset, landed(p, offset)) << "partition " << p;
  }
  std::vector<TopicPartition> partitions = {{on_b, 0}, {on_b, 1}};
  kafka::GroupOffsets synced;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto listed = target().admin().ListConsumerGroupOffsets(billing, partitions);
        if (!listed.ok()) return false;
        synced = *listed;
        return synced.size() == committed.size();
      },
      seconds(60)));
  for (const auto& [p, offset] : committed) EXPECT_EQ(synced.at({on_b, p}).offset, landed(p, offset)) << p;
  EXPECT_EQ(node->Terminate(), 0);
}

}  // namespace
}  // namespace ferry::testing
