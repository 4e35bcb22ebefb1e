// Issue #17, secrets: a `ferry distributed` worker on real Kafka with secrets given both ways:
// literally in a connector config (sasl.jaas.config, password-type keys) and through config
// providers (`${file:...}`, `${env:...}`). The mirror reads its source over SASL_PLAINTEXT (PLAIN)
// with provider-given logins and reaches its target through a provider-given bootstrap.servers, so
// the resolved values demonstrably reach the clients. Then every log line of the worker and every
// REST answer but GET .../config is searched for the secrets, and the config topic for the values the
// providers gave: nothing is found. GET .../config gives back what was written, and a PUT of it is
// accepted unchanged. A reference that cannot be resolved is refused at PUT, naming the key, and a
// connector whose file vanished fails at its restart, naming the key.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/mirror_worker_test.h"
#include "tests/support/worker_harness.h"
#include "worker/common/json.h"

namespace ferry::testing {
namespace {

using std::chrono::seconds;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string PlainLogin(const std::string& user, const std::string& password) {
  return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user + "\" password=\"" +
         password + "\";";
}

class SecretsOnRealKafkaTest : public MirrorWorkerTest {
 protected:
  SecretsOnRealKafkaTest() : MirrorWorkerTest(Peer::kRealKafka) {}
  void SetUp() override { SetUpMirror(1); }
};

TEST_F(SecretsOnRealKafkaTest, NeverShownNeverStoredResolvedAndStillUsed) {
  const std::optional<std::string> sasl_source = RealKafkaListener("source", "SASL_PLAINTEXT");
  const std::optional<Properties> security = RealKafkaSecurity();
  ASSERT_TRUE(sasl_source && security) << "the clusters have no SASL_PLAINTEXT listener";
  // Three logins, one per client of the source: the consumer's from a file, the admin's from the
  // environment, the producer's (offset syncs) written literally. admin is a super user; the others
  // may do anything on topics without ACLs.
  const std::string file_secret = security->at("user.ferry");
  const std::string env_secret = security->at("user.reader");
  const std::string literal_secret = security->at("user.admin");
  const std::string literal_password = "literal-truststore-" + UniqueName("pw");  // a PASSWORD-type key's value
  const std::string resolved_bootstrap = target().bootstrap_servers();

  const std::string dir = ::testing::TempDir() + "/ferry-providers-" + std::to_string(getpid()) + "-" + UniqueName("d");
  std::filesystem::create_directories(dir);
  const std::string secrets_file = dir + "/secrets.properties";
  std::ofstream(secrets_file) << "source.jaas=" << PlainLogin("ferry", file_secret) << "\n"
                              << "target.bootstrap=" << resolved_bootstrap << "\n";
  const std::string vanishing_file = dir + "/vanishing.properties";
  std::ofstream(vanishing_file) << "target.bootstrap=" << resolved_bootstrap << "\n";
  ASSERT_EQ(::setenv("FERRY_SECRETS_TEST_ADMIN_JAAS", PlainLogin("reader", env_secret).c_str(), 1), 0);

  Produce(source(), orders_, 0, MakeRecords(0, 20));

  Properties worker = worker_props_;
  worker["config.providers"] = "file,env";
  worker["config.providers.file.class"] = "org.apache.kafka.common.config.provider.FileConfigProvider";
  worker["config.providers.env.class"] = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";
  worker["config.providers.env.param.allowlist.pattern"] = "^FERRY_SECRETS_TEST_";
  const std::string log_path = dir + "/worker.log";
  auto process = WorkerProcess::Start({"distributed", WritePropertiesFile(dir + "/worker.properties", worker)}, log_path);
  ASSERT_GT(process->port(), 0);
  const int port = process->port();

  auto mirror_config = [&](const std::string& topic, const std::string& target_bootstrap) {
    return "{\"connector.class\":\"MirrorSourceConnector\",\"source.cluster.alias\":\"A\","
           "\"target.cluster.alias\":\"B\",\"topics\":" + json::Quote(topic) + ",\"tasks.max\":\"1\","
           "\"source.cluster.bootstrap.servers\":" + json::Quote(*sasl_source) + ","
           "\"source.cluster.security.protocol\":\"SASL_PLAINTEXT\",\"source.cluster.sasl.mechanism\":\"PLAIN\","
           "\"source.cluster.sasl.jaas.config\":" + json::Quote("${file:" + secrets_file + ":source.jaas}") + ","
           "\"source.admin.sasl.jaas.config\":\"${env:FERRY_SECRETS_TEST_ADMIN_JAAS}\","
           "\"source.producer.sasl.jaas.config\":" + json::Quote(PlainLogin("admin", literal_secret)) + ","
           "\"source.cluster.ssl.truststore.password\":" + json::Quote(literal_password) + ","
           "\"target.cluster.bootstrap.servers\":" + json::Quote(target_bootstrap) + ","
           "\"source.consumer.fetch.wait.max.ms\":\"50\",\"refresh.topics.enabled\":\"false\","
           "\"sync.topic.configs.enabled\":\"false\",\"sync.topic.acls.enabled\":\"false\"" +
           ReplicationFactors() + "}";
  };
  const std::string connector = UniqueName("secret-mirror");
  const std::string config = mirror_config(orders_, "${file:" + secrets_file + ":target.bootstrap}");
  std::vector<std::pair<std::string, HttpReply>> answers;  // every REST answer but GET .../config
  auto call = [&](const std::string& method, const std::string& path, const std::string& body = "") {
    HttpReply reply = Http(port, method, path, body);
    answers.emplace_back(method + " " + path, reply);
    return reply;
  };

  std::string named = config;
  named.insert(1, "\"name\":" + json::Quote(connector) + ",");
  HttpReply valid = call("PUT", "/connector-plugins/MirrorSourceConnector/config/validate", named);
  ASSERT_EQ(valid.status, 200) << valid.body;
  EXPECT_EQ(valid.Json()["error_count"].GetInt(), 0) << valid.body;
  // A reference that cannot be resolved: refused before anything is stored, naming the key.
  const std::string missing = mirror_config(orders_, "${file:" + dir + "/missing.properties:target.bootstrap}");
  HttpReply refused = call("PUT", "/connectors/" + UniqueName("unresolvable") + "/config", missing);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("configuration target.cluster.bootstrap.servers"), std::string::npos) << refused.body;

