// examples/monitoring/ keeps to the metrics Ferry serves: every metric name the Prometheus scrape
// config, the alert rules and the Grafana dashboard use must be listed in docs/operations.md and
// appear in an exposition rendered by the code GET /metrics runs (a ConnectHerder on memory stores
// running a task, through rest::MetricsText, plus the MirrorSourceTask's and MirrorCheckpointTask's
// metrics of fake stats), with the labels the examples select and group by. The YAML files are
// checked structurally (no YAML library here) and the dashboard is parsed with RapidJSON.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "rest/metrics_routes.h"
#include "tasks/mirror_checkpoint_task.h"
#include "tasks/mirror_source_metrics.h"
#include "tests/fakes/memory_log.h"
#include "worker/connect_herder.h"
#include "worker/cutover/service.h"

namespace ferry {
namespace {

using std::chrono::milliseconds;

std::string SourceDir() {
#ifdef FERRY_SOURCE_DIR
  return FERRY_SOURCE_DIR;
#else
  // tests/common/<this file>: the build passes sources by absolute path.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().string();
#endif
}

std::string ReadRepoFile(const std::string& path) {
  std::ifstream in(SourceDir() + "/" + path);
  EXPECT_TRUE(in.good()) << "cannot read " << SourceDir() << "/" << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::vector<std::string> kExamples = {"examples/monitoring/prometheus.yml",
                                            "examples/monitoring/ferry-alerts.yml",
                                            "examples/monitoring/grafana-dashboard.json"};

// Labels Prometheus attaches to every scraped series (job, instance) and the one `ferry mirror-maker`
// puts first on every sample (flow).
const std::set<std::string> kTargetLabels = {"job", "instance", "flow"};

bool NameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }

// Every Ferry metric name in `text`: identifiers (kafka_connect_|ferry_)[a-z0-9_]+, not part of a
// longer identifier.
std::set<std::string> MetricNames(const std::string& text) {
  static const std::regex kName("(kafka_connect_|ferry_)[a-z0-9_]+");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName); it != std::sregex_iterator(); ++it) {
    const size_t at = static_cast<size_t>(it->position());
    const size_t end = at + static_cast<size_t>(it->length());
    if (at > 0 && NameChar(text[at - 1])) continue;
    if (end < text.size() && NameChar(text[end])) continue;
    names.insert(it->str());
  }
  return names;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// `a_{x,y}_b` -> a_x_b, a_y_b.
std::vector<std::string> ExpandBraces(const std::string& token) {
  const size_t open = token.find('{');
  const size_t close = token.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return {token};
  std::vector<std::string> out;
  for (const std::string& alt : Split(token.substr(open + 1, close - open - 1), ',')) {
    for (std::string& rest : ExpandBraces(token.substr(close + 1))) out.push_back(token.substr(0, open) + alt + rest);
  }
  return out;
}

std::vector<std::string> BacktickTokens(const std::string& s) {
  std::vector<std::string> tokens;
  for (size_t at = s.find('`'); at != std::string::npos;) {
    const size_t end = s.find('`', at + 1);
    if (end == std::string::npos) break;
    tokens.push_back(s.substr(at + 1, end - at - 1));
    at = s.find('`', end + 1);
  }
  return tokens;
}

// The metric names the tables of docs/operations.md list, with its abbreviations spelled out. A
// table row names its metrics in the first cell: a full name first, then `…_x` variants of it, which
// replace as many trailing segments of the first name as they have (`…_avg_time_ms`, `…_max_time_ms`
// -> …_max_time_ms; `…_record_age_ms_min`, `…_max` -> …_record_age_ms_max). A first name that starts
// with `…` stands for the MBean prefix (table "| MBean | prefix |") of the table's full names.
std::set<std::string> DocumentedNames(const std::string& doc) {
  const std::string kEllipsis = "\xE2\x80\xA6";  // …
  std::vector<std::vector<std::string>> table;   // rows of the current table: first-cell tokens
  std::vector<std::string> prefixes;
  std::set<std::string> names;
  bool mbean_table = false;
  auto segments = [](const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '_')); };
  auto flush = [&] {
    std::string prefix;  // the MBean prefix of the table's full names
    for (const auto& row : table) {
      if (row.empty() || row[0].rfind(kEllipsis, 0) == 0) continue;
      for (const std::string& p : prefixes) {
        if (row[0].rfind(p + "_", 0) == 0 && p.size() > prefix.size()) prefix = p;
      }
    }
    for (const auto& row : table) {
      if (row.empty()) continue;
      for (std::string first : ExpandBraces(row[0])) {
        if (first.rfind(kEllipsis, 0) == 0) {
          EXPECT_FALSE(prefix.empty()) << "no prefix for " << first;
          first = prefix + first.substr(kEllipsis.size());
        }
        names.insert(first);
        for (size_t i = 1; i < row.size(); ++i) {
          if (row[i].rfind(kEllipsis, 0) != 0) {
            for (const std::string& n : ExpandBraces(row[i])) names.insert(n);
            continue;
          }
          const std::string suffix = row[i].substr(kEllipsis.size());  // "_max_time_ms"
          std::string base = first;
          for (size_t k = 0; k < segments(suffix); ++k) base = base.substr(0, base.rfind('_'));
          names.insert(base + suffix);
        }
      }
    }
    table.clear();
  };
  std::istringstream lines(doc);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '|') {
      flush();
      mbean_table = false;
      continue;
    }
    const std::vector<std::string> cells = Split(line, '|');  // cells[0] is "" (before the first |)
    if (cells.size() < 3) continue;
    const std::string first = Trim(cells[1]);
    if (first == "MBean") mbean_table = true;
    if (first.empty() || first[0] != '`') continue;  // a header, a separator, or prose
    if (mbean_table) {
      for (const std::string& p : BacktickTokens(cells[2])) prefixes.push_back(p);
      continue;
    }
    table.push_back(BacktickTokens(first));
  }
  flush();
  // Only what looks like a metric name (the cells also hold MBean names).
  static const std::regex kMetric("[a-z_:][a-z0-9_:]*");
  std::set<std::string> metrics;
  for (const std::string& n : names) {
    if (std::regex_match(n, kMetric)) metrics.insert(n);
  }
  return metrics;
}

