#include "worker/config_providers.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "worker/mirror_maker_config.h"
#include "worker/properties.h"
#include "worker/worker_config.h"

namespace ferry::worker {
namespace {

class ConfigProvidersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-providers-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Write(dir_ + "/secrets.properties", "sasl.password = s3cret-from-file\nbootstrap=127.0.0.1:9092\n");
    std::filesystem::create_directory(dir_ + "/secrets");
    Write(dir_ + "/secrets/jaas", "dir-secret-value");
    ::setenv("FERRY_TEST_SECRET", "env-secret-value", 1);
    ::setenv("OTHER_VAR", "other", 1);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

  std::shared_ptr<const ConfigProviders> Providers(Properties extra = {}) {
    Properties props = {{"config.providers", "file, env,directory"},
                        {"config.providers.file.class", kFileConfigProviderClass},
                        {"config.providers.env.class", kEnvVarConfigProviderClass},
                        {"config.providers.directory.class", "DirectoryConfigProvider"}};
    for (auto& [k, v] : extra) props[k] = v;
    auto p = ConfigProviders::FromProperties(props);
    EXPECT_TRUE(p.ok()) << p.error().message();
    return p.ok() ? *p : nullptr;
  }

  std::string dir_;
};

TEST(ConfigReferenceTest, FindsKafkasSyntax) {
  auto refs = FindConfigReferences("a ${file:/etc/x.properties:k.v} b ${env:HOME} ${x} ${p:a:b:c}");
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[0].provider, "file");
  EXPECT_EQ(refs[0].path, "/etc/x.properties");
  EXPECT_EQ(refs[0].key, "k.v");
  EXPECT_EQ(refs[0].begin, 2u);
  EXPECT_EQ(refs[1].provider, "env");
  EXPECT_EQ(refs[1].path, "");
  EXPECT_EQ(refs[1].key, "HOME");
  EXPECT_EQ(refs[2].path, "a") << "the path ends at the first colon, as Kafka's lazy pattern";
  EXPECT_EQ(refs[2].key, "b:c");
  EXPECT_FALSE(HasConfigReferences("${no-colon} $notone {x:y} ${unterminated:x"));
}

TEST_F(ConfigProvidersTest, ResolvesFileEnvAndDirectoryReferences) {
  auto providers = Providers();
  ASSERT_NE(providers, nullptr);
  std::vector<ConfigProviders::Provided> provided;
  auto resolved = providers->Resolve({{"a", "${file:" + dir_ + "/secrets.properties:sasl.password}"},
                                      {"b", "x-${env:FERRY_TEST_SECRET}-y"},
                                      {"c", "${directory:" + dir_ + "/secrets:jaas}"},
                                      {"d", "plain"}},
                                     &provided);
  ASSERT_TRUE(resolved.ok()) << resolved.error().message();
  EXPECT_EQ(resolved->at("a"), "s3cret-from-file");
  EXPECT_EQ(resolved->at("b"), "x-env-secret-value-y");
  EXPECT_EQ(resolved->at("c"), "dir-secret-value");
  EXPECT_EQ(resolved->at("d"), "plain");
  EXPECT_EQ(provided.size(), 3u);
}

TEST_F(ConfigProvidersTest, FailuresNameTheKeyNeverTheValue) {
  auto providers = Providers({{"config.providers.env.param.allowlist.pattern", "^FERRY_"}});
  ASSERT_NE(providers, nullptr);
  struct Case {
    std::string value;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"${vault:/x:y}", "'vault', which is not in config.providers (directory, env, file)"},
           {"${file:" + dir_ + "/missing.properties:k}", "finds no regular file"},
           {"${file:" + dir_ + "/secrets.properties:nope}", "has no key nope"},
           {"${file:k}", "needs a path"},
           {"${env:NOT_SET_ANYWHERE_42}", "does not match allowlist.pattern"},
           {"${env:FERRY_NOT_SET_ANYWHERE_42}", "no environment variable FERRY_NOT_SET_ANYWHERE_42"},
           {"${env:OTHER_VAR}", "does not match allowlist.pattern"},
           {"${env:/p:FERRY_TEST_SECRET}", "takes no path"},
           {"${directory:" + dir_ + "/secrets:../secrets.properties}", "is not a file name"},
       }) {
    auto r = providers->Resolve({{"sasl.jaas.config", c.value}});
    ASSERT_FALSE(r.ok()) << c.value;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidConfig);
    EXPECT_NE(r.error().message().find("configuration sasl.jaas.config"), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find(c.says), std::string::npos) << r.error().message();
    EXPECT_EQ(r.error().message().find("s3cret-from-file"), std::string::npos);
  }
  auto none = ConfigProviders::FromProperties({});
  ASSERT_TRUE(none.ok());
  auto r = (*none)->Resolve({{"k", "${env:FERRY_TEST_SECRET}"}});
  ASSERT_FALSE(r.ok()) << "a reference without providers is not passed on literally";
  EXPECT_NE(r.error().message().find("config.providers is empty"), std::string::npos) << r.error().message();
}

TEST_F(ConfigProvidersTest, AllowedPathsConfineFileAndDirectoryProviders) {
  auto providers = Providers({{"config.providers.file.param.allowed.paths", dir_ + "/secrets"},
                              {"config.providers.directory.param.allowed.paths", dir_ + "/secrets/"}});
  ASSERT_NE(providers, nullptr);
  auto outside = providers->Resolve({{"k", "${file:" + dir_ + "/secrets.properties:sasl.password}"}});
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.error().message().find("outside allowed.paths"), std::string::npos);
  auto dotdot = providers->Resolve({{"k", "${file:" + dir_ + "/secrets/../secrets.properties:sasl.password}"}});
  ASSERT_FALSE(dotdot.ok()) << "'..' does not leave the allowed directory";
  auto inside = providers->Resolve({{"k", "${directory:" + dir_ + "/secrets:jaas}"}});
  EXPECT_TRUE(inside.ok()) << inside.error().message();
}

