// MigrationStore: migration plans in a Log (a compacted Kafka topic on the target cluster,
// `ferry-migrations.<source alias>.internal`, next to the cutover journal; keyed by migration name;
// MemoryLog in tests). Every change is a new version of the whole plan, stored with a compare-and-set:
// a record counts only if its version is one more than the version read before it (the log's order
// decides between two workers writing the same version: the first wins, the second is ignored by
// every reader and told it lost). So several workers may advance one migration; one change wins.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "worker/kafka/log.h"
#include "worker/migration/plan.h"

namespace ferry::migration {

class MigrationStore {
 public:
  // `writer` names this store's writes (unique per process start).
  MigrationStore(kafka::Log& log, std::string writer) : log_(log), writer_(std::move(writer)) {}
  ~MigrationStore() { log_.Stop(); }  // its thread calls into the store
  MigrationStore(const MigrationStore&) = delete;
  MigrationStore& operator=(const MigrationStore&) = delete;

  Result<> Start(std::chrono::milliseconds timeout);
  // The plan named `name` as stored now (after reading everything written before this call).
  Result<std::optional<Migration>> Get(const std::string& name, std::chrono::milliseconds timeout);
  // Every plan's name, as read so far.
  std::vector<std::string> Names() const;
  // Stores `m` as version `m.version + 1` if the stored version is still `m.version` (0: a new plan);
  // kConflict if another writer stored that version first. On success `m` is the stored version (its
  // version and writer set; nothing else in it moves).
  Result<> CompareAndSet(Migration& m, std::chrono::milliseconds timeout);

 private:
  void OnRecord(const kafka::LogRecord& record);

  kafka::Log& log_;
  const std::string writer_;
  mutable std::mutex mu_;
  std::map<std::string, Migration> latest_;  // guarded by mu_
  int64_t writes_ = 0;                       // guarded by mu_
};

}  // namespace ferry::migration