// A rendered exposition: each family's name and the label names its samples carry.
std::map<std::string, std::set<std::string>> Families(const std::string& text) {
  static const std::regex kLabel("([a-zA-Z_][a-zA-Z0-9_]*)=\"");
  std::map<std::string, std::set<std::string>> families;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      families[Split(line, ' ')[2]];
    } else if (!line.empty() && line[0] != '#') {
      const size_t brace = line.find('{');
      const size_t name_end = std::min(brace, line.find(' '));
      std::set<std::string>& labels = families[line.substr(0, name_end)];
      if (brace == std::string::npos || brace > line.find(' ')) continue;
      const std::string body = line.substr(brace, line.rfind('}') - brace);
      for (auto it = std::sregex_iterator(body.begin(), body.end(), kLabel); it != std::sregex_iterator(); ++it) {
        labels.insert((*it)[1].str());
      }
    }
  }
  return families;
}

// What GET /metrics shows for a worker running a task (through the route's own MetricsText), plus
// the metrics a MirrorSourceTask and a MirrorCheckpointTask add for what they copy.
std::string RenderedExposition() {
  testing::MemoryLog config_log, offset_log, status_log;
  worker::ConfigStore configs(config_log);
  worker::OffsetStore offsets(offset_log);
  worker::StatusStore statuses(status_log);
  worker::HerderConfig config;
  config.offset_flush_timeout = milliseconds(2000);
  config.worker_producer_props = {{"bootstrap.servers", "127.0.0.1:1"}};  // heartbeats go nowhere
  worker::ConnectHerder herder(config, configs, offsets, statuses);  // a cluster of one
  EXPECT_TRUE(herder.Start("127.0.0.1:8083").ok());
  const Properties beats = {
      {"name", "beats"}, {"connector.class", "MirrorHeartbeatConnector"}, {"source.cluster.alias", "A"}};
  EXPECT_TRUE(herder.PutConnectorConfig("beats", beats, std::nullopt, false).ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string text;
  while (std::chrono::steady_clock::now() < deadline) {
    text = rest::MetricsText({{"", &herder}});
    if (text.find("kafka_connect_connector_task_status{connector=\"beats\",task=\"0\",status=\"running\"} 1") !=
            std::string::npos &&
        text.find("kafka_connect_connector_task_offset_commit_failure_percentage{") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  herder.Stop();
  EXPECT_NE(text.find("kafka_connect_connector_task_status{connector=\"beats\",task=\"0\",status=\"running\"} 1"),
            std::string::npos)
      << text;

  const int64_t now_ms = 1'700'000'000'000;
  tasks::MirrorTaskStats stats;
  tasks::PartitionProgress& p = stats.partitions[TopicPartition{"orders", 0}];
  p.committed = 10;
  p.source_high = 15;
  p.metrics.records = 10;
  p.metrics.last_copied_timestamp_ms = now_ms - 1000;
  p.metrics.record_rate.Record(1, now_ms - 1000);
  p.metrics.record_age_ms.Record(5, now_ms - 1000);
  p.metrics.replication_latency_ms.Record(7, now_ms - 1000);
  stats.batch_size.Record(10, now_ms - 1000);
  tasks::CheckpointLatencies latencies;
  latencies[{"billing", TopicPartition{"A.orders", 0}}].Record(12, now_ms - 1000);
  metrics::Exposition out;
  tasks::AddMirrorSourceMetrics(stats, "A", "B", connectors::DefaultReplicationPolicy(), now_ms, out);
  tasks::AddSourceTaskMetrics(stats, {{"connector", "mirror"}, {"task", "0"}}, now_ms, out);
  tasks::AddCheckpointMetrics(latencies, "A", "B", now_ms, out);
  std::map<TopicPartition, tasks::OffsetSyncProgress> syncs;
  syncs[TopicPartition{"orders", 0}] = {now_ms - 2000, 5, 0, 10, now_ms - 1000};
  tasks::AddOffsetSyncMetrics(syncs, "A", "B", connectors::DefaultReplicationPolicy(), now_ms, out);
  tasks::OffsetMap map;
  map.OnSyncRead({TopicPartition{"orders", 0}, SourceOffset(0), TargetOffset(0), true, "w"});
  tasks::AddOffsetMapMetrics(map, 1, "A", "B", connectors::DefaultReplicationPolicy(), out);
  cutover::AddCutoverMetrics({{"mirror", "billing", cutover::Direction::kCutover, cutover::JournalEntry::State::kDone,
                               now_ms - 60'000}},
                             out);
  return text + out.Text();
}

// Parentheses, brackets and braces nest and close, and double quotes pair, in a PromQL expression.
void ExpectBalanced(const std::string& expr, const std::string& where) {
  std::string stack;
  bool quoted = false;
  for (size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '"') quoted = true;
    else if (c == '(' || c == '[' || c == '{') stack.push_back(c);
    else if (c == ')' || c == ']' || c == '}') {
      const char open = c == ')' ? '(' : c == ']' ? '[' : '{';
      if (stack.empty() || stack.back() != open) {
        ADD_FAILURE() << where << ": unbalanced '" << c << "' in " << expr;
        return;
      }
      stack.pop_back();
    }
  }
  EXPECT_FALSE(quoted) << where << ": unterminated string in " << expr;
  EXPECT_TRUE(stack.empty()) << where << ": unclosed '" << stack << "' in " << expr;
}

// In a PromQL expression: every label a selector of a Ferry metric matches on is one that metric
// has; every label it groups or matches by (by, without, on, ignoring) and every `{{ $labels.x }}`
// of `annotations` is one that a Ferry metric of the expression has.
void ExpectKnownLabels(const std::string& expr, const std::map<std::string, std::set<std::string>>& families,
                       const std::string& where, const std::string& annotations = "") {
  static const std::regex kSelector("((kafka_connect_|ferry_)[a-z0-9_]+)\\{([^}]*)\\}");
  static const std::regex kMatcher("\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)");
  static const std::regex kGrouping("\\b(by|without|on|ignoring)\\s*\\(([^)]*)\\)");
  static const std::regex kTemplateLabel("\\$labels\\.([a-zA-Z_][a-zA-Z0-9_]*)");
  auto has = [&](const std::string& metric, const std::string& label) {
    auto it = families.find(metric);
    return kTargetLabels.count(label) > 0 || (it != families.end() && it->second.count(label) > 0);
  };
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), kSelector); it != std::sregex_iterator(); ++it) {
    const std::string metric = (*it)[1].str();
    for (const std::string& matcher : Split((*it)[3].str(), ',')) {
      std::smatch m;
      if (Trim(matcher).empty()) continue;
      ASSERT_TRUE(std::regex_search(matcher, m, kMatcher)) << where << ": matcher " << matcher;
      EXPECT_TRUE(has(metric, m[1].str())) << where << ": " << metric << " has no label " << m[1];
    }
  }
  const std::set<std::string> used = MetricNames(expr);
  auto any_has = [&](const std::string& label) {
    for (const std::string& metric : used) {
      if (has(metric, label)) return true;
    }
    return kTargetLabels.count(label) > 0;
  };
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), kGrouping); it != std::sregex_iterator(); ++it) {
    for (const std::string& label : Split((*it)[2].str(), ',')) {
      if (Trim(label).empty()) continue;
      EXPECT_TRUE(any_has(Trim(label))) << where << ": no metric of the expression has label " << Trim(label);
    }
  }
  for (auto it = std::sregex_iterator(annotations.begin(), annotations.end(), kTemplateLabel);
       it != std::sregex_iterator(); ++it) {
    EXPECT_TRUE(any_has((*it)[1].str())) << where << ": annotation uses $labels." << (*it)[1] << ", which "
                                   << expr << " does not have";
  }
}

