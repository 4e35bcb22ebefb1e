#include "worker/migration/store.h"

#include <glog/logging.h>

namespace ferry::migration {

Result<> MigrationStore::Start(std::chrono::milliseconds timeout) {
  return log_.Start([this](const kafka::LogRecord& record) { OnRecord(record); }, timeout);
}

void MigrationStore::OnRecord(const kafka::LogRecord& record) {
  if (!record.key || !record.value) return;
  auto plan = Migration::FromJson(*record.value);
  if (!plan.ok()) {
    LOG(WARNING) << "Skipping migration plan record at " << record.Where() << ": " << plan.error().message();
    return;
  }
  std::lock_guard lock(mu_);
  auto it = latest_.find(plan->name);
  const int64_t stored = it == latest_.end() ? 0 : it->second.version;
  // A compacted topic may have dropped the versions before this one: a first sight takes any version.
  if (it != latest_.end() && plan->version != stored + 1) {
    VLOG(1) << "migration '" << plan->name << "': version " << plan->version << " by " << plan->writer
            << " lost to the stored version " << stored;
    return;
  }
  latest_[plan->name] = std::move(*plan);
}

Result<std::optional<Migration>> MigrationStore::Get(const std::string& name, std::chrono::milliseconds timeout) {
  FERRY_RETURN_IF_ERROR(log_.ReadToEnd(timeout));
  std::lock_guard lock(mu_);
  auto it = latest_.find(name);
  if (it == latest_.end()) return std::optional<Migration>();
  return std::optional<Migration>(it->second);
}

std::vector<std::string> MigrationStore::Names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, plan] : latest_) names.push_back(name);
  return names;
}

Result<> MigrationStore::CompareAndSet(Migration& m, std::chrono::milliseconds timeout) {
  const int64_t expected = m.version;
  Migration next = m;
  next.version = expected + 1;
  {
    std::lock_guard lock(mu_);
    next.writer = writer_ + "#" + std::to_string(++writes_);
  }
  FERRY_RETURN_IF_ERROR(log_.Send(next.name, next.ToJson()));
  FERRY_RETURN_IF_ERROR(log_.Flush(timeout));
  FERRY_RETURN_IF_ERROR(log_.ReadToEnd(timeout));
  std::lock_guard lock(mu_);
  auto it = latest_.find(next.name);
  if (it == latest_.end() || it->second.version != next.version || it->second.writer != next.writer) {
    return Error::Conflict("migration '" + next.name + "' was changed by another worker meanwhile (version " +
                           std::to_string(it == latest_.end() ? 0 : it->second.version) +
                           " stored); ask again");
  }
  // Only what the store set changes: callers hold references into `m`.
  m.version = next.version;
  m.writer = next.writer;
  return {};
}

}  // namespace ferry::migration
