// Test support: a source and a target mock cluster on loopback (3 brokers each), and helpers to write
// records with every feature a mirror must keep (null keys, tombstones, headers, timestamps) and to
// read partitions back completely.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "worker/kafka/mock_cluster.h"
#include "worker/kafka/record_io.h"

namespace ferry::testing {

using kafka::Record;

// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// `count` records numbered from `first`: varied keys and sizes, a null key every 7th, a tombstone
// every 11th, an empty value every 13th, one to three headers (one null-valued), explicit timestamps.
std::vector<Record> MakeRecords(int64_t first, int64_t count, size_t value_bytes = 100);

class TwoClustersTest : public ::testing::Test {
 protected:
  void SetUp() override;

  kafka::MockCluster& source() { return *source_; }
  kafka::MockCluster& target() { return *target_; }

  // Writes `records` to one partition and waits until all are acknowledged.
  void Produce(kafka::MockCluster& cluster, const std::string& topic, int32_t partition,
               const std::vector<Record>& records);
  std::vector<Record> Read(kafka::MockCluster& cluster, const TopicPartition& tp);

 private:
  std::unique_ptr<kafka::MockCluster> source_;
  std::unique_ptr<kafka::MockCluster> target_;
};

}  // namespace ferry::testing
