#include "rest/connector_routes.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <string>
#include <vector>

#include <glog/logging.h>

#include "rest/entities.h"
#include "rest/errors.h"
#include "worker/common/json.h"

namespace ferry::rest {
namespace {

using worker::Herder;

constexpr char kNameConfig[] = "name";
constexpr char kConnectorClassConfig[] = "connector.class";
constexpr char kValidateHint[] =
    "\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`";
constexpr char kNullValueError[] = "Null value can not be supplied as the configuration value.";
constexpr char kHealthy[] = "Worker has completed startup and is ready to handle requests.";
constexpr char kStarting[] = "Worker is still starting up.";
constexpr char kUnhealthy[] = "Worker was unable to handle this request and may be unable to handle other requests.";

std::string TrimJava(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
  return std::string(s.substr(b, e - b));
}

// The ISO control characters in `s` (Java's Character.isISOControl) as code points, in order:
// bytes 0x00-0x1F and 0x7F, and U+0080-U+009F (UTF-8 C2 80 .. C2 9F).
std::vector<int> ControlCharacters(std::string_view s) {
  std::vector<int> found;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) {
      found.push_back(c);
    } else if (c == 0xC2 && i + 1 < s.size()) {
      const auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) found.push_back(next);
    }
  }
  return found;
}

std::string JoinInts(const std::vector<int>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) out += (i == 0 ? "" : ", ") + std::to_string(values[i]);
  return out;
}

// Names Ferry refuses although Connect's validator would take them: they could change a path.
Result<> CheckPathSafe(std::string_view name) {
  if (name.find('/') != std::string_view::npos) {
    return Error::BadRequest("Invalid connector name '" + std::string(name) + "': a name may not contain '/'");
  }
  if (name.find("..") != std::string_view::npos) {
    return Error::BadRequest("Invalid connector name '" + std::string(name) + "': a name may not contain '..'");
  }
  return Ok();
}

// A new name must stay addressable: every URL that names it (percent-encoded, up to three bytes a
// byte, under a mirror-maker prefix) has to fit the 8 KiB request line. Names that exist already are
// not checked here, so they can still be read, stopped and deleted.
Result<> CheckNameLength(std::string_view name) {
  if (name.size() <= kMaxConnectorNameBytes) return Ok();
  constexpr size_t kShown = 40;
  return Error::BadRequest("Invalid connector name '" + std::string(name.substr(0, kShown)) + "...' (" +
                           std::to_string(name.size()) + " bytes): a name may be at most " +
                           std::to_string(kMaxConnectorNameBytes) + " bytes");
}

// Connect's "Connector configuration is invalid and contains the following N error(s):..." message.
Error InvalidConfig(const std::vector<std::string>& errors) {
  std::string message =
      "Connector configuration is invalid and contains the following " + std::to_string(errors.size()) + " error(s):";
  for (const std::string& e : errors) message += "\n" + e;
  return Error::BadRequest(message + kValidateHint);
}

// Connect's NonEmptyStringWithoutControlChars on the `name` setting, as validation errors.
std::vector<std::string> NameErrors(const std::string& name) {
  if (name.empty()) return {"Invalid value  for configuration name: String may not be empty"};
  const std::vector<int> control = ControlCharacters(name);
  if (!control.empty()) {
    return {"Invalid value " + name +
            " for configuration name: String may not contain control sequences but had the following ASCII chars: " +
            JoinInts(control)};
  }
  return {};
}

// Connect's checkAndPutConnectorConfigName, then the checks Connect's herder makes before it writes
// anything that need no connector plugin: a connector class is named, the name is valid, no value is
// null. Returns the settings to write.
Result<Properties> PrepareConnectorConfig(const std::string& name, NullableProperties config) {
  auto included = config.find(kNameConfig);
  if (included != config.end() && included->second) {
    if (*included->second != name) {
      return Error::BadRequest("Connector name configuration (" + *included->second +
                               ") doesn't match connector name in the URL (" + name + ")");
    }
  } else {
    config[kNameConfig] = name;
  }
  FERRY_RETURN_IF_ERROR(CheckPathSafe(name));
  FERRY_RETURN_IF_ERROR(CheckNameLength(name));
  auto cls = config.find(kConnectorClassConfig);
  if (cls == config.end() || !cls->second) {
    return Error::BadRequest("Connector config " + JavaMapString(config) + " contains no connector type");
  }
  std::vector<std::string> errors = NameErrors(name);
  Properties out;
  for (auto& [key, value] : config) {
    if (!value) {
      errors.push_back(kNullValueError);
    } else {
      out.emplace(key, std::move(*value));
    }
  }
  if (!errors.empty()) return InvalidConfig(errors);
  return out;
}

