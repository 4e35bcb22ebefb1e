#include "worker/kafka/record_io.h"

#include <algorithm>
#include <sstream>
#include <thread>

#include "worker/kafka/client.h"

namespace ferry::kafka {
namespace {

std::optional<std::string> Bytes(const void* data, size_t len) {
  if (data == nullptr) return std::nullopt;
  return std::string(static_cast<const char*>(data), len);
}

}  // namespace

Record RecordFromMessage(const rd_kafka_message_t* msg) {
  Record r;
  r.key = Bytes(msg->key, msg->key_len);
  r.value = Bytes(msg->payload, msg->len);
  rd_kafka_timestamp_type_t type;
  r.timestamp = rd_kafka_message_timestamp(msg, &type);
  if (type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) r.timestamp = 0;
  r.offset = msg->offset;
  rd_kafka_headers_t* hdrs = nullptr;
  // The message keeps its headers; only reading them, so the const is honoured.
  if (rd_kafka_message_headers(const_cast<rd_kafka_message_t*>(msg), &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      r.headers.push_back({name, Bytes(value, size)});
    }
  }
  return r;
}

Result<std::unique_ptr<GroupReader>> GroupReader::Create(const std::string& bootstrap_servers, const std::string& group,
                                                         const std::string& topic,
                                                         const std::vector<int32_t>& partitions,
                                                         Membership membership) {
  auto rk = NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap_servers},
                                          {"group.id", group},
                                          {"enable.auto.commit", "false"},
                                          {"auto.offset.reset", "earliest"},
                                          {"enable.partition.eof", "true"},
                                          {"fetch.wait.max.ms", "50"}});
  if (!rk.ok()) return rk.error();
  rd_kafka_poll_set_consumer(rk->get());
  if (membership == Membership::kJoined) {
    PartitionsPtr topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (rd_kafka_resp_err_t err = rd_kafka_subscribe(rk->get(), topics.get())) {
      return Error::Kafka("subscribe group '" + group + "' to " + topic, err);
    }
  } else {
    PartitionsPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (int32_t p : partitions) {
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_STORED;
    }
    if (rd_kafka_resp_err_t err = rd_kafka_assign(rk->get(), list.get())) {
      return Error::Kafka("assign " + topic + " to a reader of group '" + group + "'", err);
    }
  }
  return std::unique_ptr<GroupReader>(new GroupReader(std::move(*rk), topic, partitions.size()));
}

GroupReader::~GroupReader() { rd_kafka_consumer_close(rk_.get()); }

Result<std::vector<GroupReader::Read>> GroupReader::Poll(size_t max, std::chrono::milliseconds timeout) {
  std::vector<Read> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < max && std::chrono::steady_clock::now() < deadline) {
    MessagePtr msg(rd_kafka_consumer_poll(rk_.get(), 50));
    if (!msg) continue;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end_[msg->partition] = true;
      eof_[msg->partition] = msg->offset;
      if (at_end_.size() == partitions_ &&
          std::all_of(at_end_.begin(), at_end_.end(), [](const auto& e) { return e.second; })) {
        break;
      }
      continue;
    }
    if (msg->err) return Error::Kafka("read " + topic_ + "-" + std::to_string(msg->partition), msg->err);
    at_end_[msg->partition] = false;
    next_[msg->partition] = msg->offset + 1;
    out.push_back({msg->partition, RecordFromMessage(msg.get())});
  }
  return out;
}

int64_t GroupReader::position(int32_t partition) const {
  int64_t position = -1;
  if (auto it = next_.find(partition); it != next_.end()) position = it->second;
  if (auto it = eof_.find(partition); it != eof_.end()) position = std::max(position, it->second);
  return position;
}

Result<> GroupReader::Commit() {
  if (next_.empty()) return Ok();
  PartitionsPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(next_.size())));
  for (const auto& [p, offset] : next_) rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), p)->offset = offset;
  if (rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), list.get(), 0)) return Error::Kafka("commit " + topic_, err);
  return Ok();
}

std::string Record::Describe() const {
  std::ostringstream os;
  os << "offset " << offset << " key=" << (key ? "'" + *key + "'" : "null")
     << " value=" << (value ? std::to_string(value->size()) + "B" : "null") << " ts=" << timestamp
     << " headers=" << headers.size();
  return os.str();
}

Result<std::unique_ptr<RecordWriter>> RecordWriter::Create(const std::string& bootstrap_servers,
                                                          const Properties& extra) {
  Properties props = {{"bootstrap.servers", bootstrap_servers},
                      {"enable.idempotence", "true"},
                      {"acks", "all"},
                      {"linger.ms", "5"}};
  for (const auto& [k, v] : extra) props[k] = v;
  auto rk = NewClient(RD_KAFKA_PRODUCER, props,
                      [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_dr_msg_cb(conf, &OnDelivery); });
  if (!rk.ok()) return rk.error();
  return std::unique_ptr<RecordWriter>(new RecordWriter(std::move(*rk)));
}

