// Test support: a consumer-group member as an application writes it, independent of Ferry's code (raw
// librdkafka, not kafka::GroupReader): a high-level consumer that subscribes to a topic and so JOINS
// the group (a broker's DescribeGroups counts it), reads on its own thread, and commits by hand what it
// has read: every `commit_interval`, when its partitions are revoked in a rebalance (so the next owner
// starts after them), and before it leaves. Stop() commits, closes (LeaveGroup) and joins the thread.
//
// Every record read is handed to `on_record` (from the member's thread, one partition owned by one
// member at a time), which is what a test compares with the source: exactly once, key by key.
// Needs a real broker: the 2.0.2 mock's group rounds take seconds (docs/testing.md).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "worker/kafka/handles.h"

namespace ferry::testing {

class GroupMember {
 public:
  using OnRecord = std::function<void(int32_t partition, int64_t offset, const std::optional<std::string>& key)>;
  struct Options {
    bool commit = true;  // false: a member that reads and never commits (it holds the group, nothing more)
    std::chrono::milliseconds commit_interval{200};
    std::string client_id = "ferry-test-member";
  };

  // Joins `group` on `bootstrap` subscribed to `topic`; nullptr (and a test failure) if the client
  // cannot be made. Reads from the group's committed offsets, else from the log start.
  static std::unique_ptr<GroupMember> Start(const std::string& bootstrap, const std::string& group,
                                            const std::string& topic, OnRecord on_record, Options options);
  static std::unique_ptr<GroupMember> Start(const std::string& bootstrap, const std::string& group,
                                            const std::string& topic, OnRecord on_record) {
    return Start(bootstrap, group, topic, std::move(on_record), Options());
  }
  ~GroupMember();  // Stop()
  GroupMember(const GroupMember&) = delete;
  GroupMember& operator=(const GroupMember&) = delete;

  // Whether the member currently owns partitions (it has joined and been assigned).
  bool assigned() const { return assigned_partitions_ > 0; }
  int64_t records() const { return records_; }
  // Commits that failed where no later commit could cover them (on revoke, on close), and errors
  // the consumer reported; a test expects none.
  std::vector<std::string> errors() const;
  // Commits, leaves the group and stops the thread; bounded by the close (session-timeout scale).
  void Stop();
  // As a killed process: stops the thread and drops the client without committing or leaving the
  // group; the broker holds its membership until the session (6 s) expires.
  void Crash();

 private:
  GroupMember(OnRecord on_record, Options options) : on_record_(std::move(on_record)), options_(std::move(options)) {}
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                          void* opaque);
  void Run();
  // Commits the offsets stored for what was read; `must` makes a failure an error().
  void CommitRead(bool must);
  void AddError(const std::string& error);

  kafka::HandlePtr rk_;  // destroyed last: the thread is joined and the consumer closed before
  const OnRecord on_record_;
  const Options options_;
  std::atomic<bool> stop_{false};
  std::atomic<int> assigned_partitions_{0};
  std::atomic<int64_t> records_{0};
  std::atomic<bool> uncommitted_{false};
  mutable std::mutex mu_;
  std::vector<std::string> errors_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ferry::testing
