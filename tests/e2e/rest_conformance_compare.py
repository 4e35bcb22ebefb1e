"""Normalising and comparing the answers of tests/e2e/rest_conformance_real.py, and the known
differences between Ferry and Kafka Connect, each with the check that the answers differ in that way
only (docs/rest.md, "Differences from Connect, measured")."""
import json

MIRROR = "org.apache.kafka.connect.mirror."


# ---------------------------------------------------------------------------------------------------
# Normalising and comparing


MAP_ENDPOINTS = ("expand=", "/tasks-config", "/admin/loggers")


def normalise(side, step, status, headers, text):
    """What of one answer is compared: (status, Location header, parsed body or text)."""
    for own, placeholder in side.own_strings():
        text = text.replace(own, placeholder)
    location = headers.get("location")
    if location:
        location = location.replace("http://127.0.0.1:%d" % side.port, "")
        for own, placeholder in side.own_strings():
            location = location.replace(own, placeholder)
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = text
    path = step["path"]
    if path == "/" and isinstance(body, dict):
        for key in ("version", "commit"):
            if key in body:
                body[key] = "<%s>" % key
    if path.startswith("/connector-plugins") and "config" not in path and isinstance(body, list):
        for plugin in body:
            if isinstance(plugin, dict) and "version" in plugin:
                plugin["version"] = "<version>"
    if path.startswith("/admin/loggers") and isinstance(body, dict):
        for level in [body] + [v for v in body.values() if isinstance(v, dict)]:
            if isinstance(level.get("last_modified"), int):
                level["last_modified"] = "<ms>"
    if path == "/connectors" and isinstance(body, list):
        body = sorted(body)
    # MM2 mirrors every heartbeats topic of the source besides `topics`: on the shared clusters other
    # tests leave some, whose offsets and remote topics depend on those tests. Only the test's topic
    # counts.
    if path.endswith("/offsets") and step["method"] == "GET" and isinstance(body, dict):
        body["offsets"] = sorted([o for o in body.get("offsets", []) if o["partition"].get("topic") == side.topic],
                                 key=lambda o: json.dumps(o, sort_keys=True))
    if path.endswith("/topics") and step["method"] == "GET" and isinstance(body, dict):
        for used in body.values():
            if isinstance(used, dict) and isinstance(used.get("topics"), list):
                used["topics"] = [t for t in used["topics"] if t.endswith("." + side.topic)]
    if path.endswith("/tasks") and step["method"] == "GET" and isinstance(body, list):
        group_partitions([t.get("config") for t in body if isinstance(t, dict)])
    if path.endswith("/tasks-config") and isinstance(body, dict):
        group_partitions(list(body.values()))
    return status, location, body


def group_partitions(configs):
    """MirrorSourceConnector deals its partitions round-robin to its tasks in the order it listed
    them, which Connect leaves unspecified (Ferry sorts them): each task's share is compared by its
    size and the shares' union, not by which task has which partition."""
    configs = [c for c in configs if isinstance(c, dict) and "task.assigned.partitions" in c]
    shares = [c["task.assigned.partitions"].split(",") for c in configs]
    union = ",".join(sorted(p for share in shares for p in share))
    for config, share in zip(configs, shares):
        config["task.assigned.partitions"] = "<%d of %s>" % (len(share), union)


def is_map(obj):
    return all(v is None or isinstance(v, str) for v in obj.values())