TEST(ConfigProvidersSetupTest, RefusesWhatFerryCannotRun) {
  auto unknown = ConfigProviders::FromProperties(
      {{"config.providers", "vault"}, {"config.providers.vault.class", "com.example.VaultConfigProvider"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("config.providers.vault.class"), std::string::npos);
  EXPECT_NE(unknown.error().message().find(kDirectoryConfigProviderClass), std::string::npos)
      << "names what is supported: " << unknown.error().message();
  auto no_class = ConfigProviders::FromProperties({{"config.providers", "file"}});
  ASSERT_FALSE(no_class.ok());
  EXPECT_NE(no_class.error().message().find("config.providers.file.class"), std::string::npos);
  auto bad_param = ConfigProviders::FromProperties({{"config.providers", "file"},
                                                    {"config.providers.file.class", kFileConfigProviderClass},
                                                    {"config.providers.file.param.allowlist.pattern", ".*"}});
  ASSERT_FALSE(bad_param.ok());
  EXPECT_NE(bad_param.error().message().find("has no parameter 'allowlist.pattern'"), std::string::npos);
  auto bad_regex = ConfigProviders::FromProperties({{"config.providers", "env"},
                                                    {"config.providers.env.class", kEnvVarConfigProviderClass},
                                                    {"config.providers.env.param.allowlist.pattern", "(["}});
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_NE(bad_regex.error().message().find("config.providers.env.param.allowlist.pattern"), std::string::npos);
}

TEST(UnresolveTaskConfigsTest, StoresTheReferencesNotWhatTheyGave) {
  const Properties raw = {{"sasl.jaas.config", "${env:JAAS}"}, {"target.bootstrap", "${file:/f:b}"}, {"n", "1"}};
  const Properties resolved = {{"sasl.jaas.config", "secret-jaas"}, {"target.bootstrap", "host:9092"}, {"n", "1"}};
  const std::vector<ConfigProviders::Provided> provided = {{"secret-jaas", "${env:JAAS}"}, {"host:9092", "${file:/f:b}"}};
  auto tasks = UnresolveTaskConfigs(raw, resolved, provided,
                                    {{{"sasl.jaas.config", "secret-jaas"}, {"source.bootstrap", "host:9092"},
                                      {"target.bootstrap", "host:9092"}, {"task.index", "1"}}});
  ASSERT_TRUE(tasks.ok()) << tasks.error().message();
  EXPECT_EQ(tasks->at(0).at("sasl.jaas.config"), "${env:JAAS}");
  EXPECT_EQ(tasks->at(0).at("target.bootstrap"), "${file:/f:b}");
  EXPECT_EQ(tasks->at(0).at("source.bootstrap"), "${file:/f:b}") << "the same whole value under another key";
  EXPECT_EQ(tasks->at(0).at("task.index"), "1");

  auto derived = UnresolveTaskConfigs(raw, resolved, provided, {{{"derived", "user=secret-jaas;"}}});
  ASSERT_FALSE(derived.ok());
  EXPECT_NE(derived.error().message().find("derived"), std::string::npos);
  EXPECT_EQ(derived.error().message().find("secret-jaas"), std::string::npos);
}

TEST(HideProvidedValuesTest, PutsTheReferenceBack) {
  EXPECT_EQ(HideProvidedValues("bad value secret-jaas and secret-jaas-long, 1",
                               {{"secret-jaas", "${env:A}"}, {"secret-jaas-long", "${env:B}"}, {"1", "${env:C}"}}),
            "bad value ${env:A} and ${env:B}, 1");
}

// mm2.properties: MM2 gives the top-level config.providers* to every flow's worker and connectors;
// a flow's worker resolves its own settings, its connectors keep the references.
TEST(ConfigProvidersMirrorMakerTest, FlowsResolveTheirWorkerSettingsAndKeepConnectorReferences) {
  ::setenv("FERRY_MM2_TEST_B_BOOTSTRAP", "b-from-env:9092", 1);
  auto lines = ParsePropertiesWithLines(
      "clusters = A, B\n"
      "A.bootstrap.servers = a:9092\n"
      "B.bootstrap.servers = ${env:FERRY_MM2_TEST_B_BOOTSTRAP}\n"
      "A->B.enabled = true\n"
      "config.providers = env\n"
      "config.providers.env.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider\n");
  ASSERT_TRUE(lines.ok());
  auto plan = BuildMirrorMakerPlan(*lines, {"B"});
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  ASSERT_EQ(plan->herders.size(), 1u);
  const MirrorHerderPlan& ab = plan->herders.front();
  auto worker = WorkerConfig::Parse(ab.worker, WorkerMode::kDistributed);
  ASSERT_TRUE(worker.ok()) << worker.error().message();
  EXPECT_EQ(worker->bootstrap_servers, "b-from-env:9092");
  EXPECT_EQ(ab.connectors.at("MirrorSourceConnector").at("target.cluster.bootstrap.servers"),
            "${env:FERRY_MM2_TEST_B_BOOTSTRAP}")
      << "stored as written; the worker resolves it when the connector starts";
}

}  // namespace
}  // namespace ferry::worker
