#include "worker/offset_store.h"

#include <glog/logging.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "worker/common/json.h"

namespace ferry::worker {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// A string as Jackson writes it: quoted; `"`, `\` and control characters escaped; the rest as UTF-8.
std::string JsonString(const std::string& s) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool IsJsonObject(const std::string& text) {
  Result<rapidjson::Document> doc = json::Parse(text, "JSON");
  return doc.ok() && doc->IsObject();
}

}  // namespace

OffsetStore::OffsetStore(kafka::Log& log) : log_(log) {}

std::string OffsetStore::Key(const std::string& connector, const std::string& partition_json) {
  return "[" + JsonString(connector) + "," + partition_json + "]";
}

Result<> OffsetStore::Start(std::chrono::milliseconds timeout) {
  return log_.Start([this](const kafka::LogRecord& record) { OnRecord(record); }, timeout);
}

void OffsetStore::Stop() { log_.Stop(); }

Result<> OffsetStore::Refresh(std::chrono::milliseconds timeout) { return log_.ReadToEnd(timeout); }

std::optional<std::string> OffsetStore::Get(const std::string& connector, const std::string& partition_json) const {
  std::lock_guard lock(mu_);
  auto c = offsets_.find(connector);
  if (c == offsets_.end()) return std::nullopt;
  auto p = c->second.find(partition_json);
  if (p == c->second.end()) return std::nullopt;
  return p->second;
}

std::map<std::string, std::string> OffsetStore::Offsets(const std::string& connector) const {
  std::lock_guard lock(mu_);
  auto c = offsets_.find(connector);
  return c == offsets_.end() ? std::map<std::string, std::string>() : c->second;
}

Result<> OffsetStore::Put(const std::string& connector,
                          const std::vector<std::pair<std::string, std::optional<std::string>>>& offsets,
                          std::chrono::milliseconds timeout) {
  if (connector.empty()) return Error::BadRequest("offsets need a connector name");
  // Validate everything first: a bad entry must not leave the others half-written.
  for (const auto& [partition, offset] : offsets) {
    if (!IsJsonObject(partition)) {
      return Error::BadRequest("the source partition " + partition + " of connector '" + connector +
                               "' is not a JSON object");
    }
    if (offset && !IsJsonObject(*offset)) {
      return Error::BadRequest("the source offset " + *offset + " of connector '" + connector +
                               "' is not a JSON object");
    }
  }
  for (const auto& [partition, offset] : offsets) FERRY_RETURN_IF_ERROR(log_.Send(Key(connector, partition), offset));
  return log_.Flush(timeout);
}

void OffsetStore::OnRecord(const kafka::LogRecord& record) {
  if (!record.key) {
    LOG(WARNING) << "Ignoring an offsets record without a key at " << record.Where();
    return;
  }
  const std::string& key = *record.key;
  // Connect's key: a two-element list, the connector name and the source partition map.
  Result<rapidjson::Document> parsed = json::Parse(key, "its key");
  if (!parsed.ok()) {
    LOG(WARNING) << "Ignoring offsets record at " << record.Where() << ": " << parsed.error().message();
    return;
  }
  const rapidjson::Document& doc = *parsed;
  if (!doc.IsArray() || doc.Size() != 2 || !doc[0].IsString() || !doc[1].IsObject()) {
    LOG(WARNING) << "Ignoring offsets record with key " << key << " at " << record.Where()
                 << ": not [\"<connector>\",{<partition>}]";
    return;
  }
  std::string connector(doc[0].GetString(), doc[0].GetStringLength());
  // Connect looks partitions up by their exact bytes, so keep them as written. A key not laid out as
  // Connect writes it (`["<name>",` with Jackson's escaping, then the map, then `]`) is normalized.
  std::string partition;
  const std::string prefix = "[" + JsonString(connector) + ",";
  if (key.size() > prefix.size() + 1 && key.compare(0, prefix.size(), prefix) == 0 && key.back() == ']') {
    partition = key.substr(prefix.size(), key.size() - prefix.size() - 1);
  }
  if (!IsJsonObject(partition)) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    doc[1].Accept(w);
    partition.assign(buffer.GetString(), buffer.GetSize());
  }

  std::lock_guard lock(mu_);
  if (!record.value) {
    auto c = offsets_.find(connector);
    if (c != offsets_.end()) {
      c->second.erase(partition);
      if (c->second.empty()) offsets_.erase(c);
    }
    return;
  }
  if (Result<rapidjson::Document> value = json::Parse(*record.value, "its value"); !value.ok()) {
    LOG(WARNING) << "Ignoring offsets record with key " << key << " at " << record.Where() << ": "
                 << value.error().message();
    return;
  }
  offsets_[connector][partition] = *record.value;
}

}  // namespace ferry::worker