def differences(a, b, unordered_top, where="$"):
    """Where Connect's value a and Ferry's value b differ, as lines."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        if not unordered_top and not is_map(a) and set(a) == set(b) and list(a) != list(b):
            out.append("%s: member order %s vs %s" % (where, list(a), list(b)))
        for k in a:
            if k not in b:
                out.append("%s.%s: only Connect has it: %s" % (where, k, json.dumps(a[k])[:300]))
            else:
                out += differences(a[k], b[k], False, "%s.%s" % (where, k))
        for k in b:
            if k not in a:
                out.append("%s.%s: only Ferry has it: %s" % (where, k, json.dumps(b[k])[:300]))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return ["%s: %d elements vs %d: %s vs %s" % (where, len(a), len(b), json.dumps(a)[:600],
                                                        json.dumps(b)[:600])]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += differences(x, y, False, "%s[%d]" % (where, i))
        return out
    if a != b or type(a) is not type(b):
        return ["%s: %s vs %s" % (where, json.dumps(a)[:400], json.dumps(b)[:400])]
    return []


def compare(step, connect, ferry):
    """Lines saying how the normalised answers differ; empty if they do not."""
    out = []
    if connect[0] != ferry[0]:
        out.append("status %d vs %d" % (connect[0], ferry[0]))
    if connect[1] != ferry[1]:
        out.append("Location %s vs %s" % (connect[1], ferry[1]))
    unordered = any(m in step["path"] for m in MAP_ENDPOINTS)
    out += differences(connect[2], ferry[2], unordered)
    return out


# ---------------------------------------------------------------------------------------------------
# Known differences: each is listed in docs/rest.md ("Differences from Connect, measured") with its
# reason, and each has a check that the answers still differ in that way only, so a known difference
# that changes fails the run, and one that is gone is reported. `major` is Connect's major release:
# some are differences from Connect 4 only (Ferry serves Connect 3.9's API).


def stripped_state_versions(body):
    """Connect 4.1's connector and task states carry the plugin's `version` (KIP-891), Ferry's (as
    3.9's) do not: Connect's answer without them, and how many there were."""
    count = 0
    if isinstance(body, dict):
        if "state" in body and "worker_id" in body and "version" in body:
            body = {k: v for k, v in body.items() if k != "version"}
            count += 1
        out = {}
        for k, v in body.items():
            out[k], n = stripped_state_versions(v)
            count += n
        return out, count
    if isinstance(body, list):
        out = []
        for v in body:
            x, n = stripped_state_versions(v)
            out.append(x)
            count += n
        return out, count
    return body, 0


def status_differs(c, f, ok):
    if (c[0], f[0]) != ok:
        return ["status %d vs %d, expected %d vs %d" % (c[0], f[0], ok[0], ok[1])]
    return []


def known_tasks_config(major, c, f):
    # Connect 4.0 removed GET /connectors/{name}/tasks-config (KIP-970); Ferry keeps 3.x's.
    if major < 4:
        return None
    return status_differs(c, f, (404, 200)) or ([] if isinstance(f[2], dict) else ["Ferry's body %s" % f[2]])


def known_non_connector_plugins(major, c, f):
    # Connect also lists its converters, transformations and predicates; Ferry has none.
    out = status_differs(c, f, (200, 200))
    if out:
        return out
    connectors = [p for p in c[2] if p.get("type") in ("source", "sink")]
    if len(connectors) == len(c[2]):
        return ["Connect lists no other plugins now"]
    return differences(connectors, f[2], False)


def known_logger_children(major, c, f):
    # Connect answers with every logger under the one set that log4j has made (one per Java class that
    # logs); Ferry has no Java classes and names the logger set alone, which must be in both.
    out = status_differs(c, f, (200, 200))
    if not out and f[2] != ["org.apache.kafka.connect.mirror"]:
        out.append("Ferry answers %s" % f[2])
    if not out and ("org.apache.kafka.connect.mirror" not in c[2] or len(c[2]) < 2):
        out.append("Connect answers %s" % c[2])
    return out


def known_logger_list(major, c, f):
    # The same in GET /admin/loggers (log4j2, Connect 4, also lists every logger made so far, with the
    # root's level): each of Ferry's entries must be Connect's.
    if c[2] == f[2]:
        return None  # Connect 3.9 before a level is set
    out = status_differs(c, f, (200, 200))
    if out:
        return out
    for name, level in f[2].items():
        if c[2].get(name) != level:
            out.append("%s: %s vs %s" % (name, c[2].get(name), level))
    if len(c[2]) <= len(f[2]):
        out.append("Connect lists no more loggers than Ferry now" if not out else "")
    return [line for line in out if line]


def known_malformed_json(major, c, f):
    # Connect answers 500 with Jackson's message for a body that is not JSON; Ferry 400.
    out = status_differs(c, f, (500, 400))
    if not out and not f[2]["message"].startswith("Malformed JSON in request body"):
        out.append("Ferry's message: %s" % f[2]["message"])
    return out


def known_validate_without_class(major, c, f):
    # Connect answers 500 and its BadRequestException's class name before the message; Ferry the 400
    # and the message that the exception carries.
    out = status_differs(c, f, (500, 400))
    prefix = "org.apache.kafka.connect.runtime.rest.errors.BadRequestException: "
    if not out and c[2]["message"] != prefix + f[2]["message"]:
        out.append("messages %s vs %s" % (c[2]["message"], f[2]["message"]))
    return out


def known_unknown_class(major, c, f):
    # The message lists the available connectors: Connect as Java's PluginDesc{...} strings, Ferry by
    # class name. Connect 3.9 answers 500 (Ferry too), Connect 4.1 answers 400.
    out = status_differs(c, f, (400 if major >= 4 else 500, 500))
    head = "Failed to find any class that implements Connector and which name matches com.example.Nope, " \
           "available connectors are: "
    if not out and not (c[2]["message"].startswith(head + "PluginDesc{") and f[2]["message"] == head +
                        ", ".join(MIRROR + n for n in ("MirrorCheckpointConnector", "MirrorHeartbeatConnector",
                                                       "MirrorSourceConnector"))):
        out.append("messages %s vs %s" % (c[2]["message"][:200], f[2]["message"]))
    return out


def known_null_value(major, c, f):
    # Connect stores a config with a null value (and the connector then fails with a
    # ClassCastException); Ferry refuses it with the message Connect gives for a null in a create.
    out = status_differs(c, f, (200, 400))
    if not out and "Null value can not be supplied as the configuration value." not in f[2]["message"]:
        out.append("Ferry's message: %s" % f[2]["message"])
    return out


def known_offsets_check(major, c, f):
    # MirrorSourceConnector's check of a partition or offset fails: Connect answers 500 with the
    # connector's message, Ferry 400 with its own, naming the same field.
    out = status_differs(c, f, (500, 400))
    if not out and not ("'cluster'" in c[2]["message"] and '"cluster"' in f[2]["message"]
                        or "'offset'" in c[2]["message"] and '"offset"' in f[2]["message"]):
        out.append("messages %s vs %s" % (c[2]["message"], f[2]["message"]))
    return out


# Settings Ferry describes that Connect 4.1 does not: Connect 3.x's deprecated names (removed in 4.0),
# Connect 3.x's metric setting, MirrorCheckpointConnector's topic filter, and Ferry's own (ferry.*).
FERRY_ONLY_SETTINGS = {"auto.include.jmx.reporter", "topics.blacklist", "config.properties.blacklist",
                       "groups.blacklist", "use.incremental.alter.configs", "add.source.alias.to.metrics",
                       "ferry.skip.lost.records", "topics", "topics.exclude"}
# Defaults that differ: Ferry reports no metric reporter (it has no JMX); Connect 4.0 changed the
# topic exclude default.
OTHER_DEFAULTS = {"metric.reporters", "topics.exclude"}


def definitions_differ(major, connect_keys, ferry_keys):
    """Settings both describe must agree in type, required, importance, default (but for
    OTHER_DEFAULTS), dependents, group, width and display name, and against 3.x in `order` (4.x
    numbers the framework's settings around its *.plugin.version ones); the framework's settings (those
    with a group) come in the same order, and so do the blocks of framework and plugin settings. Ferry
    may describe only FERRY_ONLY_SETTINGS beyond Connect's. The documentation is not compared (Ferry's
    own), nor the order of the plugin's settings among themselves."""
    out = []
    connect = {k["name"]: k for k in connect_keys}
    ferry_names = {k["name"] for k in ferry_keys}
    fields = ["type", "required", "importance", "default_value", "dependents", "group", "width", "display_name"]
    if major < 4:
        fields.append("order")
    for key in ferry_keys:
        other = connect.get(key["name"])
        if other is None:
            if key["name"] not in FERRY_ONLY_SETTINGS and not key["name"].startswith("ferry."):
                out.append("only Ferry describes %s" % key["name"])
            continue
        for field in fields:
            if field == "default_value" and key["name"] in OTHER_DEFAULTS:
                continue
            if other[field] != key[field]:
                out.append("%s.%s: %s vs %s" % (key["name"], field, other[field], key[field]))
    framework = {k["name"] for k in connect_keys if k["group"] is not None}

    def layout(keys):
        names = [k["name"] for k in keys if k["name"] in connect and k["name"] in ferry_names]
        blocks = []
        for name in names:
            block = "framework" if name in framework else "plugin"
            if not blocks or blocks[-1] != block:
                blocks.append(block)
        return blocks, [n for n in names if n in framework]
    if layout(connect_keys) != layout(ferry_keys):
        out.append("order: %s vs %s" % (layout(connect_keys), layout(ferry_keys)))
    return out


