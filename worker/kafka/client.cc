#include "worker/kafka/client.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "worker/kafka/java_client_config.h"

namespace ferry::kafka {

bool IsSecret(const std::string& key) {
  // The one list: sasl.jaas.config, *.password, sasl.oauthbearer.client.secret, ssl.key.pem,
  // ssl.keystore.key, *.token*, basic.auth.user.info (schema registry), under any prefix.
  static constexpr const char* kMarkers[] = {"password", "secret", "jaas", ".key", "token", "user.info"};
  return std::any_of(std::begin(kMarkers), std::end(kMarkers),
                     [&](const char* m) { return key.find(m) != std::string::npos; });
}

namespace {

// librdkafka logs from its own threads; glog is thread-safe. Syslog levels: 0-3 error, 4 warning.
void LogToGlog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  if (level <= 3) {
    LOG(ERROR) << rd_kafka_name(rk) << " " << fac << ": " << buf;
  } else if (level == 4) {
    LOG(WARNING) << rd_kafka_name(rk) << " " << fac << ": " << buf;
  } else if (level <= 6) {
    LOG(INFO) << rd_kafka_name(rk) << " " << fac << ": " << buf;
  } else {
    VLOG(1) << rd_kafka_name(rk) << " " << fac << ": " << buf;
  }
}

// A task creates several clients from one config: each set of dropped keys is a WARNING once, and
// VLOG(1) after that. Keys only: values may be secrets.
void ReportDropped(const std::vector<std::string>& dropped) {
  if (dropped.empty()) return;
  static std::mutex mu;
  static auto* reported = new std::set<std::vector<std::string>>();  // never destroyed: used until exit
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    first = reported->insert(dropped).second;
  }
  std::string keys;
  for (const std::string& key : dropped) keys += (keys.empty() ? "" : ", ") + key;
  if (first) {
    LOG(WARNING) << "Java client settings without meaning for librdkafka are ignored: " << keys;
  } else {
    VLOG(1) << "Java client settings without meaning for librdkafka are ignored: " << keys;
  }
}

}  // namespace

Result<HandlePtr> NewClient(rd_kafka_type_t type, const Properties& props,
                            const std::function<void(rd_kafka_conf_t*)>& customize) {
  Result<TranslatedClientProps> translated = FromJavaClientConfig(props, type);
  if (!translated.ok()) return translated.error();
  ReportDropped(translated->dropped);
  ConfPtr conf(rd_kafka_conf_new());
  char errstr[512];
  for (const auto& [key, value] : translated->props) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      // Name the key as the user wrote it. librdkafka's errstr can echo the value: drop it for secrets.
      auto java = translated->renamed.find(key);
      const std::string& shown = java == translated->renamed.end() ? key : java->second;
      return Error::InvalidConfig(shown, IsSecret(key) || IsSecret(shown) ? "rejected by the Kafka client" : errstr);
    }
  }
  rd_kafka_conf_set_log_cb(conf.get(), &LogToGlog);
  if (customize) customize(conf.get());
  HandlePtr rk(rd_kafka_new(type, conf.get(), errstr, sizeof errstr));
  if (rk == nullptr) return Error(ErrorCode::kInvalidConfig, std::string("cannot create client: ") + errstr);
  conf.release();  // rd_kafka_new owns the conf once it has succeeded
  return rk;
}

Result<Watermarks> QueryWatermarks(rd_kafka_t* rk, const TopicPartition& tp,
                                   std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  Watermarks w;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, tp.topic.c_str(), tp.partition, &w.low, &w.high,
                                                               static_cast<int>(std::max<int64_t>(1, left.count())));
    if (!err) return w;
    // A broker answered that it does not lead the partition (one created a moment ago, or its
    // leadership moving): asked again until the timeout. Not LEADER_NOT_AVAILABLE, which librdkafka
    // also says at once of a cluster that has gone: that is the answer, not something to wait out.
    const bool leader_moving = err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION;
    if (!leader_moving || Clock::now() + std::chrono::milliseconds(100) >= deadline) {
      return Error::Kafka("query watermarks of " + tp.ToString(), err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

AllTopicsMetadata FetchAllTopicsMetadata(rd_kafka_t* rk, std::chrono::milliseconds timeout,
                                         std::chrono::milliseconds slice, const std::function<bool()>& stop) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  AllTopicsMetadata out;
  while (true) {
    const auto begin = Clock::now();
    const auto left = std::max(std::chrono::milliseconds(1),
                               std::chrono::duration_cast<std::chrono::milliseconds>(deadline - begin));
    const std::chrono::milliseconds wait = std::min(left, slice);
    const rd_kafka_metadata_t* raw = nullptr;
    out.err = rd_kafka_metadata(rk, 1, nullptr, &raw,
                                static_cast<int>(std::min<int64_t>(wait.count(), 24 * 3600 * 1000)));
    if (out.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.metadata.reset(raw);
      return out;
    }
    const bool used_its_slice = Clock::now() - begin >= wait * 9 / 10;
    const bool unanswered = out.err == RD_KAFKA_RESP_ERR__TRANSPORT || out.err == RD_KAFKA_RESP_ERR__TIMED_OUT;
    if (!used_its_slice || !unanswered || Clock::now() >= deadline) return out;
    if (stop && stop()) {
      out.stopped = true;
      return out;
    }
    slice = std::min(slice * 2, std::max(slice, kMaxMetadataSlice));
  }
}

Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout) {
  TopicPtr rkt(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 0, rkt.get(), &raw, static_cast<int>(timeout.count()));
  if (err) return Error::Kafka("metadata of " + topic, err);
  MetadataPtr md(raw);
  if (md->topic_cnt != 1 || md->topics[0].err) {
    return Error::NotFound("topic '" + topic + "' does not exist");
  }
  return md->topics[0].partition_cnt;
}

}  // namespace ferry::kafka