  HttpReply created = call("PUT", "/connectors/" + connector + "/config", config);
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_TRUE(WaitForConnectorStatus(port, connector, "RUNNING", 1, "RUNNING", seconds(60)));
  EXPECT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) == 20; }, seconds(60)))
      << "the provider-given logins and target reach the clients";

  // GET .../config is what was written (references unresolved, literal secrets as given), and a
  // get-modify-put round trip keeps working.
  HttpReply raw = Http(port, "GET", "/connectors/" + connector + "/config");
  ASSERT_EQ(raw.status, 200);
  rapidjson::Document written;
  written.Parse(config.c_str());
  rapidjson::Document read = raw.Json();
  for (auto it = written.MemberBegin(); it != written.MemberEnd(); ++it) {
    ASSERT_TRUE(read.HasMember(it->name)) << it->name.GetString();
    EXPECT_STREQ(read[it->name].GetString(), it->value.GetString()) << it->name.GetString();
  }
  HttpReply put_back = call("PUT", "/connectors/" + connector + "/config", raw.body);
  EXPECT_EQ(put_back.status, 200) << put_back.body;

  call("GET", "/connectors/" + connector);
  call("GET", "/connectors?expand=info&expand=status");
  call("GET", "/connectors/" + connector + "/status");
  call("GET", "/connectors/" + connector + "/tasks");
  call("GET", "/connectors/" + connector + "/tasks/0/status");
  call("GET", "/connectors/" + connector + "/offsets");
  const std::string no_type = "{\"name\":\"x\",\"source.cluster.sasl.jaas.config\":" +
                              json::Quote(PlainLogin("admin", literal_secret)) + "}";
  EXPECT_EQ(call("POST", "/connectors", "{\"name\":\"x\",\"config\":" + no_type + "}").status, 400);

  // A connector whose file vanishes fails at its next start, naming the key, not the value.
  const std::string broken = UniqueName("vanished");
  ASSERT_EQ(call("PUT", "/connectors/" + broken + "/config",
                 mirror_config(UniqueName("no-such-topic"), "${file:" + vanishing_file + ":target.bootstrap}"))
                .status,
            201);
  std::filesystem::remove(vanishing_file);
  EXPECT_EQ(call("POST", "/connectors/" + broken + "/restart").status / 100, 2);
  EXPECT_TRUE(WaitFor(
      [&] {
        HttpReply status = Http(port, "GET", "/connectors/" + broken + "/status");
        return status.body.find("\"FAILED\"") != std::string::npos &&
               status.body.find("configuration target.cluster.bootstrap.servers") != std::string::npos;
      },
      seconds(30)));
  call("GET", "/connectors/" + broken + "/status");

  EXPECT_EQ(process->Terminate(), 0);
  ::unsetenv("FERRY_SECRETS_TEST_ADMIN_JAAS");

  const std::vector<std::string> secrets = {file_secret, env_secret, literal_secret, literal_password};
  const std::string log = ReadFile(log_path);
  ASSERT_NE(log.find("herder started"), std::string::npos) << "the worker's log is " << log_path;
  for (const std::string& secret : secrets) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "a secret (" << secret << ") in the log " << log_path;
    for (const auto& [request, reply] : answers) {
      EXPECT_EQ(reply.body.find(secret), std::string::npos) << "a secret (" << secret << ") in the answer to " << request << ": "
                                                             << reply.body;
    }
  }
  // The config topic holds what was written: the references and the literal login, never what a
  // provider gave.
  std::string stored;
  for (const Record& r : Read(target(), {worker_prefix_ + "-configs", 0})) {
    stored += r.key.value_or("") + "=" + r.value.value_or("") + "\n";
  }
  EXPECT_NE(stored.find("${env:FERRY_SECRETS_TEST_ADMIN_JAAS}"), std::string::npos);
  EXPECT_NE(stored.find(literal_secret), std::string::npos) << "written literally, stored as written";
  EXPECT_NE(stored.find("task-" + connector + "-0"), std::string::npos) << "task configs were stored";
  for (const std::string& resolved : {file_secret, env_secret, resolved_bootstrap}) {
    EXPECT_EQ(stored.find(resolved), std::string::npos) << "a resolved value in the config topic: " << resolved;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ferry::testing
