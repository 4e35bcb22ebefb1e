// The REST API over HTTPS with Basic authentication (issue 17), against FakeHerder, with real HTTPS
// clients: curl for what a user does, a raw OpenSSL client for bytes no well-behaved client sends,
// and Ferry's own client side (worker/rest_tls.h) for host name checks. The certificates are the
// test CA's of tests/kafka/kafka_cluster.py (made once per test binary run in a temporary folder):
// broker.pem names IP:127.0.0.1 and localhost, broker-wronghost.pem only wrong.invalid; other-ca.pem
// is a CA nobody trusts.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "rest/basic_auth.h"
#include "rest/server.h"
#include "tests/fakes/fake_herder.h"
#include "worker/rest_tls.h"
#include "worker/worker_config.h"

namespace ferry::rest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::FakeHerder;

// The test CA's files, made once.
const fs::path& Tls() {
  static const fs::path dir = [] {
    const fs::path run = fs::temp_directory_path() / ("ferry-https-test-" + std::to_string(::getpid()));
    const fs::path script = fs::path(__FILE__).parent_path().parent_path() / "kafka";
    const std::string command = "python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import kafka_cluster; "
                                "kafka_cluster.tls_material(sys.argv[2])' '" + script.string() + "' '" + run.string() + "'";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    static const fs::path to_remove = run;
    std::atexit([] { fs::remove_all(to_remove); });
    return run / "tls";
  }();
  return dir;
}

std::string TlsFile(const std::string& name) { return (Tls() / name).string(); }

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// `curl` with `args`: "<status>" of the answer, or "curl:<exit code>" when there was none.
std::string Curl(const std::string& args, std::string* body = nullptr, std::string* headers = nullptr) {
  const fs::path out = fs::temp_directory_path() / ("ferry-curl-" + std::to_string(::getpid()));
  const std::string command = "curl -s --max-time 10 -o '" + out.string() + ".body' -D '" + out.string() +
                              ".head' -w '%{http_code}' " + args + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string status;
  char buf[64];
  while (pipe != nullptr && std::fgets(buf, sizeof buf, pipe) != nullptr) status += buf;
  const int rc = pipe == nullptr ? -1 : ::pclose(pipe);
  const int code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  if (body != nullptr) *body = slurp(out.string() + ".body");
  if (headers != nullptr) *headers = slurp(out.string() + ".head");
  fs::remove(out.string() + ".body");
  fs::remove(out.string() + ".head");
  if (code != 0) return "curl:" + std::to_string(code);
  return status;
}

// One exchange over TLS with raw bytes (trusting the test CA, with the client certificate).
std::string RawTls(int port, const std::string& request) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, TlsFile("ca.pem").c_str(), nullptr);
  SSL_CTX_use_certificate_chain_file(ctx, TlsFile("client.crt").c_str());
  SSL_CTX_use_PrivateKey_file(ctx, TlsFile("client.key").c_str(), SSL_FILETYPE_PEM);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string answer;
  SSL* ssl = SSL_new(ctx);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && SSL_set_fd(ssl, fd) == 1 &&
      SSL_connect(ssl) == 1) {
    size_t written = 0;
    SSL_write_ex(ssl, request.data(), request.size(), &written);
    char buf[4096];
    size_t n = 0;
    while (SSL_read_ex(ssl, buf, sizeof buf, &n) == 1) answer.append(buf, n);
  }
  ERR_clear_error();
  SSL_free(ssl);
  ::close(fd);
  SSL_CTX_free(ctx);
  return answer;
}