// A light structural check of a YAML file, as these examples write YAML: spaces only, indents of 2,
// every line a comment, a `key:` (with or without a value), a `- ` list item, or a line of a block
// scalar (`key: |`); quoted values close.
void ExpectPlainYaml(const std::string& text, const std::string& file) {
  static const std::regex kKey(R"(( *)(- )?([A-Za-z_][A-Za-z0-9_]*):( +(.*))?)");
  static const std::regex kItem(R"(( *)- +(.+))");
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  int block_indent = -1;  // inside a block scalar whose key is at this indent
  while (std::getline(lines, line)) {
    ++number;
    const std::string where = file + ":" + std::to_string(number);
    EXPECT_EQ(line.find('\t'), std::string::npos) << where << ": a tab";
    EXPECT_TRUE(line.empty() || line.back() != ' ') << where << ": trailing space";
    if (Trim(line).empty()) continue;
    const int indent = static_cast<int>(line.find_first_not_of(' '));
    if (block_indent >= 0) {
      if (indent > block_indent) continue;
      block_indent = -1;
    }
    if (line[static_cast<size_t>(indent)] == '#') continue;
    EXPECT_EQ(indent % 2, 0) << where << ": indent of " << indent;
    std::smatch m;
    std::string value;
    if (std::regex_match(line, m, kKey)) {
      value = m[5].str();
      if (value == "|" || value == ">" || value == "|-" || value == ">-") {
        block_indent = indent + (m[2].matched ? 2 : 0);
        continue;
      }
    } else if (std::regex_match(line, m, kItem)) {
      value = m[2].str();
    } else {
      ADD_FAILURE() << where << ": not a key, a list item or a comment: " << line;
      continue;
    }
    if (!value.empty() && (value[0] == '"' || value[0] == '\'')) {
      const size_t close = value.find(value[0], 1);
      EXPECT_NE(close, std::string::npos) << where << ": unterminated quote";
      if (close != std::string::npos) {
        const std::string after = Trim(value.substr(close + 1));
        EXPECT_TRUE(after.empty() || after[0] == '#') << where << ": text after the quoted value";
      }
    }
  }
}

