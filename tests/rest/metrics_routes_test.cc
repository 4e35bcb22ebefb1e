#include "rest/metrics_routes.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_herder.h"

namespace ferry::rest {
namespace {

// A herder whose metrics are one gauge per connector it has.
class MeteredHerder : public testing::FakeHerder {
 public:
  explicit MeteredHerder(std::vector<std::string> connectors) : connectors_(std::move(connectors)) {}
  void CollectMetrics(metrics::Exposition& out) override {
    out.Add("kafka_connect_worker_connector_count", "The number of connectors run in this worker.",
            metrics::Type::kGauge, {}, static_cast<double>(connectors_.size()));
  }

 private:
  std::vector<std::string> connectors_;
};

TEST(MetricsRoutesTest, GetMetricsAnswersTheTextFormat) {
  MeteredHerder herder({"a", "b"});
  Router router;
  AddMetricsRoute(router, {{"", &herder}});
  Reply reply = router.Dispatch("GET", "/metrics", "", "");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(reply.body,
            "# HELP kafka_connect_worker_connector_count The number of connectors run in this worker.\n"
            "# TYPE kafka_connect_worker_connector_count gauge\n"
            "kafka_connect_worker_connector_count 2\n");
  EXPECT_EQ(router.Dispatch("POST", "/metrics", "", "").status, 405);
}

TEST(MetricsRoutesTest, SeveralHerdersAreOneFamilyLabelledByFlow) {
  MeteredHerder ab({"a"});
  MeteredHerder ba({"b", "c"});
  EXPECT_EQ(MetricsText({{"/A/B", &ab}, {"/B/A", &ba}}),
            "# HELP kafka_connect_worker_connector_count The number of connectors run in this worker.\n"
            "# TYPE kafka_connect_worker_connector_count gauge\n"
            "kafka_connect_worker_connector_count{flow=\"A->B\"} 1\n"
            "kafka_connect_worker_connector_count{flow=\"B->A\"} 2\n");
}

TEST(MetricsRoutesTest, OneFlowIsLabelledToo) {
  MeteredHerder ab({"a"});
  const std::string text = MetricsText({{"/A/B", &ab}});
  EXPECT_NE(text.find("kafka_connect_worker_connector_count{flow=\"A->B\"} 1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace ferry::rest