class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ferry-https-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    WriteFile(dir_ / "credentials.properties", "# users\nferry: ferry-secret\nadmin=admin-secret\n");
    WriteFile(dir_ / "jaas.conf", "// Connect's login context\nKafkaConnect {\n"
                                  "  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n"
                                  "  file=\"" + (dir_ / "credentials.properties").string() + "\";\n};\n");
  }
  void TearDown() override {
    if (server_) server_->Stop();
    fs::remove_all(dir_);
  }

  // An https listener with the test CA's 127.0.0.1 certificate, client certificates `client_auth`.
  RestConfig HttpsConfig(const std::string& client_auth = "required") {
    RestConfig config;
    config.port = 0;
    config.https = true;
    config.https_tls.prefix = "listeners.https.";
    config.https_tls.ssl = {{"ssl.keystore.type", "PEM"},
                            {"ssl.keystore.location", TlsFile("broker.pem")},
                            {"ssl.truststore.type", "PEM"},
                            {"ssl.truststore.location", TlsFile("ca.pem")},
                            {"ssl.client.auth", client_auth}};
    return config;
  }

  Result<int> Start(RestConfig config) {
    server_ = std::make_unique<Server>(herder_, std::move(config));
    return server_->Start();
  }

  std::string Url(int port, const std::string& path) { return "'https://127.0.0.1:" + std::to_string(port) + path + "'"; }
  std::string ClientCert() { return " --cacert " + TlsFile("ca.pem") + " --cert " + TlsFile("client.crt") + " --key " + TlsFile("client.key"); }

  fs::path dir_;
  FakeHerder herder_;
  std::unique_ptr<Server> server_;
};

TEST_F(HttpsTest, BasicAuthOverMutualTls) {
  RestConfig config = HttpsConfig();
  config.basic_auth = true;
  config.login_config = (dir_ / "jaas.conf").string();
  Result<int> port = Start(config);
  ASSERT_TRUE(port.ok()) << port.error().ToString();

  EXPECT_EQ(Curl(ClientCert() + " -u ferry:ferry-secret " + Url(*port, "/connectors")), "200");
  EXPECT_EQ(Curl(ClientCert() + " -u admin:admin-secret " + Url(*port, "/")), "200");
  std::string body;
  std::string headers;
  EXPECT_EQ(Curl(ClientCert() + " -u ferry:wrong " + Url(*port, "/connectors"), &body, &headers), "401");
  EXPECT_EQ(body, "User cannot access the resource.");
  EXPECT_THAT(headers, HasSubstr("WWW-Authenticate: Basic realm=\"KafkaConnect\""));
  EXPECT_EQ(Curl(ClientCert() + " " + Url(*port, "/connectors")), "401");                       // none
  EXPECT_EQ(Curl(ClientCert() + " -u nobody:ferry-secret " + Url(*port, "/connectors")), "401");  // unknown user
  EXPECT_EQ(Curl(ClientCert() + " -H 'Authorization: Bearer abc' " + Url(*port, "/connectors")), "401");
  EXPECT_EQ(Curl(ClientCert() + " -H 'Authorization: Basic %%%' " + Url(*port, "/connectors")), "401");
  // A body is refused too, and the connection stays usable.
  EXPECT_EQ(Curl(ClientCert() + " -X POST -H 'Content-Type: application/json' -d '{}' " + Url(*port, "/connectors")), "401");
  // Connect lets the internal task-config request through (its signature is checked by the route).
  EXPECT_NE(Curl(ClientCert() + " -X POST -H 'Content-Type: application/json' -d '[]' " +
                 Url(*port, "/connectors/a/tasks?forward=false")),
            "401");
  EXPECT_EQ(Curl(ClientCert() + " -X PUT -H 'Content-Type: application/json' -d '{}' " + Url(*port, "/connectors/a/tasks")),
            "401");
}

TEST_F(HttpsTest, ClientCertificateRequiredAndUnknownCas) {
  Result<int> port = Start(HttpsConfig("required"));
  ASSERT_TRUE(port.ok()) << port.error().ToString();
  EXPECT_EQ(Curl(ClientCert() + " " + Url(*port, "/")), "200");
  // No client certificate: the handshake is refused (curl 56: the server closed it; 35: TLS error).
  EXPECT_THAT(Curl(" --cacert " + TlsFile("ca.pem") + " " + Url(*port, "/")), ::testing::StartsWith("curl:"));
  // The client does not trust the server's CA: curl refuses (60).
  EXPECT_EQ(Curl(" --cacert " + TlsFile("other-ca.pem") + " --cert " + TlsFile("client.crt") + " --key " +
                 TlsFile("client.key") + " " + Url(*port, "/")),
            "curl:60");
  // Plain HTTP on the TLS port gets no answer.
  EXPECT_THAT(Curl("http://127.0.0.1:" + std::to_string(*port) + "/"), ::testing::StartsWith("curl:"));
  // Still serving.
  EXPECT_EQ(Curl(ClientCert() + " " + Url(*port, "/")), "200");
}

