#include "connectors/topic_config_sync.h"

#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>

#include <glog/logging.h>

namespace ferry::connectors {
namespace {

using kafka::ConfigSource;

std::string Quoted(const std::string& name) { return "'" + name + "'"; }

// A selected source topic and its remote topic.
struct Mirrored {
  std::string source;
  std::string remote;
};

std::string Describe(const Mirrored& m) {
  return "remote topic " + Quoted(m.remote) + " (source topic " + Quoted(m.source) + ")";
}

// Both clusters' topic listings, or the Error that stops the pass.
struct Listings {
  std::map<std::string, int> source;
  std::map<std::string, int> target;
};

Result<Listings> ListBoth(kafka::Admin& source, kafka::Admin& target) {
  auto source_topics = source.ListTopics();
  if (!source_topics.ok()) return WithContext("listing source topics", source_topics.error());
  auto target_topics = target.ListTopics();
  if (!target_topics.ok()) return WithContext("listing target topics", target_topics.error());
  return Listings{std::move(*source_topics), std::move(*target_topics)};
}

std::string JoinProps(const Properties& props) {
  std::string out;
  for (const auto& [key, value] : props) out += (out.empty() ? "" : ", ") + key + "=" + value;
  return out;
}

}  // namespace

Error WithContext(const std::string& context, const Error& error) {
  return Error(error.code(), context + ": " + error.message(), error.retriable(), error.kafka_err());
}

std::string SyncReport::ToString() const {
  std::ostringstream out;
  const char* sep = "";
  if (!created.empty()) {
    out << "created " << created.size() << " topic(s) [";
    for (size_t i = 0; i < created.size(); ++i) {
      out << (i ? ", " : "") << created[i].topic << "(" << created[i].partitions << ")";
    }
    out << "]";
    sep = "; ";
  }
  if (!already_existed.empty()) {
    out << sep << already_existed.size() << " already existed";
    sep = "; ";
  }
  if (!grown.empty()) {
    out << sep << "grew " << grown.size() << " topic(s) [";
    for (size_t i = 0; i < grown.size(); ++i) {
      out << (i ? ", " : "") << grown[i].topic << " " << grown[i].from << "->" << grown[i].to;
    }
    out << "]";
    sep = "; ";
  }
  if (!altered.empty()) {
    out << sep << "altered configs of " << altered.size() << " topic(s) [";
    for (size_t i = 0; i < altered.size(); ++i) {
      out << (i ? ", " : "") << altered[i].topic << " set {" << JoinProps(altered[i].set) << "}";
      if (!altered[i].reset.empty()) {
        out << " reset {";
        for (size_t r = 0; r < altered[i].reset.size(); ++r) out << (r ? ", " : "") << altered[i].reset[r];
        out << "}";
      }
    }
    out << "]";
    sep = "; ";
  }
  if (!acls_created.empty()) {
    out << sep << "created " << acls_created.size() << " ACL(s)";
    sep = "; ";
  }
  if (!errors.empty()) {
    out << sep << errors.size() << " error(s): " << errors.front().message();
    if (errors.size() > 1) out << " (and " << errors.size() - 1 << " more)";
    sep = "; ";
  }
  if (*sep == '\0') out << "nothing changed";
  return out.str();
}

bool IsReplicableEntry(const std::string& name, const kafka::ConfigEntry& entry,
                       const ConfigPropertyFilter& filter) {
  return !entry.is_read_only && !entry.is_sensitive && entry.source != ConfigSource::kStaticBroker &&
         entry.value.has_value() && filter.ShouldReplicateConfigProperty(name);
}

Properties ConfigsForCreation(const kafka::TopicConfigs& source, const ConfigPropertyFilter& filter) {
  Properties configs;
  for (const auto& [name, entry] : source) {
    if (!IsReplicableEntry(name, entry, filter)) continue;
    if (entry.is_default && !filter.ShouldReplicateSourceDefault(name)) continue;
    configs[name] = *entry.value;
  }
  return configs;
}

namespace {

// The config a broker named in "Unknown topic config name: X" (INVALID_CONFIG), if that is the error.
std::optional<std::string> UnknownConfigName(const Error& error) {
  static constexpr std::string_view kPrefix = "Unknown topic config name: ";
  if (error.kafka_err() != RD_KAFKA_RESP_ERR_INVALID_CONFIG) return std::nullopt;
  const size_t at = error.message().find(kPrefix);
  if (at == std::string::npos) return std::nullopt;
  std::string name = error.message().substr(at + kPrefix.size());
  const size_t end = name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-");
  if (end != std::string::npos) name.resize(end);
  if (name.empty()) return std::nullopt;
  return name;
}

}  // namespace

Result<kafka::TopicResults<kafka::TopicCreation>> CreateDroppingUnknownConfigs(kafka::Admin& target,
                                                                             std::vector<kafka::NewTopic> topics) {
  kafka::TopicResults<kafka::TopicCreation> results;
  // Each round drops one unknown name per topic; a source has only a few configs the target lacks.
  for (int round = 0; round < 8 && !topics.empty(); ++round) {
    auto created = target.CreateTopics(topics);
    if (!created.ok()) return created.error();
    std::vector<kafka::NewTopic> again;
    for (kafka::NewTopic& topic : topics) {
      auto it = created->find(topic.name);
      if (it == created->end()) continue;  // the caller reports the missing answer
      const std::optional<std::string> unknown = it->second.ok() ? std::nullopt : UnknownConfigName(it->second.error());
      if (unknown && topic.configs.erase(*unknown) > 0) {
        LOG(WARNING) << "remote topic '" << topic.name << "': the target cluster does not know topic config '"
                     << *unknown << "' (the source's Kafka is of another version); created without it";
        again.push_back(std::move(topic));
        continue;
      }
      results.insert_or_assign(topic.name, std::move(it->second));
    }
    topics = std::move(again);
  }
  return results;
}

Result<std::optional<ConfigAlteration>> PlanConfigAlteration(const kafka::TopicConfigs& source,
                                                             const kafka::TopicConfigs& target,
                                                             const ConfigPropertyFilter& filter) {
  Properties current;
  std::vector<std::string> hidden;  // overrides whose value the target does not show
  for (const auto& [name, entry] : target) {
    if (entry.source != ConfigSource::kDynamicTopic) continue;
    if (entry.value.has_value()) {
      current[name] = *entry.value;
    } else {
      hidden.push_back(name);
    }
  }
  Properties desired = current;
  for (const auto& [name, entry] : source) {
    if (!IsReplicableEntry(name, entry, filter)) continue;
    // A config the target's Kafka does not know (e.g. message.format.version, which Kafka 4.0 removed,
    // from a 3.x source): setting it would fail the whole alteration.
    if (!target.count(name)) continue;
    if (!entry.is_default || filter.ShouldReplicateSourceDefault(name)) {
      desired[name] = *entry.value;  // SET
    } else {
      desired.erase(name);  // DELETE: the target's default applies
    }
  }
  if (desired == current) return std::optional<ConfigAlteration>();
  if (!hidden.empty()) {
    return Error(ErrorCode::kConflict,
                 "the target topic has a sensitive override ('" + hidden.front() +
                     "') whose value cannot be read, and AlterConfigs (the only way librdkafka 2.0.2 offers) "
                     "would erase it; configs not synced");
  }
  ConfigAlteration plan;
  for (const auto& [name, value] : desired) {
    auto it = current.find(name);
    if (it == current.end() || it->second != value) plan.set[name] = value;
  }
  for (const auto& [name, value] : current) {
    if (!desired.count(name)) plan.reset.push_back(name);
  }
  plan.overrides = std::move(desired);
  return std::optional<ConfigAlteration>(std::move(plan));
}

Result<SyncReport> SyncRemoteTopics(kafka::Admin& source, kafka::Admin& target, const TopicSyncOptions& options) {
  CHECK(options.topics.policy != nullptr && options.topics.should_replicate) << "TopicSyncOptions incomplete";
  auto listings = ListBoth(source, target);
  if (!listings.ok()) return listings.error();

  SyncReport report;
  std::vector<Mirrored> missing;
  std::map<std::string, int> grow;            // remote topic -> source partition count
  std::map<std::string, Mirrored> grow_from;  // remote topic -> pair, for the report
  for (const auto& [topic, partitions] : listings->source) {
    if (!options.topics.should_replicate(topic)) continue;
    Mirrored m{topic, options.topics.RemoteTopic(topic)};
    auto remote = listings->target.find(m.remote);
    if (remote == listings->target.end()) {
      missing.push_back(std::move(m));
    } else if (remote->second < partitions) {
      grow[m.remote] = partitions;
      grow_from[m.remote] = std::move(m);
    }
  }

  // Creation: the source's configs first. A topic whose configs cannot be read is not created, since
  // without them a compacted topic would come out with the default (delete) cleanup policy.
  if (!missing.empty()) {
    std::vector<std::string> names;
    for (const Mirrored& m : missing) names.push_back(m.source);
    auto configs = source.DescribeTopicConfigs(names);
    std::vector<kafka::NewTopic> new_topics;
    std::map<std::string, Mirrored> by_remote;
    for (const Mirrored& m : missing) {
      const std::string context = "creating " + Describe(m);
      if (!configs.ok()) {
        report.errors.push_back(WithContext(context + ": reading source configs", configs.error()));
        continue;
      }
      auto it = configs->find(m.source);
      if (it == configs->end()) {
        report.errors.push_back(Error::Internal(context + ": no configs for the source topic"));
        continue;
      }
      if (!it->second.ok()) {
        report.errors.push_back(WithContext(context + ": reading source configs", it->second.error()));
        continue;
      }
      new_topics.push_back({m.remote, listings->source.at(m.source), options.replication_factor,
                            ConfigsForCreation(*it->second, options.config_filter)});
      by_remote[m.remote] = m;
    }
    if (!new_topics.empty()) {
      auto created = CreateDroppingUnknownConfigs(target, new_topics);
      for (const kafka::NewTopic& topic : new_topics) {
        const std::string context = "creating " + Describe(by_remote[topic.name]);
        if (!created.ok()) {
          report.errors.push_back(WithContext(context, created.error()));
          continue;
        }
        auto it = created->find(topic.name);
        if (it == created->end()) {
          report.errors.push_back(Error::Internal(context + ": no answer for the topic"));
        } else if (!it->second.ok()) {
          report.errors.push_back(WithContext(context, it->second.error()));
        } else if (*it->second == kafka::TopicCreation::kAlreadyExisted) {
          report.already_existed.push_back(topic.name);
        } else {
          report.created.push_back({topic.name, topic.partitions, topic.replication_factor, topic.configs});
        }
      }
    }
  }

  // Growth. INVALID_PARTITIONS means the topic already has at least that many (someone grew it since
  // the listing): MM2 ignores it, and so does this pass.
  if (!grow.empty()) {
    auto grown = target.CreatePartitions(grow);
    for (const auto& [remote, count] : grow) {
      const std::string context = "adding partitions to " + Describe(grow_from[remote]);
      if (!grown.ok()) {
        report.errors.push_back(WithContext(context, grown.error()));
        continue;
      }
      auto it = grown->find(remote);
      if (it == grown->end()) {
        report.errors.push_back(Error::Internal(context + ": no answer for the topic"));
      } else if (!it->second.ok()) {
        if (it->second.error().kafka_err() != RD_KAFKA_RESP_ERR_INVALID_PARTITIONS) {
          report.errors.push_back(WithContext(context, it->second.error()));
        }
      } else {
        report.grown.push_back({remote, listings->target.at(remote), count});
      }
    }
  }
  return report;
}

Result<SyncReport> SyncTopicConfigs(kafka::Admin& source, kafka::Admin& target, const TopicSyncOptions& options) {
  CHECK(options.topics.policy != nullptr && options.topics.should_replicate) << "TopicSyncOptions incomplete";
  auto listings = ListBoth(source, target);
  if (!listings.ok()) return listings.error();

  SyncReport report;
  std::vector<Mirrored> pairs;  // only remote topics that exist
  for (const auto& [topic, unused] : listings->source) {
    if (!options.topics.should_replicate(topic)) continue;
    Mirrored m{topic, options.topics.RemoteTopic(topic)};
    if (listings->target.count(m.remote)) pairs.push_back(std::move(m));
  }
  if (pairs.empty()) return report;

  std::vector<std::string> source_names;
  std::vector<std::string> remote_names;
  for (const Mirrored& m : pairs) {
    source_names.push_back(m.source);
    remote_names.push_back(m.remote);
  }
  auto source_configs = source.DescribeTopicConfigs(source_names);
  if (!source_configs.ok()) return WithContext("describing source topic configs", source_configs.error());
  auto target_configs = target.DescribeTopicConfigs(remote_names);
  if (!target_configs.ok()) return WithContext("describing target topic configs", target_configs.error());

  std::map<std::string, Properties> alter;          // remote topic -> its whole new set of overrides
  std::map<std::string, ConfigAlteration> planned;  // remote topic -> plan, for the report
  std::map<std::string, Mirrored> by_remote;
  for (const Mirrored& m : pairs) {
    const std::string context = "syncing configs of " + Describe(m);
    auto s = source_configs->find(m.source);
    auto t = target_configs->find(m.remote);
    if (s == source_configs->end() || t == target_configs->end()) {
      report.errors.push_back(Error::Internal(context + ": no configs in the answer"));
      continue;
    }
    if (!s->second.ok()) {
      report.errors.push_back(WithContext(context + ": reading source configs", s->second.error()));
      continue;
    }
    if (!t->second.ok()) {
      report.errors.push_back(WithContext(context + ": reading target configs", t->second.error()));
      continue;
    }
    auto plan = PlanConfigAlteration(*s->second, *t->second, options.config_filter);
    if (!plan.ok()) {
      report.errors.push_back(WithContext(context, plan.error()));
      continue;
    }
    if (!plan->has_value()) continue;
    alter[m.remote] = (*plan)->overrides;
    planned[m.remote] = std::move(**plan);
    by_remote[m.remote] = m;
  }
  if (alter.empty()) return report;

  auto altered = target.AlterTopicConfigs(alter);
  for (const auto& [remote, unused] : alter) {
    const std::string context = "syncing configs of " + Describe(by_remote[remote]);
    if (!altered.ok()) {
      report.errors.push_back(WithContext(context, altered.error()));
      continue;
    }
    auto it = altered->find(remote);
    if (it == altered->end()) {
      report.errors.push_back(Error::Internal(context + ": no answer for the topic"));
    } else if (!it->second.ok()) {
      report.errors.push_back(WithContext(context, it->second.error()));
    } else {
      ConfigAlteration& plan = planned[remote];
      report.altered.push_back({remote, std::move(plan.set), std::move(plan.reset)});
    }
  }
  return report;
}

}  // namespace ferry::connectors