// Java's Integer.valueOf on a path segment; nullopt if it is not a 32-bit integer.
std::optional<int32_t> ParseTaskId(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+') return std::nullopt;
  int32_t value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

// Connect's ConnectorPluginsResource.normalizedPluginName: drops a "Connector" suffix.
std::string NormalizedPluginName(const std::string& name) {
  constexpr std::string_view kSuffix = "Connector";
  if (name.size() > kSuffix.size() && name.ends_with(kSuffix)) return name.substr(0, name.size() - kSuffix.size());
  return name;
}

Reply Json(int status, std::string body) { return Reply::Json(status, std::move(body)); }
Reply Fail(const Error& error) { return Reply::FromError(error); }

// A route on /connectors/{connector}...: checks the name first.
RouteHandler WithConnector(std::function<Reply(const RouteRequest&, const std::string&)> handler) {
  return [handler = std::move(handler)](const RouteRequest& req) {
    const std::string& name = req.params.at(0);
    if (Result<> ok = CheckConnectorName(name); !ok.ok()) return Fail(ok.error());
    return handler(req, name);
  };
}

// A route on /connectors/{connector}/tasks/{task}/...: a task id that is not an integer is 404.
RouteHandler WithTask(std::function<Reply(const RouteRequest&, const ConnectorTaskId&)> handler) {
  return WithConnector([handler = std::move(handler)](const RouteRequest& req, const std::string& name) {
    std::optional<int32_t> task = ParseTaskId(req.params.at(1));
    if (!task) return Reply::FromError(Error::NotFound("HTTP 404 Not Found"));
    return handler(req, ConnectorTaskId{name, *task});
  });
}

Reply ListConnectors(Herder& herder, const RouteRequest& req) {
  Result<std::vector<std::string>> names = herder.Connectors();
  if (!names.ok()) return Fail(names.error());
  if (!req.HasQuery("expand")) return Json(200, ToJson(*names));
  std::vector<std::string> wanted;
  for (const std::string& e : req.QueryValues("expand")) {
    if (e != "status" && e != "info") {
      VLOG(1) << "Ignoring unknown expansion type " << e;
    } else if (std::find(wanted.begin(), wanted.end(), e) == wanted.end()) {
      wanted.push_back(e);
    }
  }
  std::vector<ConnectorExpansion> out;
  for (const std::string& name : *names) {
    ConnectorExpansion expansion{name, {}};
    bool vanished = false;
    for (const std::string& part : wanted) {
      if (part == "status") {
        Result<worker::ConnectorStateInfo> status = herder.GetConnectorStatus(name);
        if (!status.ok() && status.error().code() == ErrorCode::kNotFound) {
          vanished = true;  // deleted while we listed: left out, as Connect does
          break;
        }
        if (!status.ok()) return Fail(status.error());
        expansion.parts.emplace_back(part, ToJson(*status));
      } else {
        Result<worker::ConnectorInfo> info = herder.GetConnector(name);
        if (!info.ok() && info.error().code() == ErrorCode::kNotFound) {
          vanished = true;
          break;
        }
        if (!info.ok()) return Fail(info.error());
        expansion.parts.emplace_back(part, ToJson(*info));
      }
    }
    if (!vanished) out.push_back(std::move(expansion));
  }
  return Json(200, ExpansionsToJson(out));
}

// The "/connectors/<name>" of a Location header, the name percent-encoded as JAX-RS's UriBuilder does.
std::string ConnectorLocation(const std::string& name) {
  static constexpr std::string_view kKeep = "-._~!$&'()*+,;=:@";
  std::string out = "/connectors/";
  for (unsigned char c : name) {
    if (std::isalnum(c) || kKeep.find(static_cast<char>(c)) != std::string_view::npos) {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Reply Created(const worker::CreatedConnector& created, bool always_created) {
  if (!always_created && !created.created) return Json(200, ToJson(created.info));
  Reply reply = Json(201, ToJson(created.info));
  reply.headers.emplace_back("Location", ConnectorLocation(created.info.name));
  return reply;
}

Reply CreateConnector(Herder& herder, const RouteRequest& req) {
  Result<CreateConnectorRequest> request = ParseCreateConnectorRequest(req.body);
  if (!request.ok()) return Fail(request.error());
  if (!request->config) {
    return Fail(Error::BadRequest("A create connector request needs a 'config' object with the connector's settings"));
  }
  // Connect's order: the name is trimmed, config.name must match it, then the herder validates.
  Result<Properties> config = PrepareConnectorConfig(request->name, std::move(*request->config));
  if (!config.ok()) return Fail(config.error());
  Result<worker::CreatedConnector> created =
      herder.PutConnectorConfig(request->name, *config, request->initial_state, /*allow_replace=*/false);
  if (!created.ok()) return Fail(created.error());
  return Created(*created, /*always_created=*/true);
}

Reply PutConnectorConfig(Herder& herder, const RouteRequest& req, const std::string& name) {
  Result<NullableProperties> body = ParseConfigObject(req.body);
  if (!body.ok()) return Fail(body.error());
  Result<Properties> config = PrepareConnectorConfig(name, std::move(*body));
  if (!config.ok()) return Fail(config.error());
  Result<worker::CreatedConnector> created =
      herder.PutConnectorConfig(name, *config, std::nullopt, /*allow_replace=*/true);
  if (!created.ok()) return Fail(created.error());
  return Created(*created, /*always_created=*/false);
}

Reply PatchConnectorConfig(Herder& herder, const RouteRequest& req, const std::string& name) {
  Result<NullableProperties> patch = ParseConfigObject(req.body);
  if (!patch.ok()) return Fail(patch.error());
  Result<worker::ConnectorInfo> info = herder.PatchConnectorConfig(name, *patch);
  if (!info.ok()) return Fail(info.error());
  return Json(200, ToJson(*info));
}

Reply RestartConnector(Herder& herder, const RouteRequest& req, const std::string& name) {
  const bool include_tasks = req.QueryFlag("includeTasks");
  const bool only_failed = req.QueryFlag("onlyFailed");
  Result<std::optional<worker::ConnectorStateInfo>> state = herder.RestartConnector(name, include_tasks, only_failed);
  if (!state.ok()) return Fail(state.error());
  // Connect: without either flag only the connector restarts and the answer is 204, else 202 and
  // the state with RESTARTING where instances will restart.
  if (!include_tasks && !only_failed) return Reply::Empty(204);
  if (!state->has_value()) return Reply::Empty(202);
  return Json(202, ToJson(**state));
}

Reply ValidateConfig(Herder& herder, const RouteRequest& req) {
  const std::string& plugin = req.params.at(0);
  Result<NullableProperties> body = ParseConfigObject(req.body);
  if (!body.ok()) return Fail(body.error());
  auto cls = body->find(kConnectorClassConfig);
  if (cls != body->end() && cls->second &&
      !NormalizedPluginName(*cls->second).ends_with(NormalizedPluginName(plugin))) {
    return Fail(
        Error::BadRequest("Included connector type " + *cls->second + " does not match request type " + plugin));
  }
  if (cls == body->end() || !cls->second) {
    return Fail(Error::BadRequest("Connector config " + JavaMapString(*body) + " contains no connector type"));
  }
  Properties config;
  std::vector<std::string> null_keys;
  for (const auto& [key, value] : *body) {
    if (value) {
      config.emplace(key, *value);
    } else {
      null_keys.push_back(key);
    }
  }
  Result<connectors::ConfigInfos> infos = herder.ValidateConfig(plugin, config);
  if (!infos.ok()) return Fail(infos.error());
  // Connect validates null values too: each gets an error on its entry (a value-only entry first if
  // the key has no definition).
  for (const std::string& key : null_keys) {
    auto it = std::find_if(infos->configs.begin(), infos->configs.end(), [&](const connectors::ConfigInfo& info) {
      return (info.value && info.value->name == key) || (info.definition && info.definition->name == key);
    });
    if (it == infos->configs.end()) {
      connectors::ConfigInfo info;
      info.value = connectors::ConfigValueInfo{};
      info.value->name = key;
      it = infos->configs.insert(infos->configs.begin(), std::move(info));
    }
    if (!it->value) {
      it->value = connectors::ConfigValueInfo{};
      it->value->name = key;
    }
    it->value->value.reset();
    it->value->errors.push_back(kNullValueError);
    ++infos->error_count;
  }
  return Json(200, ToJson(*infos));
}

// Connect's WorkerStatus: healthy, or starting / unhealthy with what the worker is doing.
Reply Health(Herder& herder) {
  const worker::WorkerHealth health = herder.Health();
  const int status = HttpStatus(health.status);
  auto with_detail = [&](const char* message) {
    return health.detail.empty() ? std::string(message) : std::string(message) + " " + health.detail;
  };
  switch (health.status) {
    case worker::WorkerHealth::Status::kHealthy: return Json(status, WorkerStatusToJson("healthy", kHealthy));
    case worker::WorkerHealth::Status::kStarting:
      return Json(status, WorkerStatusToJson("starting", with_detail(kStarting)));
    case worker::WorkerHealth::Status::kUnhealthy: break;
  }
  return Json(status, WorkerStatusToJson("unhealthy", with_detail(kUnhealthy)));
}

}  // namespace

Result<> CheckConnectorName(std::string_view name) {
  if (TrimJava(name).empty()) {
    return Error::BadRequest("Invalid connector name '" + std::string(name) + "': a name may not be empty");
  }
  FERRY_RETURN_IF_ERROR(CheckPathSafe(name));
  if (!json::IsValidUtf8(name)) {
    return Error::BadRequest("Invalid connector name '" + std::string(name) + "': a name must be valid UTF-8");
  }
  const std::vector<int> control = ControlCharacters(name);
  if (!control.empty()) {
    return Error::BadRequest(
        "Invalid connector name '" + std::string(name) +
        "': a name may not contain control characters but had the following ASCII chars: " + JoinInts(control));
  }
  return Ok();
}

void AddConnectorRoutes(Router& router, Herder& herder, const std::string& prefix) {
  using Body = Router::Body;
  Herder* h = &herder;
  // Every route under `prefix`; a request the herder sends on to its leader goes to *this* herder's.
  auto add = [&router, &prefix, h](std::string method, const std::string& pattern, RouteHandler handler,
                                   Body body = Body::kNone) {
    RouteHandler resolved = [h, handler = std::move(handler)](const RouteRequest& req) {
      Reply reply = handler(req);
      if (reply.forward_to_leader) reply.forward_to = h->LeaderUrl().value_or("");
      return reply;
    };
    router.Add(std::move(method), pattern == "/" && !prefix.empty() ? prefix : prefix + pattern, std::move(resolved), body);
  };

  add("GET", "/", [h](const RouteRequest&) { return Json(200, ToJson(h->Info())); });
  add("GET", "/health", [h](const RouteRequest&) { return Health(*h); });

  add("GET", "/connectors", [h](const RouteRequest& req) { return ListConnectors(*h, req); });
  add(
      "POST", "/connectors", [h](const RouteRequest& req) { return CreateConnector(*h, req); }, Body::kJson);

  add("GET", "/connectors/{connector}", WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<worker::ConnectorInfo> info = h->GetConnector(name);
               return info.ok() ? Json(200, ToJson(*info)) : Fail(info.error());
             }));
  add("DELETE", "/connectors/{connector}", WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<> done = h->DeleteConnector(name);
               return done.ok() ? Reply::Empty(204) : Fail(done.error());
             }));
  // Ferry's way out for a connector whose name no URL can hold (created before names were limited):
  // the name travels in the body.
  add(
      "POST", "/ferry/connectors/delete",
      [h](const RouteRequest& req) {
        Result<std::string> name = ParseConnectorNameRequest(req.body);
        if (!name.ok()) return Fail(name.error());
        Result<> done = h->DeleteConnector(*name);
        return done.ok() ? Reply::Empty(204) : Fail(done.error());
      },
      Body::kJson);

  add("GET", "/connectors/{connector}/config", WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<Properties> config = h->GetConnectorConfig(name);
               return config.ok() ? Json(200, ToJson(*config)) : Fail(config.error());
             }));
  add("PUT", "/connectors/{connector}/config",
             WithConnector(
                 [h](const RouteRequest& req, const std::string& name) { return PutConnectorConfig(*h, req, name); }),
             Body::kJson);
  add("PATCH", "/connectors/{connector}/config",
             WithConnector(
                 [h](const RouteRequest& req, const std::string& name) { return PatchConnectorConfig(*h, req, name); }),
             Body::kJson);

  add("GET", "/connectors/{connector}/status", WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<worker::ConnectorStateInfo> state = h->GetConnectorStatus(name);
               return state.ok() ? Json(200, ToJson(*state)) : Fail(state.error());
             }));
  add("GET", "/connectors/{connector}/tasks", WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<std::vector<worker::TaskInfo>> tasks = h->GetTaskConfigs(name);
               return tasks.ok() ? Json(200, ToJson(*tasks)) : Fail(tasks.error());
             }));
  // Deprecated in Connect 3.7 and removed in 4.0; kept for tools written against 3.x.
  add("GET", "/connectors/{connector}/tasks-config",
             WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<std::vector<worker::TaskInfo>> tasks = h->GetTaskConfigs(name);
               return tasks.ok() ? Json(200, TasksConfigToJson(*tasks)) : Fail(tasks.error());
             }));
  add("GET", "/connectors/{connector}/tasks/{task}/status",
             WithTask([h](const RouteRequest&, const ConnectorTaskId& id) {
               Result<worker::TaskStateInfo> state = h->GetTaskStatus(id);
               return state.ok() ? Json(200, ToJson(*state)) : Fail(state.error());
             }));
  add("POST", "/connectors/{connector}/tasks/{task}/restart",
             WithTask([h](const RouteRequest&, const ConnectorTaskId& id) {
               Result<> done = h->RestartTask(id);
               if (done.ok()) return Reply::Empty(204);
               Reply reply = Fail(done.error());
               if (done.error().code() == ErrorCode::kNotAssigned) reply.forward_to = h->TaskOwnerUrl(id).value_or("");
               return reply;
             }));
  // Internal: a worker's new task configs for the leader to write (signed; docs/rest.md).
  add(
      "POST", "/connectors/{connector}/tasks",
      WithConnector([h](const RouteRequest& req, const std::string& name) {
        Result<> done = h->PutTaskConfigs(name, req.body, req.signature);
        return done.ok() ? Reply::Empty(204) : Fail(done.error());
      }),
      Router::Body::kJson);

  add(
      "POST", "/connectors/{connector}/restart",
      WithConnector([h](const RouteRequest& req, const std::string& name) { return RestartConnector(*h, req, name); }));
  add("PUT", "/connectors/{connector}/pause", WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<> done = h->PauseConnector(name);
               return done.ok() ? Reply::Empty(202) : Fail(done.error());
             }));
  add("PUT", "/connectors/{connector}/resume", WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<> done = h->ResumeConnector(name);
               return done.ok() ? Reply::Empty(202) : Fail(done.error());
             }));
  add("PUT", "/connectors/{connector}/stop", WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<> done = h->StopConnector(name);
               return done.ok() ? Reply::Empty(204) : Fail(done.error());
             }));

  add("GET", "/connectors/{connector}/topics", WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<std::vector<std::string>> topics = h->GetActiveTopics(name);
               return topics.ok() ? Json(200, ActiveTopicsToJson(name, *topics)) : Fail(topics.error());
             }));
  add("PUT", "/connectors/{connector}/topics/reset",
             WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<> done = h->ResetActiveTopics(name);
               return done.ok() ? Reply::Empty(202) : Fail(done.error());
             }));

  add("GET", "/connectors/{connector}/offsets", WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<std::vector<worker::ConnectorOffset>> offsets = h->GetOffsets(name);
               if (!offsets.ok()) return Fail(offsets.error());
               Result<std::string> json = OffsetsToJson(*offsets);
               return json.ok() ? Json(200, std::move(json).value()) : Fail(json.error());
             }));
  add("PATCH", "/connectors/{connector}/offsets",
             WithConnector([h](const RouteRequest& req, const std::string& name) {
               Result<std::vector<worker::ConnectorOffset>> offsets = ParseConnectorOffsets(req.body);
               if (!offsets.ok()) return Fail(offsets.error());
               Result<std::string> message = h->AlterOffsets(name, *offsets);
               return message.ok() ? Json(200, MessageToJson(*message)) : Fail(message.error());
             }),
             Body::kJson);
  add("DELETE", "/connectors/{connector}/offsets",
             WithConnector([h](const RouteRequest&, const std::string& name) {
               Result<std::string> message = h->ResetOffsets(name);
               return message.ok() ? Json(200, MessageToJson(*message)) : Fail(message.error());
             }));

  add("GET", "/connector-plugins", [h](const RouteRequest& req) {
    // connectorsOnly defaults to true: sources and sinks only.
    const bool connectors_only = !req.HasQuery("connectorsOnly") || req.QueryFlag("connectorsOnly");
    std::vector<worker::PluginInfo> plugins = h->Plugins();
    if (connectors_only) {
      std::erase_if(plugins, [](const worker::PluginInfo& p) { return p.type != "source" && p.type != "sink"; });
    }
    return Json(200, ToJson(plugins));
  });
  add("GET", "/connector-plugins/{plugin}/config", [h](const RouteRequest& req) {
    Result<std::vector<connectors::ConfigKey>> keys = h->PluginConfig(req.params.at(0));
    return keys.ok() ? Json(200, ToJson(*keys)) : Fail(keys.error());
  });
  add(
      "PUT", "/connector-plugins/{plugin}/config/validate",
      [h](const RouteRequest& req) { return ValidateConfig(*h, req); }, Body::kJson);
}

}  // namespace ferry::rest
