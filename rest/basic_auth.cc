#include "rest/basic_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include <glog/logging.h>

#include "worker/common/base64.h"
#include "worker/properties.h"
#include "worker/request_signature.h"

namespace ferry::rest {
namespace {

constexpr std::string_view kLoginContext = "KafkaConnect";
constexpr std::string_view kPropertyFileLoginModule =
    "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule";
constexpr std::string_view kLoginConfigProperty = "-Djava.security.auth.login.config=";
constexpr size_t kMaxJaasBytes = 1 << 20;

std::array<unsigned char, 32> Sha256(std::string_view text) {
  std::array<unsigned char, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

// The tokens of a JAAS file: words, quoted strings (quotes removed, \" and \\ escapes), and the
// punctuation { } ; =. Comments (// and /* */) are dropped.
struct Token {
  std::string text;
  bool quoted = false;
};

Result<std::vector<Token>> Tokenize(std::string_view text, const std::string& where) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (text.substr(i, 2) == "//") {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (text.substr(i, 2) == "/*") {
      const size_t end = text.find("*/", i + 2);
      if (end == std::string_view::npos) return Error::InvalidConfig(where, "a /* comment is not closed");
      i = end + 2;
    } else if (c == '{' || c == '}' || c == ';' || c == '=') {
      tokens.push_back({std::string(1, c), false});
      ++i;
    } else if (c == '"' || c == '\'') {
      std::string value;
      size_t j = i + 1;
      for (; j < text.size() && text[j] != c; ++j) {
        if (text[j] == '\\' && j + 1 < text.size()) ++j;
        value.push_back(text[j]);
      }
      if (j >= text.size()) return Error::InvalidConfig(where, "a quoted value is not closed");
      tokens.push_back({std::move(value), true});
      i = j + 1;
    } else {
      size_t j = i;
      while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) && std::string_view("{};=\"'").find(text[j]) == std::string_view::npos) ++j;
      tokens.push_back({std::string(text.substr(i, j - i)), false});
      i = j;
    }
  }
  return tokens;
}

// One login module line of an entry.
struct Module {
  std::string class_name;
  std::string flag;
  std::map<std::string, std::string> options;
};

// The modules of each entry of a JAAS file.
Result<std::map<std::string, std::vector<Module>>> ParseJaas(std::string_view text, const std::string& where) {
  Result<std::vector<Token>> tokens_or = Tokenize(text, where);
  if (!tokens_or.ok()) return tokens_or.error();
  const std::vector<Token>& t = *tokens_or;
  std::map<std::string, std::vector<Module>> entries;
  auto is = [&](size_t i, std::string_view s) { return i < t.size() && !t[i].quoted && t[i].text == s; };
  auto syntax = [&](const std::string& what) { return Error::InvalidConfig(where, "not a JAAS file: " + what); };
  size_t i = 0;
  while (i < t.size()) {
    if (t[i].quoted || is(i, "{") || is(i, "}") || is(i, ";") || is(i, "=")) return syntax("an entry name was expected");
    const std::string name = t[i++].text;
    if (!is(i++, "{")) return syntax("'{' was expected after " + name);
    std::vector<Module>& modules = entries[name];
    while (!is(i, "}")) {
      if (i + 1 >= t.size()) return syntax("the entry " + name + " is not closed with '};'");
      Module module;
      module.class_name = t[i++].text;
      module.flag = t[i++].text;
      while (!is(i, ";")) {
        if (i + 2 >= t.size() || !is(i + 1, "=")) return syntax("an option name=value or ';' was expected in " + name);
        module.options[t[i].text] = t[i + 2].text;
        i += 3;
      }
      ++i;  // ;
      modules.push_back(std::move(module));
    }
    ++i;  // }
    if (!is(i++, ";")) return syntax("';' was expected after the entry " + name);
  }
  return entries;
}

}  // namespace

