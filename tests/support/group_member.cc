#include "tests/support/group_member.h"

#include <gtest/gtest.h>

namespace ferry::testing {

std::unique_ptr<GroupMember> GroupMember::Start(const std::string& bootstrap, const std::string& group,
                                                const std::string& topic, OnRecord on_record, Options options) {
  std::unique_ptr<GroupMember> member(new GroupMember(std::move(on_record), std::move(options)));
  kafka::ConfPtr conf(rd_kafka_conf_new());
  char errstr[512];
  const std::pair<const char*, std::string> settings[] = {
      {"bootstrap.servers", bootstrap},
      {"group.id", group},
      {"client.id", member->options_.client_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "true"},  // poll() stores offset + 1 of what it returned
      {"auto.offset.reset", "earliest"},
      {"session.timeout.ms", "6000"},
      {"heartbeat.interval.ms", "1000"},
      {"fetch.wait.max.ms", "100"},
  };
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf.get(), key, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << "group member: " << key << ": " << errstr;
      return nullptr;
    }
  }
  rd_kafka_conf_set_opaque(conf.get(), member.get());
  rd_kafka_conf_set_rebalance_cb(conf.get(), &GroupMember::OnRebalance);
  member->rk_.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof errstr));
  if (!member->rk_) {
    ADD_FAILURE() << "group member: " << errstr;
    return nullptr;
  }
  conf.release();  // rd_kafka_new owns it once it succeeded
  rd_kafka_poll_set_consumer(member->rk_.get());
  kafka::PartitionsPtr subscription(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subscription.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(member->rk_.get(), subscription.get())) {
    ADD_FAILURE() << "group member: subscribe to " << topic << ": " << rd_kafka_err2str(err);
    return nullptr;
  }
  member->thread_ = std::thread([m = member.get()] { m->Run(); });
  return member;
}

GroupMember::~GroupMember() { Stop(); }

std::vector<std::string> GroupMember::errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}

void GroupMember::AddError(const std::string& error) {
  std::lock_guard lock(mu_);
  errors_.push_back(error);
}

void GroupMember::CommitRead(bool must) {
  if (!options_.commit || !uncommitted_.exchange(false)) return;
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), nullptr, /*async=*/0);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  uncommitted_ = true;  // a later commit covers it, unless this was the last chance
  if (must) AddError(std::string("commit: ") + rd_kafka_err2name(err));
}

void GroupMember::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                              void* opaque) {
  auto* self = static_cast<GroupMember*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_assign(rk, partitions);
    self->assigned_partitions_ = partitions->cnt;
  } else {
    // Eager protocol: everything is revoked. Commit what was read first, so the next owner of each
    // partition starts right after it.
    self->CommitRead(/*must=*/true);
    rd_kafka_assign(rk, nullptr);
    self->assigned_partitions_ = 0;
  }
}

void GroupMember::Run() {
  auto last_commit = std::chrono::steady_clock::now();
  while (!stop_) {
    kafka::MessagePtr msg(rd_kafka_consumer_poll(rk_.get(), 100));
    if (msg) {
      if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::optional<std::string> key;
        if (msg->key != nullptr) key.emplace(static_cast<const char*>(msg->key), msg->key_len);
        if (on_record_) on_record_(msg->partition, msg->offset, key);
        ++records_;
        uncommitted_ = true;
      } else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        AddError(std::string("consume: ") + rd_kafka_err2name(msg->err));
      }
    }
    if (std::chrono::steady_clock::now() - last_commit >= options_.commit_interval) {
      CommitRead(/*must=*/false);
      last_commit = std::chrono::steady_clock::now();
    }
  }
}

void GroupMember::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  // The consumer is used only by this thread now. Close revokes (the callback commits) and leaves.
  CommitRead(/*must=*/true);
  if (rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_.get())) {
    AddError(std::string("close: ") + rd_kafka_err2name(err));
  }
}

void GroupMember::Crash() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  rd_kafka_destroy_flags(rk_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

}  // namespace ferry::testing