struct Rule {
  std::string alert;
  std::string expr;
  std::string annotations;
  bool has_labels = false;
};

// The rules of an alert file: `- alert:` items with their `expr: |` block and annotations.
std::vector<Rule> Rules(const std::string& text) {
  std::vector<Rule> rules;
  std::istringstream lines(text);
  std::string line;
  enum { kNone, kExpr, kAnnotations } in = kNone;
  int block_indent = 0;
  while (std::getline(lines, line)) {
    if (Trim(line).empty() || Trim(line)[0] == '#') continue;
    const int indent = static_cast<int>(line.find_first_not_of(' '));
    const std::string body = Trim(line);
    if (in != kNone && indent > block_indent) {
      (in == kExpr ? rules.back().expr : rules.back().annotations) += body + "\n";
      continue;
    }
    in = kNone;
    if (body.rfind("- alert:", 0) == 0) {
      rules.push_back({Trim(body.substr(8)), "", "", false});
    } else if (rules.empty()) {
      continue;
    } else if (body.rfind("- name:", 0) == 0 || body.rfind("- record:", 0) == 0) {
      rules.push_back({"", "", "", false});  // a rule group or a recording rule ends the alert
    } else if (body.rfind("expr:", 0) == 0) {
      const std::string inline_expr = Trim(body.substr(5));
      if (inline_expr == "|" || inline_expr == ">") {
        in = kExpr;
        block_indent = indent;
      } else {
        rules.back().expr = inline_expr;
      }
    } else if (body == "annotations:") {
      in = kAnnotations;
      block_indent = indent;
    } else if (body == "labels:") {
      rules.back().has_labels = true;
    }
  }
  std::vector<Rule> alerts;
  for (Rule& r : rules) {
    if (!r.alert.empty()) alerts.push_back(std::move(r));
  }
  return alerts;
}

