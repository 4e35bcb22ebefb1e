// docs/openapi.json against the routes the server serves (#17): every route of a worker's REST
// server (Connect's API, the admin routes, Ferry's /ferry/ routes, the status page, /metrics) is
// described, every described operation is served, every path parameter is declared, and docs/rest.md
// links the description. The schemas themselves are checked against real answers by
// tests/fuzz/schemathesis_real.py (ctest `rest_schemathesis_real`).
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "rest/server.h"
#include "tests/fakes/fake_herder.h"
#include "worker/common/json.h"
#include "worker/cutover/service.h"

namespace ferry::rest {
namespace {

std::string ReadDoc(const std::string& name) {
  std::ifstream in(std::string(FERRY_SOURCE_DIR) + "/docs/" + name);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::set<std::string> ServedRoutes() {
  testing::FakeHerder herder;
  cutover::CutoverService service(
      [](const std::optional<std::string>&) -> Result<std::pair<std::string, Properties>> {
        return Error::NotFound("no mirror");
      },
      {}, cutover::KafkaClusterClients(std::chrono::milliseconds(100)));
  Server server(herder, RestConfig{}, &service);
  const std::vector<std::string> routes = server.Routes();
  return {routes.begin(), routes.end()};
}

TEST(OpenApiRoutesTest, DescribesEveryRouteAndNothingElse) {
  const std::string text = ReadDoc("openapi.json");
  ASSERT_FALSE(text.empty()) << "docs/openapi.json is missing";
  Result<rapidjson::Document> doc = json::Parse(text, "docs/openapi.json");
  ASSERT_TRUE(doc.ok()) << doc.error().ToString();
  ASSERT_TRUE(doc->HasMember("paths") && (*doc)["paths"].IsObject());

  std::set<std::string> described;
  for (const auto& path : (*doc)["paths"].GetObject()) {
    const std::string pattern = path.name.GetString();
    for (const auto& operation : path.value.GetObject()) {
      std::string method = operation.name.GetString();
      std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::toupper(c); });
      described.insert(method + " " + pattern);
      // Every {param} of the path is declared as a path parameter of the operation.
      std::set<std::string> declared;
      if (operation.value.HasMember("parameters")) {
        for (const auto& p : operation.value["parameters"].GetArray()) {
          if (std::string(p["in"].GetString()) == "path") declared.insert(p["name"].GetString());
        }
      }
      for (size_t open = pattern.find('{'); open != std::string::npos; open = pattern.find('{', open + 1)) {
        const std::string name = pattern.substr(open + 1, pattern.find('}', open) - open - 1);
        EXPECT_TRUE(declared.contains(name)) << method << " " << pattern << " does not declare {" << name << "}";
      }
      EXPECT_TRUE(operation.value.HasMember("responses")) << method << " " << pattern;
    }
  }

  const std::set<std::string> served = ServedRoutes();
  ASSERT_GT(served.size(), 30u);
  for (const std::string& route : served) {
    EXPECT_TRUE(described.contains(route)) << "served but not in docs/openapi.json: " << route;
  }
  for (const std::string& route : described) {
    EXPECT_TRUE(served.contains(route)) << "in docs/openapi.json but not served: " << route;
  }
}

TEST(OpenApiRoutesTest, RestDocLinksTheDescription) {
  EXPECT_NE(ReadDoc("rest.md").find("openapi.json"), std::string::npos);
}

}  // namespace
}  // namespace ferry::rest
