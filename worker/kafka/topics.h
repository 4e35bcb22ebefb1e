// Making sure the worker's internal topics exist with the right shape before the stores read them,
// as Connect's TopicAdmin does at startup: list what exists (without auto-creating anything), check
// partition counts where they matter, and create what is missing through the Admin API.
// Thread-safety: free functions; each call uses its own client.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <librdkafka/rdkafka.h>

#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::kafka {

struct TopicSpec {
  std::string name;
  int partitions = -1;          // -1: the broker's default (num.partitions)
  int replication_factor = -1;  // -1: the broker's default (default.replication.factor)
  Properties configs;           // topic configs for creation, e.g. cleanup.policy=compact
  // An existing topic must have exactly `partitions` partitions (the config topic must have one).
  bool exact_partitions = false;
  // The worker setting that named the topic, e.g. "config.storage.topic", for error messages.
  std::string property;
};

// Makes sure `spec.name` exists. Lists all topics through metadata (which, unlike a metadata request
// for one named topic, never auto-creates it). An existing topic is checked (see `exact_partitions`)
// and otherwise left as it is; a missing one is created with CreateTopics, and a concurrent creation
// by another worker (TOPIC_ALREADY_EXISTS) counts as success. If creation fails, the Error says the
// topic must be created by hand and carries the broker's reason.
// `admin_props` are client settings (bootstrap.servers, security); the call uses its own client.
Result<> EnsureTopic(const Properties& admin_props, const TopicSpec& spec, std::chrono::milliseconds timeout);

// The partition count of `topic`, or nullopt if the cluster does not have it. Lists all topics, so it
// never auto-creates `topic` (a metadata request naming it would on brokers that auto-create).
// With `stop`, a wait for a reachable broker asks it every `slice` and ends with kUnavailable when it
// says so (FetchAllTopicsMetadata).
Result<std::optional<int>> FindTopicPartitions(rd_kafka_t* rk, const std::string& topic,
                                               std::chrono::milliseconds timeout,
                                               const std::function<bool()>& stop = {},
                                               std::chrono::milliseconds slice = std::chrono::seconds(1));

// The decisions EnsureTopic takes, apart from the I/O so they can be tested without a broker.
// Success if an existing topic with `actual_partitions` partitions satisfies `spec`.
Result<> CheckExistingTopic(const TopicSpec& spec, int actual_partitions);
// Success if a CreateTopics outcome (`err`, with the broker's `reason`) leaves the topic existing.
Result<> CheckCreateOutcome(const TopicSpec& spec, rd_kafka_resp_err_t err, const std::string& reason);

}  // namespace ferry::kafka