// Every string of a JSON value, with its JSON path.
void Strings(const rapidjson::Value& v, const std::string& path,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (v.IsString()) {
    out.emplace_back(path, std::string(v.GetString(), v.GetStringLength()));
  } else if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) Strings(v[i], path + "[" + std::to_string(i) + "]", out);
  } else if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      Strings(it->value, path + "." + it->name.GetString(), out);
    }
  }
}

// Read once per process, when a test first asks (rendering starts a herder: a few seconds).
class MonitoringExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static const std::set<std::string> documented = DocumentedNames(ReadRepoFile("docs/operations.md"));
    documented_ = &documented;
  }
  const std::map<std::string, std::set<std::string>>& Rendered() {
    static const std::map<std::string, std::set<std::string>> families = Families(RenderedExposition());
    return families;
  }
  const std::set<std::string>* documented_ = nullptr;
};

// The parsers above read what they should: the doc's table, with its abbreviations and braces, and
// the exposition.
TEST_F(MonitoringExamplesTest, TheDocsTablesAndTheRenderedExpositionAreRead) {
  for (const char* name : {"kafka_connect_mirror_mirrorsourceconnector_record_count",
                           "kafka_connect_mirror_mirrorsourceconnector_record_age_ms_max",
                           "kafka_connect_mirror_mirrorcheckpointconnector_checkpoint_latency_ms_avg",
                           "kafka_connect_worker_connector_failed_task_count",
                           "kafka_connect_connector_task_offset_commit_max_time_ms",
                           "kafka_connect_connector_task_batch_size_max",
                           "kafka_connect_source_task_source_record_write_rate",
                           "kafka_connect_worker_rebalance_epoch", "ferry_mirror_lost_records_total",
                           "ferry_task_offset_commits_total", "ferry_mirror_offset_sync_pending_seconds",
                           "ferry_offset_map_next_source_offset", "ferry_offset_map_syncs_read_total",
                           "ferry_cutover_group_state", "ferry_cutover_group_last_move_timestamp_seconds"}) {
    EXPECT_EQ(documented_->count(name), 1u) << name;
  }
  EXPECT_EQ(documented_->count("kafka_connect_mirror_mirrorsourceconnector_max"), 0u);
  EXPECT_GE(Rendered().size(), 30u);
  EXPECT_EQ(Rendered().at("kafka_connect_connector_task_status"),
            (std::set<std::string>{"connector", "task", "status"}));
  EXPECT_EQ(Rendered().at("ferry_mirror_lag_records"),
            (std::set<std::string>{"source", "target", "topic", "partition"}));
  for (const char* name : {"ferry_mirror_lag_seconds", "ferry_mirror_offset_sync_age_seconds",
                           "ferry_offset_map_first_source_offset", "ferry_offset_map_complete_history"}) {
    EXPECT_EQ(Rendered().at(name), (std::set<std::string>{"source", "target", "topic", "partition"})) << name;
  }
  EXPECT_EQ(Rendered().at("ferry_cutover_group_state"),
            (std::set<std::string>{"connector", "group", "direction", "state"}));
}

// Whatever the code renders is in the doc (the examples are checked against both).
TEST_F(MonitoringExamplesTest, EveryRenderedMetricIsDocumented) {
  for (const auto& family : Rendered()) {
    EXPECT_EQ(documented_->count(family.first), 1u) << family.first << " is not in docs/operations.md";
  }
}

