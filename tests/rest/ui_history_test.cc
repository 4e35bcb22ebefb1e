// The status page's history (rest/ui_history.h) and routes (rest/ui_routes.h), from hand-made
// figures; tests/e2e/status_page_real_test.cc shows them with a worker mirroring on real Kafka.
#include "rest/ui_history.h"

#include <chrono>
#include <iostream>

#include <gtest/gtest.h>

#include "rest/ui_routes.h"
#include "tests/fakes/fake_herder.h"
#include "worker/common/json.h"

namespace ferry::rest {
namespace {

using metrics::Labels;
using metrics::Type;

// Figures for partitions of one topic: record-count, lag in records and in seconds each.
struct Partition {
  int partition;
  double count;
  double lag;
  double seconds;
};

metrics::Exposition Figures(const std::string& topic, const std::vector<Partition>& partitions,
                            const std::string& flow = "") {
  metrics::Exposition out;
  if (!flow.empty()) out.set_base_labels({{"flow", flow}});
  for (const Partition& p : partitions) {
    const std::string n = std::to_string(p.partition);
    out.Add("kafka_connect_mirror_mirrorsourceconnector_record_count", "", Type::kGauge,
            {{"target", "B"}, {"topic", topic}, {"partition", n}}, p.count);
    out.Add("ferry_mirror_lag_records", "", Type::kGauge,
            {{"source", "A"}, {"target", "B"}, {"topic", topic}, {"partition", n}}, p.lag);
    out.Add("ferry_mirror_lag_seconds", "", Type::kGauge,
            {{"source", "A"}, {"target", "B"}, {"topic", topic}, {"partition", n}}, p.seconds);
  }
  return out;
}

rapidjson::Document Parsed(const std::string& text) {
  auto doc = json::Parse(text, "history");
  EXPECT_TRUE(doc.ok()) << text;
  return doc.ok() ? std::move(*doc) : rapidjson::Document();
}

TEST(TopicHistoryTest, RateIsTheGrowthOfTheCountsLagTheSumAndBehindTheLargest) {
  TopicHistory history({10, 8});
  history.Record(1'000, Figures("A.orders", {{0, 100, 0, 0}, {1, 10, 0, 0}}));
  // 2 s later: 60 more records on partition 0 and 40 on 1; 7 wait on 1, 3 s behind, 2 on 0, 1 s behind.
  history.Record(3'000, Figures("A.orders", {{0, 160, 2, 1}, {1, 50, 5, 3}}));
  rapidjson::Document doc = Parsed(history.Json(0));
  ASSERT_EQ(doc["times"].Size(), 2u);
  EXPECT_EQ(doc["times"][0].GetInt64(), 1000);
  EXPECT_EQ(doc["times"][1].GetInt64(), 3000);
  ASSERT_EQ(doc["series"].Size(), 1u);
  const auto& s = doc["series"][0];
  EXPECT_STREQ(s["topic"].GetString(), "A.orders");
  EXPECT_STREQ(s["target"].GetString(), "B");
  EXPECT_STREQ(s["flow"].GetString(), "");
  EXPECT_TRUE(s["records_per_second"][0].IsNull()) << "no rate without a previous count";
  EXPECT_DOUBLE_EQ(s["records_per_second"][1].GetDouble(), 50.0);
  EXPECT_DOUBLE_EQ(s["lag_records"][0].GetDouble(), 0.0);
  EXPECT_DOUBLE_EQ(s["lag_records"][1].GetDouble(), 7.0);
  EXPECT_DOUBLE_EQ(s["lag_seconds"][0].GetDouble(), 0.0);
  EXPECT_DOUBLE_EQ(s["lag_seconds"][1].GetDouble(), 3.0);
  EXPECT_EQ(doc["dropped_series"].GetUint64(), 0u);
}

TEST(TopicHistoryTest, ACountThatFallsStartedAgainAndCountsWhole) {
  TopicHistory history({10, 8});
  history.Record(1'000, Figures("t", {{0, 500, 0, 0}}));
  history.Record(2'000, Figures("t", {{0, 30, 0, 0}}));  // the task restarted: 30 copied since
  rapidjson::Document doc = Parsed(history.Json(0));
  EXPECT_DOUBLE_EQ(doc["series"][0]["records_per_second"][1].GetDouble(), 30.0);
}

TEST(TopicHistoryTest, KeepsTheLastPointsOnlyAndAnswersThoseAfterSince) {
  TopicHistory history({3, 8});
  for (int i = 1; i <= 5; ++i) history.Record(i * 1000, Figures("t", {{0, i * 10.0, 0, 0}}));
  rapidjson::Document doc = Parsed(history.Json(0));
  ASSERT_EQ(doc["times"].Size(), 3u);
  EXPECT_EQ(doc["times"][0].GetInt64(), 3000);
  EXPECT_EQ(doc["times"][2].GetInt64(), 5000);
  EXPECT_EQ(doc["series"][0]["records_per_second"].Size(), 3u);
  rapidjson::Document later = Parsed(history.Json(4000));
  ASSERT_EQ(later["times"].Size(), 1u);
  EXPECT_EQ(later["times"][0].GetInt64(), 5000);
  EXPECT_DOUBLE_EQ(later["series"][0]["records_per_second"][0].GetDouble(), 10.0);
  // A time that goes back is not a point.
  history.Record(4500, Figures("t", {{0, 60, 0, 0}}));
  EXPECT_EQ(Parsed(history.Json(0))["times"][2].GetInt64(), 5000);
}

TEST(TopicHistoryTest, TopicsPastTheBoundAreCountedNotKeptAndGoneTopicsAreForgotten) {
  TopicHistory history({2, 2});
  metrics::Exposition three = Figures("a", {{0, 1, 0, 0}});
  for (const char* topic : {"b", "c"}) {
    three.Add("ferry_mirror_lag_records", "", Type::kGauge,
              {{"source", "A"}, {"target", "B"}, {"topic", topic}, {"partition", "0"}}, 1);
  }
  history.Record(1000, three);
  rapidjson::Document doc = Parsed(history.Json(0));
  EXPECT_EQ(doc["series"].Size(), 2u);
  EXPECT_EQ(doc["dropped_series"].GetUint64(), 1u);
  EXPECT_EQ(history.series(), 2u);
  // Two samples (the whole window) without them: only the topic still there is kept.
  history.Record(2000, Figures("d", {{0, 1, 0, 0}}));
  history.Record(3000, Figures("d", {{0, 1, 0, 0}}));
  history.Record(4000, Figures("d", {{0, 1, 0, 0}}));
  doc = Parsed(history.Json(0));
  ASSERT_EQ(doc["series"].Size(), 1u);
  EXPECT_STREQ(doc["series"][0]["topic"].GetString(), "d");
}

TEST(TopicHistoryTest, FlowsAreSeriesOfTheirOwn) {
  TopicHistory history({4, 8});
  metrics::Exposition figures = Figures("A.t", {{0, 1, 0, 0}}, "A->B");
  figures.set_base_labels({{"flow", "C->B"}});
  figures.Add("ferry_mirror_lag_records", "", Type::kGauge,
              {{"source", "C"}, {"target", "B"}, {"topic", "A.t"}, {"partition", "0"}}, 4);
  history.Record(1000, figures);
  rapidjson::Document doc = Parsed(history.Json(0));
  ASSERT_EQ(doc["series"].Size(), 2u);
  EXPECT_STREQ(doc["series"][0]["flow"].GetString(), "A->B");
  EXPECT_STREQ(doc["series"][1]["flow"].GetString(), "C->B");
  EXPECT_DOUBLE_EQ(doc["series"][1]["lag_records"][0].GetDouble(), 4.0);
}

// What a sample costs past the collection (which is a scrape's): 1,000 partitions of 100 topics, and the
// full window's JSON. Printed, with a bound far above it (ASan) so that a slip to seconds fails.
TEST(TopicHistoryTest, ASampleOfAThousandPartitionsIsCheap) {
  TopicHistory history({450, 256});
  std::vector<metrics::Exposition> samples;
  for (int round = 0; round < 20; ++round) {
    metrics::Exposition figures;
    for (int topic = 0; topic < 100; ++topic) {
      for (int p = 0; p < 10; ++p) {
        const Labels labels = {{"source", "A"}, {"target", "B"}, {"topic", "A.t" + std::to_string(topic)},
                               {"partition", std::to_string(p)}};
        figures.Add("kafka_connect_mirror_mirrorsourceconnector_record_count", "", Type::kGauge,
                    {labels.begin() + 1, labels.end()}, round * 1000.0);
        figures.Add("ferry_mirror_lag_records", "", Type::kGauge, labels, 5);
        figures.Add("ferry_mirror_lag_seconds", "", Type::kGauge, labels, 0.5);
      }
    }
    samples.push_back(std::move(figures));
  }
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < samples.size(); ++i) history.Record(static_cast<int64_t>(i + 1) * 2000, samples[i]);
  const double record_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / samples.size();
  const auto json_start = std::chrono::steady_clock::now();
  const std::string json = history.Json(0);
  const double json_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - json_start).count();
  std::cout << "[ measure  ] recording a sample of 1,000 partitions (100 topics): " << record_ms
            << " ms; the history as JSON (20 points): " << json_ms << " ms, " << json.size() << " bytes" << std::endl;
  EXPECT_EQ(history.series(), 100u);
  EXPECT_LT(record_ms, 500.0);
}

// A herder whose one partition has copied `count` records.
class CopyingHerder : public testing::FakeHerder {
 public:
  void CollectMetrics(metrics::Exposition& out) override {
    out.Add("kafka_connect_mirror_mirrorsourceconnector_record_count", "", Type::kGauge,
            {{"target", "B"}, {"topic", "A.t"}, {"partition", "0"}}, count);
  }
  double count = 0;
};

TEST(UiRoutesTest, ServeThePageItsFilesAndTheHistory) {
  CopyingHerder herder;
  UiHistory history({{"/A/B", &herder}}, false);
  Router router;
  AddUiRoutes(router, history);

  Reply page = router.Dispatch("GET", "/ui", "", "");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<html"), std::string::npos);
  EXPECT_EQ(page.body.find("http://"), std::string::npos) << "the page loads nothing from elsewhere";
  EXPECT_EQ(page.body.find("https://"), std::string::npos);
  bool csp = false;
  for (const auto& [name, value] : page.headers) csp |= name == "Content-Security-Policy";
  EXPECT_TRUE(csp);
  Reply script = router.Dispatch("GET", "/ui/ui.js", "", "");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(router.Dispatch("GET", "/ui/ui.css", "", "").status, 200);
  EXPECT_EQ(router.Dispatch("GET", "/ui/nope.js", "", "").status, 404);
  EXPECT_EQ(router.Dispatch("POST", "/ui", "", "").status, 405);

  history.SampleNow();
  herder.count = 10;
  history.SampleNow();
  Reply reply = router.Dispatch("GET", "/ferry/ui/history", "", "");
  ASSERT_EQ(reply.status, 200);
  rapidjson::Document doc = Parsed(reply.body);
  EXPECT_EQ(doc["interval_ms"].GetInt64(), 2000);
  EXPECT_EQ(doc["window_ms"].GetInt64(), 900'000);
  EXPECT_FALSE(doc["cutover"].GetBool());
  ASSERT_EQ(doc["flows"].Size(), 1u);
  EXPECT_STREQ(doc["flows"][0]["prefix"].GetString(), "/A/B");
  EXPECT_STREQ(doc["flows"][0]["flow"].GetString(), "A->B");
  const auto& times = doc["history"]["times"];
  ASSERT_GE(times.Size(), 1u);  // two samples in one millisecond are one
  ASSERT_EQ(doc["history"]["series"].Size(), 1u);
  EXPECT_STREQ(doc["history"]["series"][0]["flow"].GetString(), "A->B");
  const int64_t last = times[times.Size() - 1].GetInt64();
  Reply since = router.Dispatch("GET", "/ferry/ui/history?since=" + std::to_string(last), "", "");
  EXPECT_EQ(Parsed(since.body)["history"]["times"].Size(), 0u);
  EXPECT_EQ(router.Dispatch("GET", "/ferry/ui/history?since=soon", "", "").status, 400);
}

}  // namespace
}  // namespace ferry::rest
