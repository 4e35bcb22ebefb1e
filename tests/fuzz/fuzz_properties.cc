// Fuzz target: Java .properties text (worker/properties.h), as a worker, connector or mm2.properties
// file gives it, then what reads the parsed keys: WorkerConfig::Parse (both modes) and the MM2 plan.
// Any outcome is fine but a crash, a sanitizer report or a hang; an error must name a line.
#include <cstddef>
#include <cstdint>
#include <string>

#include <glog/logging.h>

#include "tests/fuzz/fuzz_input.h"
#include "worker/mirror_maker_config.h"
#include "worker/properties.h"
#include "worker/worker_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] { return FLAGS_minloglevel = google::GLOG_FATAL, true; }();
  (void)quiet;
  const std::string_view text = ferry::fuzz::AsText(data, size);
  auto lines = ferry::worker::ParsePropertiesWithLines(text);
  auto props = ferry::worker::ParseProperties(text);
  CHECK_EQ(lines.ok(), props.ok()) << "the two readers disagree";
  if (!lines.ok()) {
    CHECK(lines.error().message().find("line ") != std::string::npos) << lines.error().ToString();
    return 0;
  }
  for (const ferry::worker::PropertyLine& line : *lines) {
    CHECK_GE(line.line, 1);
    CHECK(props->contains(line.key)) << "a key read is not in the map";
  }
  for (auto mode : {ferry::worker::WorkerMode::kStandalone, ferry::worker::WorkerMode::kDistributed}) {
    (void)ferry::worker::WorkerConfig::Parse(*props, mode);
  }
  (void)ferry::worker::BuildMirrorMakerPlan(*lines, {});
  return 0;
}
