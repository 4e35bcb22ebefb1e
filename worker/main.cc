// The ferry command. Today: `ferry demo`. Connect's commands (`distributed`, `standalone`,
// `mirror-maker`) come with the Connect runtime.
#include <iostream>
#include <string>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "worker/demo.h"

DEFINE_int32(demo_seconds, 8, "ferry demo: how long the producer writes");
DEFINE_int32(demo_rate, 25000, "ferry demo: records per second the producer writes");
DEFINE_int32(demo_topics, 3, "ferry demo: topics to mirror");
DEFINE_int32(demo_partitions, 4, "ferry demo: partitions per topic");

namespace {

constexpr const char* kUsage =
    "usage: ferry <command> [flags]\n"
    "commands:\n"
    "  demo    mirror a live stream between two embedded clusters and verify every record\n";

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(kUsage);
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  if (command == "demo") {
    ferry::worker::DemoOptions options;
    options.produce_for = std::chrono::seconds(FLAGS_demo_seconds);
    options.records_per_second = FLAGS_demo_rate;
    options.topics = FLAGS_demo_topics;
    options.partitions = FLAGS_demo_partitions;
    auto report = ferry::worker::RunDemo(options, std::cout);
    if (!report.ok()) {
      std::cout << "\nferry demo FAILED: " << report.error().ToString() << "\n";
      return 1;
    }
    return 0;
  }
  std::cerr << "unknown command '" << command << "'\n" << kUsage;
  return 2;
}