Result<std::shared_ptr<const BasicAuth>> BasicAuth::FromJaasFile(const std::string& jaas_path) {
  const std::string where = "the JAAS file '" + jaas_path + "'";
  std::ifstream in(jaas_path, std::ios::binary);
  if (!in) {
    return Error(ErrorCode::kInvalidConfig, "Basic authentication: cannot read " + where + ": " + std::strerror(errno));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > kMaxJaasBytes) return Error(ErrorCode::kInvalidConfig, where + " is larger than 1 MiB");
  Result<std::map<std::string, std::vector<Module>>> entries = ParseJaas(text, where);
  if (!entries.ok()) return entries.error();
  auto entry = entries->find(std::string(kLoginContext));
  if (entry == entries->end() || entry->second.empty()) {
    return Error(ErrorCode::kInvalidConfig, "Basic authentication: " + where + " has no KafkaConnect entry (KafkaConnect { " +
                                                std::string(kPropertyFileLoginModule) + " required file=\"...\"; };)");
  }
  if (entry->second.size() > 1) {
    return Error(ErrorCode::kInvalidConfig, "Basic authentication: the KafkaConnect entry of " + where +
                                                " has several login modules; Ferry supports one PropertyFileLoginModule");
  }
  const Module& module = entry->second.front();
  if (module.class_name != kPropertyFileLoginModule) {
    return Error(ErrorCode::kInvalidConfig, "Basic authentication: the KafkaConnect entry of " + where + " names " +
                                                module.class_name + "; Ferry supports only " +
                                                std::string(kPropertyFileLoginModule));
  }
  auto file = module.options.find("file");
  if (file == module.options.end() || file->second.empty()) {
    return Error(ErrorCode::kInvalidConfig, "Basic authentication: the KafkaConnect entry of " + where +
                                                " has no file=\"...\" (the credentials file)");
  }
  Result<Properties> users = worker::LoadPropertiesFile(file->second);
  if (!users.ok()) {
    return Error(ErrorCode::kInvalidConfig, "Basic authentication: the credentials file of " + where + ": " +
                                                users.error().message());
  }
  if (users->empty()) {
    LOG(WARNING) << "Basic authentication: the credentials file '" << file->second
                 << "' is empty; all requests will be permitted (as in Kafka Connect)";
  }
  LOG(INFO) << "REST Basic authentication: " << users->size() << " user(s) from '" << file->second << "'";
  return FromCredentials(*users);
}

std::shared_ptr<const BasicAuth> BasicAuth::FromCredentials(const Properties& users) {
  auto auth = std::make_shared<BasicAuth>();
  for (const auto& [user, password] : users) auth->users_[user] = Sha256(password);
  auth->allow_all_ = users.empty();
  return auth;
}

bool BasicAuth::Allows(const std::optional<std::string>& authorization) const {
  if (allow_all_) return true;
  if (!authorization) return false;
  const std::string& value = *authorization;
  const size_t space = value.find(' ');
  if (space == std::string::npos || space == 0) return false;
  std::string method = value.substr(0, space);
  for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (method != "basic") return false;
  Result<std::string> decoded = Base64Decode(std::string_view(value).substr(space + 1));
  if (!decoded.ok()) return false;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0) return false;
  const std::string user = decoded->substr(0, colon);
  const Digest given = Sha256(std::string_view(*decoded).substr(colon + 1));
  // The same work for an unknown user as for a wrong password.
  static const Digest kNobody = Sha256("\x01 no such user");
  auto it = users_.find(user);
  const Digest& wanted = it == users_.end() ? kNobody : it->second;
  const bool same = CRYPTO_memcmp(given.data(), wanted.data(), wanted.size()) == 0;
  return same && it != users_.end();
}

bool BasicAuth::IsInternalRequest(std::string_view method, std::string_view target) {
  if (method != "POST") return false;
  std::string_view path = target.substr(0, target.find('?'));
  if (path.ends_with('/')) path.remove_suffix(1);
  constexpr std::string_view kConnectors = "/connectors/";
  constexpr std::string_view kTasks = "/tasks";
  if (!path.starts_with(kConnectors) || !path.ends_with(kTasks)) return false;
  if (path.size() <= kConnectors.size() + kTasks.size()) return false;
  const std::string_view name = path.substr(kConnectors.size(), path.size() - kConnectors.size() - kTasks.size());
  return name.find('/') == std::string_view::npos;
}

Result<std::string> LoginConfigPath(const std::string& configured, const char* kafka_opts) {
  if (!configured.empty()) return configured;
  if (kafka_opts != nullptr) {
    const std::string_view opts(kafka_opts);
    const size_t at = opts.find(kLoginConfigProperty);
    if (at != std::string_view::npos && (at == 0 || std::isspace(static_cast<unsigned char>(opts[at - 1])))) {
      std::string_view value = opts.substr(at + kLoginConfigProperty.size());
      std::string path;
      if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
        const char quote = value.front();
        const size_t end = value.find(quote, 1);
        path = std::string(value.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
      } else {
        size_t end = 0;
        while (end < value.size() && !std::isspace(static_cast<unsigned char>(value[end]))) ++end;
        path = std::string(value.substr(0, end));
      }
      if (!path.empty()) return path;
    }
  }
  return Error(ErrorCode::kInvalidConfig,
               "rest.extension.classes names BasicAuthSecurityRestExtension, but no JAAS file is given: set "
               "ferry.rest.auth.login.config=/path/to/jaas.conf in the worker file, or "
               "KAFKA_OPTS=-Djava.security.auth.login.config=/path/to/jaas.conf as for Kafka Connect");
}

}  // namespace ferry::rest