def known_plugin_config(major, c, f):
    # Connect 4.x also describes the plugins' versions, which Ferry does not; the settings both describe
    # (the clients' ssl.* and sasl.* among them) must agree: see definitions_differ.
    return status_differs(c, f, (200, 200)) or definitions_differ(major, c[2], f[2])


def known_validate(major, c, f):
    # As known_plugin_config for the definitions; the values (value, errors, visibility) of the
    # settings both describe and the error count must be the same.
    out = status_differs(c, f, (200, 200))
    if out:
        return out
    out = definitions_differ(major, [x["definition"] for x in c[2]["configs"] if x["definition"]],
                             [x["definition"] for x in f[2]["configs"] if x["definition"]])
    if c[2]["groups"] != f[2]["groups"]:
        out.append("groups %s vs %s" % (c[2]["groups"], f[2]["groups"]))
    connect_undefined = [x["value"] for x in c[2]["configs"] if not x["definition"]]
    ferry_undefined = [x["value"] for x in f[2]["configs"] if not x["definition"]]
    if connect_undefined != ferry_undefined:
        out.append("settings without a definition: %s vs %s" % (connect_undefined, ferry_undefined))
    values = {x["value"]["name"]: x["value"] for x in c[2]["configs"]}
    for entry in f[2]["configs"]:
        other = values.get(entry["value"]["name"])
        if other is not None:
            for field in ("value", "errors", "visible"):
                if field == "value" and entry["value"]["name"] in OTHER_DEFAULTS:
                    continue
                if other[field] != entry["value"][field]:
                    out.append("%s %s: %s vs %s" % (entry["value"]["name"], field, other[field],
                                                    entry["value"][field]))
    if c[2]["error_count"] != f[2]["error_count"] or c[2]["name"] != f[2]["name"]:
        out.append("name, error_count: %s, %s vs %s, %s" % (c[2]["name"], c[2]["error_count"], f[2]["name"],
                                                          f[2]["error_count"]))
    return out


