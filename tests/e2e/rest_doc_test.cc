// Runs every curl command of docs/rest.md, in order and unchanged but for the addresses, against a real
// Ferry worker, on both peers: the documentation is the test. On the mock, the connector's source and
// target are two mock clusters on which the test makes every topic first (the mock has no CreateTopics).
// On real Kafka, the test starts a 3-node cluster of its own, since the docs' connector keeps MM2's
// default replication factors (3 for internal topics, 2 for remote ones), and names it as both source
// (alias A) and target (alias B), as MM2 allows; it keeps the docs' fixed names and makes only `orders`:
// the worker creates its internal topics, the connector `A.orders` and its offset-syncs topic.
// Each command block is followed by its answers, one line per command: the status code, then the body if
// there is one. The real answer must have that status and a body of the same structure: the same JSON
// field names in the same order, the same array lengths and equal values, except where the doc writes
// `…` (any value; as an array element any number of elements; as an object member any further members;
// inside a string any text) and for values that depend on the environment (worker ids, the cluster id,
// timestamps, offsets), whose JSON type alone must match. A GET is repeated (bounded) until it matches,
// since what a worker shows settles only after a change (tasks starting, offsets flushed); other
// commands are sent once.
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "tests/support/two_clusters.h"
#include "tests/support/worker_harness.h"

namespace ferry::testing {
namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // …

// Fields whose values depend on the run: only their JSON type is compared.
const std::set<std::string>& EnvironmentSpecific() {
  static const std::set<std::string> keys = {"worker_id", "kafka_cluster_id", "last_modified", "offset"};
  return keys;
}

struct Example {
  int line = 0;  // of the command in docs/rest.md
  std::string command;
  int status = 0;
  std::optional<std::string> body;
};

// The examples of `markdown_path`: every ```sh block's curl commands, paired with the answers of the
// ```text block that must follow it. A malformed pairing is a test failure.
std::vector<Example> Examples(const std::string& markdown_path) {
  std::ifstream in(markdown_path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::vector<Example> examples;
  const std::regex answer("^([0-9]{3})(?: (.+))?$");
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] != "```sh") continue;
    std::vector<Example> block;
    for (++i; i < lines.size() && lines[i] != "```"; ++i) {
      if (lines[i].rfind("curl ", 0) == 0) block.push_back({static_cast<int>(i + 1), lines[i], 0, std::nullopt});
    }
    size_t j = i + 1;
    while (j < lines.size() && lines[j].empty()) ++j;
    if (j >= lines.size() || lines[j] != "```text") {
      ADD_FAILURE() << "docs/rest.md:" << i + 1 << ": a ```sh block without a ```text block of answers after it";
      continue;
    }
    size_t next = 0;
    for (++j; j < lines.size() && lines[j] != "```"; ++j) {
      std::smatch m;
      if (!std::regex_match(lines[j], m, answer)) {
        ADD_FAILURE() << "docs/rest.md:" << j + 1 << ": not '<status> [body]': " << lines[j];
        continue;
      }
      if (next >= block.size()) {
        ADD_FAILURE() << "docs/rest.md:" << j + 1 << ": more answers than commands";
        break;
      }
      block[next].status = std::stoi(m[1]);
      if (m[2].matched) block[next].body = m[2];
      ++next;
    }
    if (next != block.size()) ADD_FAILURE() << "docs/rest.md:" << i + 1 << ": fewer answers than commands";
    i = j;
    examples.insert(examples.end(), block.begin(), block.end());
  }
  return examples;
}

// A documented answer body: JSON in which `…` may stand for elided values, elements or members.
struct Pattern {
  enum class Kind { kEllipsis, kObject, kArray, kString, kNumber, kTrue, kFalse, kNull };
  Kind kind = Kind::kNull;
  std::string text;                                      // kString (unescaped), kNumber
  std::vector<std::pair<std::string, Pattern>> members;  // kObject, without the `…` member
  bool open = false;                                     // kObject with a `…` member
  std::vector<Pattern> items;                            // kArray; kEllipsis items: any elements
};

class PatternParser {
 public:
  explicit PatternParser(std::string_view text) : s_(text) {}

  std::optional<Pattern> Parse() {
    std::optional<Pattern> p = Value();
    Space();
    if (p && pos_ != s_.size()) return std::nullopt;
    return p;
  }

