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
//
// The mirror is a MirrorSourceConnector in a standalone worker inside the process, with Connect's
// REST API, GET /metrics and the status page (/ui) on a loopback port, so the run can be watched as
// a migration is; the cutover act moves the group through that worker's cutover service (the code
// behind POST /ferry/groups/<group>/cutover), on the exact offset map the task writes to its
// offset-syncs topic.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "worker/common/result.h"
#include "worker/demo_progress.h"

namespace ferry::cutover {
class CutoverService;
}

namespace ferry::worker {

class Herder;

// The demo worker's REST server, started by the caller (rest/ is built on worker/, not the other way
// round) on 127.0.0.1:`port` (0: an ephemeral port). It serves until destroyed.
class DemoRestServer {
 public:
  virtual ~DemoRestServer() = default;
  virtual int port() const = 0;
};
using DemoRestStarter =
    std::function<Result<std::unique_ptr<DemoRestServer>>(Herder& herder, cutover::CutoverService& cutover, int port)>;

struct DemoOptions {
  int topics = 3;
  int partitions = 4;
  std::chrono::milliseconds produce_for{8000};
  int records_per_second = 25000;  // total over all partitions
  int value_bytes = 200;
  ProgressMode progress = ProgressMode::kLive;  // kLive redraws in place (a terminal); kPlain prints lines
  bool cutover = true;   // the cutover act: a consumer group moves to the target mid-stream
  // Kafka clusters to run on ("host:port,..."); both empty: two embedded mock clusters. Set both or neither.
  std::string source_bootstrap;
  std::string target_bootstrap;
  DemoRestStarter rest;  // required
  int rest_port = 0;     // 0: an ephemeral port
};

struct DemoReport {
  int64_t records = 0;
  int64_t bytes = 0;
  double seconds = 0;         // from mirror start until it caught up
  int64_t offset_syncs = 0;   // read back from the offset-syncs topic
  int rest_port = 0;          // where the worker's REST API and status page were served
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