def known_validate_null(major, c, f):
    # Ferry gives a null value the error it refuses a stored null with (known_null_value); Connect no
    # error. Without that one error the answers must agree as in known_validate.
    out = status_differs(c, f, (200, 200))
    if out:
        return out
    body = json.loads(json.dumps(f[2]))
    null_error = "Null value can not be supplied as the configuration value."
    found = [x["value"] for x in body["configs"] if x["value"]["name"] == "offset.lag.max"
             and x["value"]["errors"] == [null_error]]
    if len(found) != 1:
        return ["Ferry gives offset.lag.max no null error now"]
    found[0]["errors"] = []
    body["error_count"] -= 1
    return known_validate(major, c, (f[0], f[1], body))


def known_ferry_route(major, c, f):
    # Ferry's own routes (GET /metrics, POST /ferry/connectors/delete): Connect has no such path.
    if c[:1] != (404,) or c[2] != {"error_code": 404, "message": "HTTP 404 Not Found"}:
        return ["Connect answers %s" % (c,)]
    return [] if f[0] in (200, 404) and f[2] != c[2] else ["Ferry answers %s" % (f,)]


def known_fence(major, c, f):
    # PUT /connectors/{name}/fence: Connect checks the request's signature (400 unsigned); Ferry, without
    # exactly-once source support, does not serve the path.
    out = status_differs(c, f, (400, 404))
    if not out and (c[2]["message"] != "Internal request missing required signature"
                    or f[2]["message"] != "HTTP 404 Not Found"):
        out.append("messages %s vs %s" % (c[2]["message"], f[2]["message"]))
    return out


def known_null_create(major, c, f):
    # POST /connectors with a null value: Connect creates the connector (which then fails), Ferry
    # refuses, as for PUT (known_null_value).
    out = status_differs(c, f, (201, 400))
    if not out and "Null value can not be supplied as the configuration value." not in f[2]["message"]:
        out.append("Ferry's message: %s" % f[2]["message"])
    return out


def known_null_delete(major, c, f):
    # Deleting that connector: it exists in Connect only.
    return status_differs(c, f, (204, 404))


def known(label):
    """The check of the known difference of a step, or None."""
    table = {
        "tasks-config": known_tasks_config,
        "plugins, all kinds": known_non_connector_plugins,
        "logger set": known_logger_children,
        "loggers": known_logger_list,
        "loggers after set": known_logger_list,
        "validate without class": known_validate_without_class,
        "create unknown class": known_unknown_class,
        "put config, null value": known_null_value,
        "alter offsets, partition without cluster": known_offsets_check,
        "alter offsets, offset not a number": known_offsets_check,
        "validate null value": known_validate_null,
        "metrics": known_ferry_route,
        "Ferry's delete route": known_ferry_route,
        "fence": known_fence,
        "create with a null value": known_null_create,
        "delete the connector with a null value": known_null_delete,
    }
    if label in table:
        return table[label]
    if label.endswith("bad JSON"):
        return known_malformed_json
    if label.startswith("plugin config") and label != "plugin config, unknown":
        return known_plugin_config
    if label.startswith("validate") and label not in ("validate other class",):
        return known_validate
    return None