 private:
  void Space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool Eat(std::string_view token) {
    Space();
    if (s_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  std::optional<std::string> String() {
    if (!Eat("\"")) return std::nullopt;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) {
        const char e = s_[++pos_];
        out.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
      } else {
        out.push_back(s_[pos_]);
      }
      ++pos_;
    }
    if (pos_ >= s_.size()) return std::nullopt;
    ++pos_;
    return out;
  }
  std::optional<Pattern> Value() {
    Pattern p;
    Space();
    if (Eat(kEllipsis)) {
      p.kind = Pattern::Kind::kEllipsis;
    } else if (Eat("{")) {
      p.kind = Pattern::Kind::kObject;
      if (Eat("}")) return p;
      do {
        if (Eat(kEllipsis)) {
          p.open = true;
          continue;
        }
        std::optional<std::string> key = String();
        if (!key || !Eat(":")) return std::nullopt;
        std::optional<Pattern> value = Value();
        if (!value) return std::nullopt;
        p.members.emplace_back(std::move(*key), std::move(*value));
      } while (Eat(","));
      if (!Eat("}")) return std::nullopt;
    } else if (Eat("[")) {
      p.kind = Pattern::Kind::kArray;
      if (Eat("]")) return p;
      do {
        std::optional<Pattern> item = Value();
        if (!item) return std::nullopt;
        p.items.push_back(std::move(*item));
      } while (Eat(","));
      if (!Eat("]")) return std::nullopt;
    } else if (std::optional<std::string> str = String()) {
      p.kind = Pattern::Kind::kString;
      p.text = std::move(*str);
    } else if (Eat("true")) {
      p.kind = Pattern::Kind::kTrue;
    } else if (Eat("false")) {
      p.kind = Pattern::Kind::kFalse;
    } else if (Eat("null")) {
      p.kind = Pattern::Kind::kNull;
    } else {
      const size_t start = pos_;
      while (pos_ < s_.size() && std::strchr("-+.eE0123456789", s_[pos_]) != nullptr) ++pos_;
      if (pos_ == start) return std::nullopt;
      p.kind = Pattern::Kind::kNumber;
      p.text = std::string(s_.substr(start, pos_ - start));
    }
    return p;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// `text` against a string pattern in which `…` matches any text.
bool GlobMatch(std::string_view pattern, std::string_view text) {
  const size_t cut = pattern.find(kEllipsis);
  if (cut == std::string_view::npos) return pattern == text;
  const std::string_view head = pattern.substr(0, cut);
  const std::string_view rest = pattern.substr(cut + kEllipsis.size());
  if (text.substr(0, head.size()) != head) return false;
  for (size_t at = head.size(); at <= text.size(); ++at) {
    if (GlobMatch(rest, text.substr(at))) return true;
  }
  return false;
}

bool SameType(const Pattern& p, const rapidjson::Value& v) {
  switch (p.kind) {
    case Pattern::Kind::kEllipsis: return true;
    case Pattern::Kind::kObject: return v.IsObject();
    case Pattern::Kind::kArray: return v.IsArray();
    case Pattern::Kind::kString: return v.IsString();
    case Pattern::Kind::kNumber: return v.IsNumber();
    case Pattern::Kind::kTrue:
    case Pattern::Kind::kFalse: return v.IsBool();
    case Pattern::Kind::kNull: return v.IsNull();
  }
  return false;
}

// "" when `v` matches `p`, else where and how it differs.
std::string Mismatch(const Pattern& p, const rapidjson::Value& v, const std::string& path);

bool ItemsMatch(const std::vector<Pattern>& items, size_t i, const rapidjson::Value& array, rapidjson::SizeType j,
                const std::string& path) {
  if (i == items.size()) return j == array.Size();
  if (items[i].kind == Pattern::Kind::kEllipsis) {
    for (rapidjson::SizeType k = j; k <= array.Size(); ++k) {
      if (ItemsMatch(items, i + 1, array, k, path)) return true;
    }
    return false;
  }
  return j < array.Size() && Mismatch(items[i], array[j], path).empty() && ItemsMatch(items, i + 1, array, j + 1, path);
}

std::string Mismatch(const Pattern& p, const rapidjson::Value& v, const std::string& path) {
  if (!SameType(p, v)) return path + ": another JSON type";
  switch (p.kind) {
    case Pattern::Kind::kEllipsis:
    case Pattern::Kind::kNull: return "";
    case Pattern::Kind::kTrue: return v.GetBool() ? "" : path + ": false";
    case Pattern::Kind::kFalse: return v.GetBool() ? path + ": true" : "";
    case Pattern::Kind::kString:
      return GlobMatch(p.text, std::string_view(v.GetString(), v.GetStringLength())) ? "" : path + ": another value";
    case Pattern::Kind::kNumber: return std::strtod(p.text.c_str(), nullptr) == v.GetDouble() ? "" : path + ": another value";
    case Pattern::Kind::kArray: return ItemsMatch(p.items, 0, v, 0, path) ? "" : path + ": other elements";
    case Pattern::Kind::kObject: {
      // The documented members in their order, each matching; no others unless the doc elides some.
      auto next = v.MemberBegin();
      for (const auto& [key, want] : p.members) {
        auto found = v.FindMember(key.c_str());
        if (found == v.MemberEnd()) return path + ": no field \"" + key + "\"";
        if (found < next) return path + ": field \"" + key + "\" out of order";
        next = found + 1;
        if (EnvironmentSpecific().count(key)) {
          if (!SameType(want, found->value)) return path + "." + key + ": another JSON type";
          continue;
        }
        if (std::string m = Mismatch(want, found->value, path + "." + key); !m.empty()) return m;
      }
      if (!p.open && v.MemberCount() != p.members.size()) return path + ": fields the doc does not show";
      return "";
    }
  }
  return path + ": ?";
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// Runs a shell command; returns its output.
std::string RunShell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

// "" when the answer is the documented one, else why not.
std::string Compare(const Example& example, int status, const std::string& body,
                    const std::function<std::string(std::string)>& localize) {
  if (status != example.status) return "status " + std::to_string(status) + ", documented " + std::to_string(example.status);
  if (!example.body) return body.empty() ? "" : "a body, documented none";
  std::optional<Pattern> pattern = PatternParser(localize(*example.body)).Parse();
  if (!pattern) return "the documented body does not parse";
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  if (doc.HasParseError()) return "the body is not JSON";
  return Mismatch(*pattern, doc, "$");
}

class RestDocFixture : public TwoClustersTest {
 protected:
  explicit RestDocFixture(Peer peer) : TwoClustersTest(peer) {}

  void SetUp() override {
    if (!real_kafka()) {
      TwoClustersTest::SetUp();
      return;
    }
    // Real Kafka is set up for this run when the shared clusters run; the test uses a cluster of its own.
    FERRY_REQUIRE_REAL_KAFKA("target");
    const auto started = std::chrono::steady_clock::now();
    auto launched = LaunchedKafka::Start(UniqueName("restdoc"), 3);
    ASSERT_TRUE(launched.ok()) << launched.error().ToString();
    kafka_ = std::move(*launched);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    std::cout << "[ report   ] 3-node cluster started in " << took.count() << " ms\n";
  }

  // The documented connector's clusters: two mocks, or one real 3-node cluster under both aliases.
  TestCluster& doc_source() { return kafka_ ? kafka_->cluster() : source(); }
  TestCluster& doc_target() { return kafka_ ? kafka_->cluster() : target(); }

 private:
  std::unique_ptr<LaunchedKafka> kafka_;  // real Kafka only
};

using RestDocTest = OnPeers<RestDocFixture>;

TEST_P(RestDocTest, EveryCurlExampleOfTheDocsGivesTheDocumentedAnswer) {
  if (!real_kafka()) {
    ASSERT_TRUE(target().CreateTopic("d-configs", 1).ok());
    ASSERT_TRUE(target().CreateTopic("d-offsets", 5).ok());
    ASSERT_TRUE(target().CreateTopic("d-status", 3).ok());
    ASSERT_TRUE(target().CreateTopic("A.orders", 2).ok());
    ASSERT_TRUE(source().CreateTopic("mm2-offset-syncs.B.internal", 1).ok());
  }
  ASSERT_TRUE(doc_source().CreateTopic("orders", 2).ok());
  // Records to mirror, so that the connector has offsets and topics to show.
  for (int p = 0; p < 2; ++p) Produce(doc_source(), "orders", p, MakeRecords(p * 100, 20));
  auto worker = InProcessWorker::Start(DistributedWorkerProps(doc_target().bootstrap_servers(), "d", peer()));
  ASSERT_NE(worker, nullptr);

  auto localize = [&](std::string s) {
    s = Replace(s, "http://localhost:8083", "http://127.0.0.1:" + std::to_string(worker->port()));
    s = Replace(s, "SOURCE_BOOTSTRAP", doc_source().bootstrap_servers());
    return Replace(s, "TARGET_BOOTSTRAP", doc_target().bootstrap_servers());
  };
  const auto examples = Examples(std::string(FERRY_SOURCE_DIR) + "/docs/rest.md");
  ASSERT_GE(examples.size(), 30u) << "docs/rest.md lost its examples";
  for (const Example& example : examples) {
    const std::string command = localize(example.command) + " --max-time 60 -w '\\n%{http_code}'";
    const bool get = example.command.find(" -X ") == std::string::npos;
    std::string why;
    std::string output;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(get ? 60 : 0);
    do {
      output = RunShell(command);
      const size_t cut = output.rfind('\n');
      const int status = cut == std::string::npos ? 0 : std::atoi(output.c_str() + cut + 1);
      why = Compare(example, status, cut == std::string::npos ? "" : output.substr(0, cut), localize);
      if (!why.empty() && get) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } while (!why.empty() && std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(why, "") << "docs/rest.md:" << example.line << ": " << example.command << "\nanswered: " << output;
  }
}

FERRY_INSTANTIATE_ON_PEERS(RestDocTest);

}  // namespace
}  // namespace ferry::testing