RecordWriter::~RecordWriter() {
  if (rd_kafka_outq_len(rk_.get()) > 0) {
    rd_kafka_flush(rk_.get(), 10000);
    rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk_.get(), 0);
  }
}

void RecordWriter::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void*) {
  auto* self = static_cast<RecordWriter*>(msg->_private);
  if (msg->err) {
    if (!self->first_failure_) {
      self->first_failure_ = Error::Kafka("deliver to " + std::string(rd_kafka_topic_name(msg->rkt)) +
                                              "-" + std::to_string(msg->partition),
                                          msg->err);
    }
  } else {
    ++self->delivered_;
  }
}

Result<> RecordWriter::Send(const std::string& topic, int32_t partition, const Record& record) {
  HeadersPtr hdrs;
  if (!record.headers.empty()) {
    hdrs.reset(rd_kafka_headers_new(record.headers.size()));
    for (const Header& h : record.headers) {
      rd_kafka_header_add(hdrs.get(), h.name.data(), static_cast<ssize_t>(h.name.size()),
                          h.value ? h.value->data() : nullptr, h.value ? h.value->size() : 0);
    }
  }
  const void* key = record.key ? record.key->data() : nullptr;
  const size_t key_len = record.key ? record.key->size() : 0;
  void* value = record.value ? const_cast<char*>(record.value->data()) : nullptr;
  const size_t value_len = record.value ? record.value->size() : 0;
  for (int attempt = 0; attempt < 6000; ++attempt) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
        RD_KAFKA_V_TIMESTAMP(record.timestamp), RD_KAFKA_V_HEADERS(hdrs.get()),
        RD_KAFKA_V_OPAQUE(this), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      hdrs.release();  // producev owns the headers once it has succeeded
      return Ok();
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return Error::Kafka("produce to " + topic, err);
    rd_kafka_poll(rk_.get(), 10);
  }
  return Error::Timeout("produce to " + topic + ": local queue stayed full for 60 s");
}

Result<> RecordWriter::Flush(std::chrono::milliseconds timeout) {
  rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), static_cast<int>(timeout.count()));
  if (first_failure_) return *first_failure_;
  if (err) return Error::Kafka("flush", err);
  return Ok();
}

Result<std::vector<Record>> ReadPartition(const std::string& bootstrap_servers, const TopicPartition& tp,
                                          std::chrono::milliseconds timeout) {
  auto rk = NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap_servers},
                                          {"group.id", "ferry-reader"},
                                          {"enable.auto.commit", "false"},
                                          {"enable.auto.offset.store", "false"},
                                          {"auto.offset.reset", "error"},
                                          // A log may end in records it never returns (transaction
                                          // markers, aborted records): the end is where EOF says.
                                          {"enable.partition.eof", "true"}});
  if (!rk.ok()) return rk.error();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto marks = QueryWatermarks(rk->get(), tp, timeout);
  if (!marks.ok()) return marks.error();
  std::vector<Record> records;
  if (marks->high > marks->low) {
    PartitionsPtr parts(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(parts.get(), tp.topic.c_str(), tp.partition)->offset = marks->low;
    if (auto err = rd_kafka_assign(rk->get(), parts.get())) return Error::Kafka("assign", err);
    records.reserve(static_cast<size_t>(marks->high - marks->low));
    int64_t next = marks->low;
    while (next < marks->high) {
      if (std::chrono::steady_clock::now() > deadline) {
        return Error::Timeout("reading " + tp.ToString() + " stopped at offset " + std::to_string(next) +
                              " of " + std::to_string(marks->high));
      }
      MessagePtr msg(rd_kafka_consumer_poll(rk->get(), 100));
      if (msg == nullptr) continue;
      if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (msg->offset >= marks->high) break;
        continue;
      }
      if (msg->err) return Error::Kafka("read " + tp.ToString(), msg->err);
      records.push_back(RecordFromMessage(msg.get()));
      next = msg->offset + 1;
    }
  }
  rd_kafka_consumer_close(rk->get());
  return records;
}

Result<> VerifyMirrored(const TopicPartition& tp, const std::vector<Record>& source,
                        const std::vector<Record>& target) {
  const size_t n = std::min(source.size(), target.size());
  for (size_t i = 0; i < n; ++i) {
    if (!source[i].SameContent(target[i])) {
      return Error::Corrupt(tp.ToString() + ": source " + source[i].Describe() + " differs from target " +
                            target[i].Describe());
    }
    if (target[i].offset != target[0].offset + static_cast<int64_t>(i)) {
      return Error::Corrupt(tp.ToString() + ": target offsets not consecutive at " + target[i].Describe());
    }
  }
  if (source.size() != target.size()) {
    return Error::Corrupt(tp.ToString() + ": source has " + std::to_string(source.size()) +
                          " records, target " + std::to_string(target.size()) +
                          (n < source.size() ? "; first missing: source " + source[n].Describe() : ""));
  }
  return Ok();
}

}  // namespace ferry::kafka