TEST_F(HttpsTest, ClientCertificateRequested) {
  Result<int> port = Start(HttpsConfig("requested"));
  ASSERT_TRUE(port.ok()) << port.error().ToString();
  EXPECT_EQ(Curl(" --cacert " + TlsFile("ca.pem") + " " + Url(*port, "/")), "200");
  EXPECT_EQ(Curl(ClientCert() + " " + Url(*port, "/")), "200");
}

TEST_F(HttpsTest, BadInputOverTlsGetsClear4xx) {
  Result<int> port = Start(HttpsConfig());
  ASSERT_TRUE(port.ok()) << port.error().ToString();
  EXPECT_THAT(RawTls(*port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ::testing::StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(RawTls(*port, "NONSENSE\r\n\r\n"), ::testing::StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(RawTls(*port, "GET / HTTP/1.1\r\nX-Big: " + std::string(70 << 10, 'a') + "\r\n\r\n"),
              ::testing::StartsWith("HTTP/1.1 431"));
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 200; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_THAT(RawTls(*port, many + "\r\n"), ::testing::StartsWith("HTTP/1.1 431"));
  EXPECT_THAT(RawTls(*port, "GET /connectors/a%zz/status HTTP/1.1\r\nConnection: close\r\n\r\n"),
              ::testing::StartsWith("HTTP/1.1 4"));
  EXPECT_THAT(RawTls(*port, "POST /connectors HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc"),
              ::testing::StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(RawTls(*port, "PUT /connectors/a/config HTTP/1.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
                            "Content-Length: 9\r\n\r\n{\"a\":[1,,"),
              ::testing::StartsWith("HTTP/1.1 4"));
  const std::string big(2 << 20, 'x');
  EXPECT_THAT(RawTls(*port, "PUT /connectors/a/config HTTP/1.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
                            "Content-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big),
              ::testing::StartsWith("HTTP/1.1 413"));
  // Two requests on one kept-alive TLS connection.
  const std::string two = RawTls(*port, "GET / HTTP/1.1\r\n\r\nGET /connectors HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(two.find("HTTP/1.1 200"), 0u) << two;
  EXPECT_NE(two.find("HTTP/1.1 200", 10), std::string::npos) << two;
}

TEST_F(HttpsTest, MixedListenersAndHttpsAdminListener) {
  RestConfig config = HttpsConfig("none");
  config.more_listeners.push_back({"127.0.0.1", 0, false});
  config.admin_listeners = std::vector<ListenAddress>{{"127.0.0.1", 0, true}};
  config.admin_https_tls.prefix = "admin.listeners.https.";
  config.admin_https_tls.ssl = {{"ssl.keystore.type", "PEM"},
                                {"ssl.keystore.location", TlsFile("broker.pem")},
                                {"ssl.truststore.type", "PEM"},
                                {"ssl.truststore.location", TlsFile("ca.pem")},
                                {"ssl.client.auth", "required"}};
  Result<int> port = Start(config);
  ASSERT_TRUE(port.ok()) << port.error().ToString();
  const std::vector<int> ports = server_->ports();
  ASSERT_EQ(ports.size(), 2u);
  const int admin = server_->admin_ports().at(0);
  EXPECT_EQ(Curl(" --cacert " + TlsFile("ca.pem") + " " + Url(ports[0], "/")), "200");
  EXPECT_EQ(Curl("http://127.0.0.1:" + std::to_string(ports[1]) + "/"), "200");
  EXPECT_EQ(Curl(ClientCert() + " " + Url(admin, "/admin/loggers")), "200");
  EXPECT_THAT(Curl(" --cacert " + TlsFile("ca.pem") + " " + Url(admin, "/admin/loggers")), ::testing::StartsWith("curl:"));
}

TEST_F(HttpsTest, ClientChecksTheHostName) {
  RestConfig config = HttpsConfig("none");
  config.https_tls.ssl["ssl.keystore.location"] = TlsFile("broker-wronghost.pem");
  Result<int> port = Start(config);
  ASSERT_TRUE(port.ok()) << port.error().ToString();
  const std::string url = "https://127.0.0.1:" + std::to_string(*port);
  auto get = [&](const worker::RestTlsSettings& settings) {
    auto tls = worker::RestTls::Load(settings, false);
    EXPECT_TRUE(tls.ok()) << tls.error().ToString();
    httplib::Client client(url);
    EXPECT_TRUE(worker::ConfigureRestClient(client, url, tls->get()).ok());
    httplib::Result res = client.Get("/");
    return res ? std::to_string(res->status) : httplib::to_string(res.error()) + " " + worker::LastRestClientTlsFailure();
  };
  worker::RestTlsSettings trust{{{"ssl.truststore.type", "PEM"}, {"ssl.truststore.location", TlsFile("ca.pem")}}, ""};
  EXPECT_THAT(get(trust), HasSubstr("certificate verify failed: IP address mismatch"));
  trust.ssl["ssl.endpoint.identification.algorithm"] = "";
  EXPECT_EQ(get(trust), "200");
  worker::RestTlsSettings other{{{"ssl.truststore.type", "PEM"}, {"ssl.truststore.location", TlsFile("other-ca.pem")},
                                 {"ssl.endpoint.identification.algorithm", ""}}, ""};
  EXPECT_THAT(get(other), HasSubstr("certificate verify failed"));
}

TEST_F(HttpsTest, ClientNamesTheRightHostAndSendsItsCertificate) {
  Result<int> port = Start(HttpsConfig("required"));
  ASSERT_TRUE(port.ok()) << port.error().ToString();
  const std::string url = "https://127.0.0.1:" + std::to_string(*port);
  auto tls = worker::RestTls::Load({{{"ssl.keystore.type", "PEM"},
                                     {"ssl.keystore.key", "x"},
                                     {"ssl.keystore.certificate.chain", "y"}}, "listeners.https."}, false);
  EXPECT_FALSE(tls.ok());
  std::ifstream key_in(TlsFile("client.key"));
  std::ifstream cert_in(TlsFile("client.crt"));
  std::string key((std::istreambuf_iterator<char>(key_in)), std::istreambuf_iterator<char>());
  std::string cert((std::istreambuf_iterator<char>(cert_in)), std::istreambuf_iterator<char>());
  // Inline PEM as a properties file's continuation lines leave it: without line ends.
  std::erase(key, '\n');
  tls = worker::RestTls::Load({{{"ssl.keystore.type", "PEM"},
                                {"ssl.keystore.key", key},
                                {"ssl.keystore.certificate.chain", cert},
                                {"ssl.truststore.type", "PEM"},
                                {"ssl.truststore.location", TlsFile("ca.pem")}}, "listeners.https."}, false);
  ASSERT_TRUE(tls.ok()) << tls.error().ToString();
  httplib::Client client(url);
  ASSERT_TRUE(worker::ConfigureRestClient(client, url, tls->get()).ok());
  httplib::Result res = client.Get("/");
  ASSERT_TRUE(res) << httplib::to_string(res.error()) << " " << worker::LastRestClientTlsFailure();
  EXPECT_EQ(res->status, 200);
}

TEST_F(HttpsTest, SettingsRefusedWithWhatToSet) {
  auto error = [](Properties ssl, const std::string& prefix = "listeners.https.") {
    auto tls = worker::RestTls::Load({std::move(ssl), prefix}, true);
    return tls.ok() ? std::string("ok") : tls.error().message();
  };
  EXPECT_THAT(error({}), HasSubstr("An https listener needs a private key and certificate: set listeners.https.ssl.keystore.type=PEM"));
  EXPECT_THAT(error({{"ssl.keystore.location", TlsFile("broker.pem")}}),
              HasSubstr("'listeners.https.ssl.keystore.type': JKS (Kafka's default) cannot be read by Ferry"));
  EXPECT_THAT(error({{"ssl.keystore.type", "PEM"}, {"ssl.keystore.location", (dir_ / "missing.pem").string()}}),
              HasSubstr("'listeners.https.ssl.keystore.location': cannot read"));
  EXPECT_THAT(error({{"ssl.keystore.type", "PEM"}, {"ssl.keystore.location", TlsFile("ca.pem")}}),
              HasSubstr("holds no PEM private key"));
  WriteFile(dir_ / "mismatch.pem", [] {
    std::ifstream a(TlsFile("client.key"));
    std::ifstream b(TlsFile("broker.crt"));
    return std::string((std::istreambuf_iterator<char>(a)), std::istreambuf_iterator<char>()) +
           std::string((std::istreambuf_iterator<char>(b)), std::istreambuf_iterator<char>());
  }());
  EXPECT_THAT(error({{"ssl.keystore.type", "PEM"}, {"ssl.keystore.location", (dir_ / "mismatch.pem").string()}}),
              HasSubstr("does not belong to the first certificate"));
  WriteFile(dir_ / "encrypted.pem", [] {
    std::ifstream a(TlsFile("client-encrypted.key"));
    std::ifstream b(TlsFile("client.crt"));
    return std::string((std::istreambuf_iterator<char>(a)), std::istreambuf_iterator<char>()) +
           std::string((std::istreambuf_iterator<char>(b)), std::istreambuf_iterator<char>());
  }());
  const Properties encrypted = {{"ssl.keystore.type", "PEM"}, {"ssl.keystore.location", (dir_ / "encrypted.pem").string()}};
  EXPECT_THAT(error(encrypted), HasSubstr("holds an encrypted private key: set listeners.https.ssl.key.password"));
  Properties wrong = encrypted;
  wrong["ssl.key.password"] = "not-it-secret";
  EXPECT_THAT(error(wrong), HasSubstr("cannot decrypt the private key"));
  EXPECT_THAT(error(wrong), ::testing::Not(HasSubstr("not-it-secret")));
  Properties right = encrypted;
  right["ssl.key.password"] = "client-key-secret";
  EXPECT_EQ(error(right), "ok");
  Properties client_auth = right;
  client_auth["ssl.client.auth"] = "required";
  EXPECT_THAT(error(client_auth), HasSubstr("=required needs the CAs of the clients' certificates"));
  Properties unknown = right;
  unknown["ssl.truststore.locaton"] = "x";
  EXPECT_THAT(error(unknown), HasSubstr("'listeners.https.ssl.truststore.locaton' is not a TLS setting"));
  Properties provider = right;
  provider["ssl.provider"] = "SunJSSE";
  EXPECT_THAT(error(provider), HasSubstr("Remove the setting"));
  Properties protocols = right;
  protocols["ssl.enabled.protocols"] = "SSLv3";
  EXPECT_THAT(error(protocols), HasSubstr("unknown protocol 'SSLv3'"));
  Properties suites = right;
  suites["ssl.cipher.suites"] = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256";
  EXPECT_EQ(error(suites), "ok");
  suites["ssl.cipher.suites"] = "TLS_NOT_A_SUITE";
  EXPECT_THAT(error(suites), HasSubstr("unknown cipher suite 'TLS_NOT_A_SUITE'"));
  // Without listeners.https.* the worker's own ssl.* keys are used, as in Connect.
  const worker::RestTlsSettings bare = worker::SelectRestTlsSettings(
      {{"ssl.keystore.type", "PEM"}, {"listeners.http.x", "y"}, {"bootstrap.servers", "b"}}, "listeners.https.");
  EXPECT_EQ(bare.prefix, "");
  EXPECT_EQ(bare.ssl, (Properties{{"ssl.keystore.type", "PEM"}}));
  const worker::RestTlsSettings prefixed = worker::SelectRestTlsSettings(
      {{"ssl.keystore.type", "PEM"}, {"listeners.https.ssl.client.auth", "required"}}, "listeners.https.");
  EXPECT_EQ(prefixed.prefix, "listeners.https.");
  EXPECT_EQ(prefixed.ssl, (Properties{{"ssl.client.auth", "required"}}));
}

TEST_F(HttpsTest, ServerStartFailsOnBadSecurity) {
  RestConfig config = HttpsConfig();
  config.https_tls.ssl["ssl.keystore.type"] = "JKS";
  EXPECT_THAT(Start(config).error().message(), HasSubstr("JKS"));
  config = HttpsConfig();
  config.basic_auth = true;
  EXPECT_THAT(Start(config).error().message(), HasSubstr("-Djava.security.auth.login.config"));
  config.login_config = (dir_ / "missing.conf").string();
  EXPECT_THAT(Start(config).error().message(), HasSubstr("cannot read the JAAS file"));
}

TEST(BasicAuthTest, JaasFileAndCredentials) {
  const fs::path dir = fs::temp_directory_path() / ("ferry-jaas-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  WriteFile(dir / "users", "ferry=ferry-secret\n");
  WriteFile(dir / "other.conf", "KafkaServer { x required; };\n");
  WriteFile(dir / "ldap.conf", "KafkaConnect { com.example.LdapLoginModule required url=\"ldap://x\"; };\n");
  WriteFile(dir / "broken.conf", "KafkaConnect { org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required");
  WriteFile(dir / "nofile.conf", "/* c */ KafkaConnect { org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required; };");
  WriteFile(dir / "good.conf", "KafkaConnect {\n org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule "
                               "required file='" + (dir / "users").string() + "'; // users\n};\n");
  EXPECT_THAT(BasicAuth::FromJaasFile((dir / "other.conf").string()).error().message(), HasSubstr("has no KafkaConnect entry"));
  EXPECT_THAT(BasicAuth::FromJaasFile((dir / "ldap.conf").string()).error().message(), HasSubstr("names com.example.LdapLoginModule"));
  EXPECT_THAT(BasicAuth::FromJaasFile((dir / "broken.conf").string()).error().message(), HasSubstr("not a JAAS file"));
  EXPECT_THAT(BasicAuth::FromJaasFile((dir / "nofile.conf").string()).error().message(), HasSubstr("has no file="));
  auto auth = BasicAuth::FromJaasFile((dir / "good.conf").string());
  ASSERT_TRUE(auth.ok()) << auth.error().ToString();
  EXPECT_TRUE((*auth)->Allows("Basic ZmVycnk6ZmVycnktc2VjcmV0"));  // ferry:ferry-secret
  EXPECT_TRUE((*auth)->Allows("basic ZmVycnk6ZmVycnktc2VjcmV0"));
  EXPECT_FALSE((*auth)->Allows("Basic ZmVycnk6ZmVycnktc2VjcmV"));
  EXPECT_FALSE((*auth)->Allows("Basic ZmVycnk6"));  // ferry: (empty password)
  EXPECT_FALSE((*auth)->Allows(std::nullopt));
  EXPECT_FALSE((*auth)->Allows("BasicZmVycnk6ZmVycnktc2VjcmV0"));
  EXPECT_TRUE(BasicAuth::FromCredentials({})->Allows(std::nullopt));  // an empty file permits all, as in Connect
  fs::remove_all(dir);

  EXPECT_TRUE(BasicAuth::IsInternalRequest("POST", "/connectors/a/tasks?forward=false"));
  EXPECT_TRUE(BasicAuth::IsInternalRequest("POST", "/connectors/a%2Fb/tasks/"));
  EXPECT_FALSE(BasicAuth::IsInternalRequest("PUT", "/connectors/a/tasks"));
  EXPECT_FALSE(BasicAuth::IsInternalRequest("POST", "/connectors/a/b/tasks"));
  EXPECT_FALSE(BasicAuth::IsInternalRequest("POST", "/connectors//tasks"));
  EXPECT_FALSE(BasicAuth::IsInternalRequest("POST", "/connectors/a/tasks/0/restart"));

  EXPECT_EQ(*LoginConfigPath("", "-Xmx1g -Djava.security.auth.login.config=/etc/jaas.conf -Dx=y"), "/etc/jaas.conf");
  EXPECT_EQ(*LoginConfigPath("", "-Djava.security.auth.login.config=\"/a b/jaas.conf\""), "/a b/jaas.conf");
  EXPECT_EQ(*LoginConfigPath("/mine.conf", "-Djava.security.auth.login.config=/etc/jaas.conf"), "/mine.conf");
  EXPECT_FALSE(LoginConfigPath("", "-Dother.java.security.auth.login.config=/x").ok());
  EXPECT_FALSE(LoginConfigPath("", nullptr).ok());
}

TEST(RestWorkerConfigTest, HttpsListenersAndBasicAuth) {
  auto parse = [](Properties p) {
    p["bootstrap.servers"] = "localhost:9092";
    p["offset.storage.file.filename"] = "/tmp/x";
    return worker::WorkerConfig::Parse(p, worker::WorkerMode::kStandalone);
  };
  auto c = parse({{"listeners", "https://127.0.0.1:0"},
                  {"listeners.https.ssl.keystore.type", "PEM"},
                  {"admin.listeners", "https://127.0.0.1:0"},
                  {"admin.listeners.https.ssl.client.auth", "required"},
                  {"rest.extension.classes", worker::WorkerConfig::kBasicAuthExtension},
                  {"ferry.rest.auth.login.config", "/etc/jaas.conf"}});
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->listeners.at(0).scheme, "https");
  EXPECT_EQ(c->advertised_scheme, "https");
  c->SetBoundPort(8443);
  EXPECT_EQ(c->AdvertisedUrl(), "https://127.0.0.1:8443/");
  EXPECT_EQ(c->rest_https.ssl, (Properties{{"ssl.keystore.type", "PEM"}}));
  EXPECT_EQ(c->rest_admin_https.ssl, (Properties{{"ssl.client.auth", "required"}}));
  EXPECT_TRUE(c->rest_basic_auth);
  EXPECT_EQ(c->rest_auth_login_config, "/etc/jaas.conf");
  EXPECT_TRUE(c->unknown_keys.empty());
  const RestConfig rest = RestConfig::ForWorker(*c);
  EXPECT_TRUE(rest.https);
  EXPECT_TRUE(rest.admin_listeners->at(0).https);
  EXPECT_EQ(rest.login_config, "/etc/jaas.conf");

  // Mixed: Connect advertises http when any listener is http, unless rest.advertised.listener says.
  c = parse({{"listeners", "https://127.0.0.1:0,http://127.0.0.1:0"}});
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->advertised_scheme, "http");
  c = parse({{"listeners", "https://127.0.0.1:0,http://127.0.0.1:0"}, {"rest.advertised.listener", "HTTPS"}});
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->advertised_scheme, "https");
  c = parse({{"listeners", "http://127.0.0.1:0"}, {"rest.advertised.listener", "https"}});
  EXPECT_THAT(c.error().message(), HasSubstr("rest.advertised.listener: no URL of listeners is https"));
  c = parse({{"listeners", "ftp://127.0.0.1:0"}});
  EXPECT_THAT(c.error().message(), HasSubstr("expected http or https"));
  c = parse({{"rest.extension.classes", "com.example.MyExtension"}});
  EXPECT_THAT(c.error().message(), HasSubstr("Ferry cannot run the Kafka Connect REST extension com.example.MyExtension"));
}

}  // namespace
}  // namespace ferry::rest