TEST_F(MonitoringExamplesTest, ExamplesUseOnlyMetricsFerryServesAndDocuments) {
  for (const std::string& file : kExamples) {
    const std::set<std::string> names = MetricNames(ReadRepoFile(file));
    if (file.find("prometheus.yml") == std::string::npos) {
      EXPECT_GE(names.size(), 5u) << file;
    }
    for (const std::string& name : names) {
      EXPECT_EQ(documented_->count(name), 1u) << file << " uses " << name << ", which docs/operations.md does not list";
      EXPECT_EQ(Rendered().count(name), 1u) << file << " uses " << name << ", which GET /metrics does not serve";
    }
  }
  // The check itself catches a name Ferry does not serve.
  EXPECT_EQ(Rendered().count("ferry_mirror_offset_sync_age_days"), 0u);
  EXPECT_EQ(MetricNames("rate(ferry_x_total[5m]) / kafka_connect_y{a=\"b\"} ferry-alerts.yml xferry_z ferry_w."),
            (std::set<std::string>{"ferry_x_total", "kafka_connect_y", "ferry_w"}));
}

TEST_F(MonitoringExamplesTest, ScrapeConfigScrapesTheRestListenersMetrics) {
  const std::string file = "examples/monitoring/prometheus.yml";
  const std::string text = ReadRepoFile(file);
  ExpectPlainYaml(text, file);
  EXPECT_EQ(text.rfind("#", 0), 0u) << "a comment header";
  EXPECT_NE(text.find("\nscrape_configs:\n"), std::string::npos);
  EXPECT_NE(text.find("  - job_name: ferry\n"), std::string::npos);
  EXPECT_NE(text.find("    metrics_path: /metrics\n"), std::string::npos);
  EXPECT_NE(text.find("- localhost:8083\n"), std::string::npos);
  EXPECT_NE(text.find("\nrule_files:\n  - ferry-alerts.yml\n"), std::string::npos);
}

TEST_F(MonitoringExamplesTest, AlertRulesAreWellFormedAndCoverTheIssuesAlerts) {
  const std::string file = "examples/monitoring/ferry-alerts.yml";
  const std::string text = ReadRepoFile(file);
  ExpectPlainYaml(text, file);
  EXPECT_NE(text.find("\ngroups:\n"), std::string::npos);
  const std::vector<Rule> rules = Rules(text);
  ASSERT_GE(rules.size(), 5u);
  std::set<std::string> alerts, used;
  for (const Rule& r : rules) {
    const std::string where = file + " " + r.alert;
    EXPECT_TRUE(alerts.insert(r.alert).second) << where << " twice";
    ASSERT_FALSE(r.expr.empty()) << where << ": no expr";
    EXPECT_TRUE(r.has_labels) << where << ": no labels (severity)";
    EXPECT_NE(r.annotations.find("summary:"), std::string::npos) << where;
    ExpectBalanced(r.expr, where);
    ExpectBalanced(r.annotations, where);  // {{ }} templates
    ExpectKnownLabels(r.expr, Rendered(), where, r.annotations);
    const std::set<std::string> names = MetricNames(r.expr);
    used.insert(names.begin(), names.end());
  }
  // Lag over N seconds, lag in records growing, a task failed, records lost, offset commits failing.
  for (const char* name : {"ferry_mirror_last_copied_record_age_seconds", "ferry_mirror_lag_records",
                           "kafka_connect_connector_task_status", "ferry_mirror_lost_records_total",
                           "ferry_task_offset_commits_total",
                           "kafka_connect_connector_task_offset_commit_failure_percentage",
                           "ferry_mirror_offset_sync_pending_seconds", "ferry_cutover_group_state"}) {
    EXPECT_EQ(used.count(name), 1u) << "no alert on " << name;
  }
}

