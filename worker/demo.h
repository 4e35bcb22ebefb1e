// `ferry demo`: a live migration in miniature. Two clusters: embedded ones on loopback (librdkafka's mock
// brokers), or two Kafka clusters the user names. A producer writes a steady keyed stream into the
// source while Ferry mirrors it; a consumer group reading the first topic is cut over to the target
// mid-stream; then every record is verified key by key and offset by offset on the target, and the
// group's reading on both clusters is checked: every record exactly once.
//
// On clusters the user names the demo assumes nothing of what is there: every topic, the group and the
// mirror's alias carry a suffix new to the run, the topics are created by the demo (it fails rather
// than use one that exists), nothing is deleted, and the report lists what the run made. The group's
// state comes from the brokers (DescribeGroups), as in `ferry cutover`.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "worker/common/result.h"

namespace ferry::worker {

struct DemoOptions {
  int topics = 3;
  int partitions = 4;
  std::chrono::milliseconds produce_for{8000};
  int records_per_second = 25000;  // total over all partitions
  int value_bytes = 200;
  bool progress = true;  // a live progress line (\r-updated)
  bool cutover = true;   // the cutover act: a consumer group moves to the target mid-stream
  // Kafka clusters to run on ("host:port,..."); both empty: two embedded mock clusters. Set both or neither.
  std::string source_bootstrap;
  std::string target_bootstrap;
};

struct DemoReport {
  int64_t records = 0;
  int64_t bytes = 0;
  double seconds = 0;         // from mirror start until it caught up
  int64_t offset_syncs = 0;
  int64_t verified_partitions = 0;
  int64_t group_records_on_source = 0;  // the cutover act's group, before and after its move
  int64_t group_records_on_target = 0;
  std::vector<std::string> source_topics_created;  // on clusters the user named: what the run made
  std::vector<std::string> target_topics_created;
  std::string group;  // the cutover act's group
};

// Runs the demo, writing progress and the report to `out`. An error means the demo could not run
// or verification failed; the message says which record differed.
Result<DemoReport> RunDemo(const DemoOptions& options, std::ostream& out);

}  // namespace ferry::worker
