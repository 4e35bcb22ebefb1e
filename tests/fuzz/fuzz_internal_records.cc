// Fuzz target: records of the internal topics, as another worker (or anyone with write access) may
// have written them: Connect's config, offset and status topics read by ConfigStore, OffsetStore and
// StatusStore (on an in-memory log), and MM2's heartbeat, checkpoint and offset-sync records
// (tasks/mirror_records.h). Every bad record must be skipped with an error, never crash a store.
//
// Input: records separated by "\n--\n"; in each, the key and the value separated by the first
// "\n=>\n"; a record without it is a tombstone (null value) for that key.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <glog/logging.h>

#include "tasks/mirror_records.h"
#include "tests/fakes/memory_log.h"
#include "tests/fuzz/fuzz_input.h"
#include "worker/config_store.h"
#include "worker/offset_store.h"
#include "worker/status_store.h"

namespace {

using std::chrono::seconds;

template <typename Store>
void Replay(const std::shared_ptr<ferry::testing::MemoryTopic>& topic) {
  ferry::testing::MemoryLog log(topic);
  Store store(log);
  (void)store.Start(seconds(1));
  store.Stop();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] { return FLAGS_minloglevel = google::GLOG_FATAL, true; }();
  (void)quiet;
  auto topic = std::make_shared<ferry::testing::MemoryTopic>();
  for (std::string_view record : ferry::fuzz::SplitOn(ferry::fuzz::AsText(data, size), "\n--\n")) {
    const size_t arrow = record.find("\n=>\n");
    const std::string key(record.substr(0, arrow));
    std::optional<std::string> value;
    if (arrow != std::string_view::npos) value = std::string(record.substr(arrow + 4));
    topic->Append(key, value);
    const std::string v = value.value_or("");
    (void)ferry::tasks::Heartbeat::Decode(key, v);
    (void)ferry::tasks::Checkpoint::Decode(key, v);
    (void)ferry::tasks::OffsetSyncRecord::Decode(key, v);
  }
  Replay<ferry::worker::ConfigStore>(topic);
  Replay<ferry::worker::OffsetStore>(topic);
  Replay<ferry::worker::StatusStore>(topic);
  return 0;
}