TEST_F(MonitoringExamplesTest, DashboardIsGrafanaJsonOnAPrometheusDatasourceVariable) {
  const std::string file = "examples/monitoring/grafana-dashboard.json";
  const std::string text = ReadRepoFile(file);
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  ASSERT_FALSE(doc.HasParseError()) << file << ": parse error " << doc.GetParseError() << " at "
                                  << doc.GetErrorOffset();
  ASSERT_TRUE(doc.IsObject());
  ASSERT_TRUE(doc.HasMember("schemaVersion") && doc["schemaVersion"].IsInt());
  EXPECT_GE(doc["schemaVersion"].GetInt(), 36);
  EXPECT_LE(doc["schemaVersion"].GetInt(), 41);
  ASSERT_TRUE(doc.HasMember("title") && doc["title"].IsString());
  ASSERT_TRUE(doc.HasMember("uid") && doc["uid"].IsString());

  // The datasource is a variable of type datasource on Prometheus; every panel and query uses it.
  ASSERT_TRUE(doc.HasMember("templating") && doc["templating"].HasMember("list") &&
              doc["templating"]["list"].IsArray());
  std::string datasource;
  for (const auto& var : doc["templating"]["list"].GetArray()) {
    ASSERT_TRUE(var.HasMember("name") && var.HasMember("type"));
    if (std::string(var["type"].GetString()) == "datasource") {
      ASSERT_TRUE(var.HasMember("query"));
      EXPECT_STREQ(var["query"].GetString(), "prometheus");
      datasource = var["name"].GetString();
    }
  }
  ASSERT_FALSE(datasource.empty()) << "no datasource variable";
  const std::string uid = "${" + datasource + "}";
  auto uses_variable = [&](const rapidjson::Value& v) {
    return v.HasMember("datasource") && v["datasource"].IsObject() && v["datasource"].HasMember("uid") &&
           uid == v["datasource"]["uid"].GetString();
  };
  for (const auto& var : doc["templating"]["list"].GetArray()) {
    if (std::string(var["type"].GetString()) == "query") {
      EXPECT_TRUE(uses_variable(var)) << var["name"].GetString();
    }
  }

  ASSERT_TRUE(doc.HasMember("panels") && doc["panels"].IsArray());
  std::set<int> ids;
  std::set<std::string> used;
  int queried = 0;
  for (const auto& panel : doc["panels"].GetArray()) {
    ASSERT_TRUE(panel.HasMember("id") && panel["id"].IsInt() && panel.HasMember("type") && panel.HasMember("title"));
    const std::string where = file + " panel " + panel["title"].GetString();
    EXPECT_TRUE(ids.insert(panel["id"].GetInt()).second) << where << ": id twice";
    ASSERT_TRUE(panel.HasMember("gridPos") && panel["gridPos"].IsObject()) << where;
    for (const char* key : {"h", "w", "x", "y"}) EXPECT_TRUE(panel["gridPos"].HasMember(key)) << where << " " << key;
    if (std::string(panel["type"].GetString()) == "row") continue;
    EXPECT_TRUE(uses_variable(panel)) << where;
    ASSERT_TRUE(panel.HasMember("targets") && panel["targets"].IsArray() && !panel["targets"].Empty()) << where;
    for (const auto& target : panel["targets"].GetArray()) {
      EXPECT_TRUE(uses_variable(target)) << where;
      ASSERT_TRUE(target.HasMember("expr") && target["expr"].IsString()) << where;
      const std::string expr = target["expr"].GetString();
      const std::set<std::string> names = MetricNames(expr);
      EXPECT_FALSE(names.empty()) << where << ": no Ferry metric in " << expr;
      used.insert(names.begin(), names.end());
      ExpectBalanced(expr, where);
      ExpectKnownLabels(expr, Rendered(), where);
      ++queried;
    }
  }
  EXPECT_GE(queried, 10);
  // Every string (variable queries too): balanced where it is PromQL, known labels.
  std::vector<std::pair<std::string, std::string>> strings;
  Strings(doc, "", strings);
  for (const auto& [path, s] : strings) {
    if (MetricNames(s).empty() || path.find(".description") != std::string::npos) continue;
    ExpectKnownLabels(s, Rendered(), file + " " + path);
  }
  // The panels the issue asks for.
  for (const char* name : {"kafka_connect_mirror_mirrorsourceconnector_record_rate",
                           "kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_avg",
                           "kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_max",
                           "kafka_connect_mirror_mirrorsourceconnector_record_age_ms_max",
                           "ferry_mirror_lag_records", "ferry_mirror_last_copied_record_age_seconds",
                           "kafka_connect_connector_task_status", "ferry_task_offset_commits_total",
                           "kafka_connect_mirror_mirrorcheckpointconnector_checkpoint_latency_ms_max",
                           "ferry_mirror_lost_records_total", "ferry_mirror_lag_seconds",
                           "ferry_mirror_offset_sync_age_seconds", "ferry_mirror_offset_sync_pending_seconds",
                           "ferry_offset_map_next_source_offset", "ferry_cutover_group_state"}) {
    EXPECT_EQ(used.count(name), 1u) << "no panel queries " << name;
  }
}

}  // namespace
}  // namespace ferry
