#include "worker/internal_requests.h"

#include <httplib.h>

#include "worker/common/json.h"
#include "worker/common/url.h"
#include "worker/rest_tls.h"

namespace ferry::worker {
namespace {

ErrorCode CodeOfStatus(int status) {
  switch (status) {
    case 400: return ErrorCode::kInvalidConfig;
    case 403: return ErrorCode::kForbidden;
    case 404: return ErrorCode::kNotFound;
    case 409: return ErrorCode::kConflict;
    case 503: return ErrorCode::kUnavailable;
    default: return ErrorCode::kInternal;
  }
}

}  // namespace

std::string TaskConfigsJson(const std::vector<Properties>& task_configs) {
  std::string out = "[";
  for (size_t i = 0; i < task_configs.size(); ++i) {
    out += i == 0 ? "{" : ",{";
    bool first = true;
    for (const auto& [key, value] : task_configs[i]) {
      out += (first ? "" : ",") + json::Quote(key) + ":" + json::Quote(value);
      first = false;
    }
    out += "}";
  }
  return out + "]";
}

Result<std::vector<Properties>> ParseTaskConfigsJson(const std::string& body) {
  auto doc = json::Parse(body, "task configs");
  if (!doc.ok()) return Error::BadRequest(doc.error().message());
  if (!doc->IsArray()) return Error::BadRequest("Task configs must be a JSON array of objects");
  std::vector<Properties> out;
  for (const auto& task : doc->GetArray()) {
    if (!task.IsObject()) return Error::BadRequest("Task configs must be a JSON array of objects");
    Properties config;
    for (const auto& member : task.GetObject()) {
      if (!member.value.IsString()) {
        return Error::BadRequest("Task config value of '" + std::string(member.name.GetString()) + "' is not a string");
      }
      config[member.name.GetString()] = std::string(member.value.GetString(), member.value.GetStringLength());
    }
    out.push_back(std::move(config));
  }
  return out;
}

Result<> SendTaskConfigs(const std::string& leader_url, const std::string& rest_namespace, const std::string& connector,
                         const std::vector<Properties>& task_configs, const std::optional<SessionKey>& key,
                         const std::string& signature_algorithm, std::chrono::milliseconds timeout) {
  std::string base = leader_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  httplib::Client client(base);
  if (!client.is_valid()) return Error::Internal("task configs of " + connector + ": invalid leader URL " + leader_url);
  FERRY_RETURN_IF_ERROR(ConfigureRestClient(client, base));  // https: worker/rest_tls.h
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count() % 1000000;
  client.set_connection_timeout(seconds, micros);
  client.set_read_timeout(seconds, micros);
  client.set_write_timeout(seconds, micros);
  const std::string body = TaskConfigsJson(task_configs);
  httplib::Headers headers;
  if (key) {
    auto signature = SignRequest(*key, signature_algorithm, body);
    if (!signature.ok()) return signature.error();
    headers.emplace(std::string(kSignatureHeader), *signature);
    headers.emplace(std::string(kSignatureAlgorithmHeader), signature_algorithm);
  }
  const std::string path = rest_namespace + "/connectors/" + EncodePathSegment(connector) + "/tasks?forward=false";
  httplib::Result answer = client.Post(path, headers, body, "application/json");
  if (!answer) {
    const std::string tls_failure = LastRestClientTlsFailure();
    return Error::Internal("task configs of " + connector + " not sent to the leader at " + leader_url + ": " +
                           httplib::to_string(answer.error()) + (tls_failure.empty() ? "" : " (" + tls_failure + ")"));
  }
  if (answer->status / 100 == 2) return Ok();
  std::string message = answer->body;
  if (auto doc = json::Parse(answer->body, "the leader's answer"); doc.ok() && doc->IsObject()) {
    auto it = doc->FindMember("message");
    if (it != doc->MemberEnd() && it->value.IsString()) message = it->value.GetString();
  }
  return Error(CodeOfStatus(answer->status), "the leader at " + leader_url + " answered " +
                                                  std::to_string(answer->status) + ": " + message);
}

}  // namespace ferry::worker
