#!/usr/bin/env python3
"""REST conformance against Kafka Connect itself (issue #15, deliverable 2).

Starts a real Kafka Connect distributed worker (ConnectDistributed from the Maven jars of the test
brokers' release, MM2's connectors on its class path) and a Ferry distributed worker (`ferry
distributed`), both on the suite's real source and target clusters, each with its own group.id,
internal topics and cluster aliases (so their mirrors write to different topics), sends both the same
sequence of requests and compares status codes and bodies.

What is normalised, and why (nothing else is):
  - the worker's own strings: its advertised URL/worker id, its cluster aliases (the two workers must
    not write to the same remote, offset-syncs and checkpoint topics), all replaced by placeholders in
    both answers before they are compared;
  - `version` and `commit` of GET / and the plugins' `version` (Connect's release vs Ferry's);
  - `last_modified` of loggers (a time);
  - ordering Connect leaves unspecified: maps (objects whose values are all strings or null, such as
    configs, and the answers of the map endpoints: expand, tasks-config, loggers) compare without
    member order; GET /connectors (a hash set in Connect) and the offsets list are sorted. Every
    other object's member order is compared;
  - the heartbeats topics other tests leave on the shared source cluster, which MM2 mirrors besides
    `topics`: offsets and used topics count only for the test's own topic;
  - which task of MirrorSourceConnector has which partition (dealt round-robin in an order Connect
    leaves unspecified): each task's share is compared by its size and the shares' union.

A write answered 409 while a rebalance is pending (Connect's "stale configuration" and "no known
leader") is retried, as Connect's clients do, and counted; the settled answer is compared.

A difference Ferry has is listed in known() (and in docs/rest.md, "Differences from Connect,
measured"), with a check of its own: the answers must still differ in that way only, so a known
difference that changes fails too. Anything else that differs fails the run. Connect 4.1's `version`
in connector and task states (KIP-891; Ferry serves 3.9's API) is left out of Connect's answers.

Usage: rest_conformance_real.py --ferry BUILD/ferry [--run-dir RUN]  (RUN as kafka_cluster.py's).
"""
import argparse
import ctypes
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

from rest_conformance_compare import MIRROR, compare, known, normalise, stripped_state_versions

HERE = os.path.dirname(os.path.abspath(__file__))
KAFKA_CLUSTER = os.path.join(HERE, "..", "kafka", "kafka_cluster.py")
SETTLE_S = 60  # the bound of every wait for Connect's asynchronous state to settle
POLLS_S = 300  # and of all of them together, well within ctest's timeout
RECORDS = 20   # produced to the source topic before the mirrors start

# Connect's log: the root logger only, so that both workers start with the same logger list.
LOG4J2 = """status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p [%t] %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
"""
# The same for Connect 3.x, which logs through reload4j.
LOG4J1 = """log4j.rootLogger=INFO, OUT
log4j.appender.OUT=org.apache.log4j.ConsoleAppender
log4j.appender.OUT.layout=org.apache.log4j.PatternLayout
log4j.appender.OUT.layout.ConversionPattern=[%d] %p [%t] %m (%c)%n
"""


def log(msg):
    print("rest_conformance: " + msg, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def request(port, method, path, body=None, ctype="application/json", timeout=100):
    """One request on its own connection: (status, headers dict lower-cased, body text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {}
        data = None
        if body is not None:
            data = body if isinstance(body, str) else json.dumps(body)
            data = data.encode()
            if ctype:
                headers["Content-Type"] = ctype
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, text
    except OSError as e:
        return 0, {}, "connection failed: %s" % e
    finally:
        conn.close()


def die_with_parent():
    """In the child before exec: SIGTERM when this script dies (ctest's timeout), so no JVM or Ferry
    is left writing to the shared clusters."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Process:
    """A child process with its output in a log file; SIGTERM, bounded, then SIGKILL."""

    def __init__(self, name, cmd, log_path, stdin_text=None):
        self.name, self.log_path = name, log_path
        self.out = open(log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                                     preexec_fn=die_with_parent)
        if stdin_text is not None:
            self.proc.stdin.write(stdin_text.encode())
            self.proc.stdin.close()

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return None

    def stop(self, timeout=30):
        """The exit status (negative: the signal that ended it, -9 if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.out.closed:
            self.out.close()
        return self.proc.returncode

    def tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


def java(libs, log4j, *args):
    return ["java", "-Xms128m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true", "-Dlog4j2.configurationFile=" + log4j,
            "-Dlog4j.configuration=file:" + os.path.join(os.path.dirname(log4j), "log4j.properties"), "-cp",
            os.path.join(libs, "*")] + list(args)


# ---------------------------------------------------------------------------------------------------
# The two workers


class Side:
    """One worker under test and the strings that are its own."""

    def __init__(self, name, port, suffix, source_bootstrap, target_bootstrap):
        self.name, self.port = name, port
        self.src_alias = "src%s%s" % (name[0], suffix)
        self.dst_alias = "dst%s%s" % (name[0], suffix)
        self.group = "rest-conformance-%s-%s" % (name, suffix)
        self.source_bootstrap, self.target_bootstrap = source_bootstrap, target_bootstrap
        self.process = None
        self.topic = None  # the source topic both mirror

    def worker_file(self, path):
        with open(path, "w") as f:
            f.write("\n".join([
                "bootstrap.servers = " + self.target_bootstrap,
                "group.id = " + self.group,
                "config.storage.topic = %s-configs" % self.group,
                "offset.storage.topic = %s-offsets" % self.group,
                "status.storage.topic = %s-status" % self.group,
                "config.storage.replication.factor = 1",
                "offset.storage.replication.factor = 1",
                "status.storage.replication.factor = 1",
                "key.converter = org.apache.kafka.connect.converters.ByteArrayConverter",
                "value.converter = org.apache.kafka.connect.converters.ByteArrayConverter",
                "header.converter = org.apache.kafka.connect.converters.ByteArrayConverter",
                "offset.flush.interval.ms = 1000",
                "scheduled.rebalance.max.delay.ms = 3000",
                "listeners = http://127.0.0.1:%d" % self.port,
                ""]))
        return path

    def call(self, method, path, body=None, ctype="application/json"):
        return request(self.port, method, path, body, ctype)

    def own_strings(self):
        """This worker's own strings and their placeholders, longest first."""
        return [("127.0.0.1:%d" % self.port, "<worker>"), (self.src_alias, "<A>"), (self.dst_alias, "<B>")]


def connector_config(side, cls, topic, extra=None):
    config = {
        "connector.class": MIRROR + cls,
        "source.cluster.alias": side.src_alias,
        "target.cluster.alias": side.dst_alias,
        "source.cluster.bootstrap.servers": side.source_bootstrap,
        "target.cluster.bootstrap.servers": side.target_bootstrap,
    }
    if cls == "MirrorSourceConnector":
        config.update({"topics": topic, "tasks.max": "2", "sync.topic.acls.enabled": "false",
                       "replication.factor": "1", "offset-syncs.topic.replication.factor": "1",
                       "refresh.topics.interval.seconds": "1"})
    elif cls == "MirrorCheckpointConnector":
        config.update({"groups": "rest-conformance-none", "checkpoints.topic.replication.factor": "1",
                       "emit.checkpoints.interval.seconds": "1"})
    else:
        config.update({"heartbeats.topic.replication.factor": "1"})
    config.update(extra or {})
    return config


# ---------------------------------------------------------------------------------------------------
# The session


def status_settled(want_connector, want_tasks):
    """A predicate on GET .../status: the connector in `want_connector` and `want_tasks` tasks in that
    state (None: any number of tasks, all in that state)."""
    def check(answer):
        status, _, text = answer
        if status != 200:
            return False
        body = json.loads(text)
        tasks = body.get("tasks", [])
        return (body["connector"]["state"] == want_connector
                and (want_tasks is None or len(tasks) == want_tasks)
                and all(t["state"] == want_connector for t in tasks))
    return check


def offsets_settled(topic):
    """A predicate on GET .../offsets: every record of `topic` copied (MM2 stores a record's offset)."""
    def check(answer):
        if answer[0] != 200:
            return False
        offsets = [o for o in json.loads(answer[2]).get("offsets", []) if o["partition"].get("topic") == topic]
        return sum(o["offset"]["offset"] + 1 for o in offsets) == RECORDS
    return check


def topics_settled(topic):
    """A predicate on GET .../topics: the remote topic of `topic` is listed."""
    def check(answer):
        return answer[0] == 200 and any(t.endswith("." + topic) for v in json.loads(answer[2]).values()
                                        for t in v.get("topics", []))
    return check


def session(topic):
    """The requests, in order. A step is a dict: label, method, path, body (a function of the side, or
    a value), ctype; `until`: a predicate on the answer that both workers must reach first (polled)."""
    steps = []

    def add(label, method, path, body=None, ctype="application/json", until=None):
        steps.append({"label": label, "method": method, "path": path, "body": body, "ctype": ctype,
                      "until": until})

    def cfg(cls, extra=None, name=None):
        def make(side):
            config = connector_config(side, cls, topic, extra)
            return {"name": name, "config": config} if name else config
        return make

    src = "/connectors/mirror-src"
    # The worker.
    add("root", "GET", "/")
    add("health", "GET", "/health")
    add("no connectors", "GET", "/connectors")
    add("unknown path", "GET", "/nope")
    add("metrics", "GET", "/metrics")
    add("trailing slash", "GET", "/connectors/")
    add("HEAD", "HEAD", "/connectors")
    add("wrong method on /connectors", "DELETE", "/connectors")
    # Plugins.
    add("plugins", "GET", "/connector-plugins")
    add("plugins, all kinds", "GET", "/connector-plugins?connectorsOnly=false")
    for cls in ("MirrorSourceConnector", "MirrorCheckpointConnector", "MirrorHeartbeatConnector"):
        add("plugin config " + cls, "GET", "/connector-plugins/%s%s/config" % (MIRROR, cls))
    add("plugin config by alias", "GET", "/connector-plugins/MirrorSource/config")
    add("plugin config, unknown", "GET", "/connector-plugins/Nope/config")
    # Validation.
    for cls in ("MirrorSourceConnector", "MirrorCheckpointConnector", "MirrorHeartbeatConnector"):
        add("validate good " + cls, "PUT", "/connector-plugins/%s/config/validate" % cls,
            cfg(cls, {"name": "mirror-x"}))
    add("validate tasks.max 0", "PUT", "/connector-plugins/MirrorSourceConnector/config/validate",
        cfg("MirrorSourceConnector", {"name": "mirror-x", "tasks.max": "0"}))
    add("validate bad values", "PUT", "/connector-plugins/MirrorSourceConnector/config/validate",
        cfg("MirrorSourceConnector", {"name": "mirror-x", "replication.factor": "many",
                                      "emit.heartbeats.enabled": "maybe"}))
    add("validate client override", "PUT", "/connector-plugins/MirrorSourceConnector/config/validate",
        cfg("MirrorSourceConnector", {"name": "mirror-x", "producer.override.acks": "all"}))
    add("validate null value", "PUT", "/connector-plugins/MirrorSourceConnector/config/validate",
        cfg("MirrorSourceConnector", {"name": "mirror-x", "offset.lag.max": None}))
    add("validate other class", "PUT", "/connector-plugins/MirrorCheckpointConnector/config/validate",
        cfg("MirrorSourceConnector", {"name": "mirror-x"}))
    add("validate without class", "PUT", "/connector-plugins/MirrorSourceConnector/config/validate",
        {"name": "mirror-x", "topics": "x"})
    add("validate bad JSON", "PUT", "/connector-plugins/MirrorSourceConnector/config/validate",
        '{"connector.class":')
    # Creation, and what is refused.
    add("create bad JSON", "POST", "/connectors", '{"name":"mirror-src","config":{')
    add("create, text/plain", "POST", "/connectors", cfg("MirrorSourceConnector", name="mirror-src"),
        ctype="text/plain")
    add("create without class", "POST", "/connectors", {"name": "mirror-x", "config": {"topics": "x"}})
    add("create tasks.max 0", "POST", "/connectors", cfg("MirrorSourceConnector", {"tasks.max": "0"}, "mirror-x"))
    add("create unknown class", "POST", "/connectors",
        {"name": "mirror-x", "config": {"connector.class": "com.example.Nope"}})
    add("create name mismatch", "POST", "/connectors",
        cfg("MirrorSourceConnector", {"name": "other"}, "mirror-x"))
    add("create empty name", "POST", "/connectors", cfg("MirrorSourceConnector", name=" "))
    add("create with a null value", "POST", "/connectors",
        cfg("MirrorSourceConnector", {"offset.lag.max": None}, "mirror-x"))
    add("delete the connector with a null value", "DELETE", "/connectors/mirror-x")
    add("create", "POST", "/connectors", cfg("MirrorSourceConnector", name="mirror-src"))
    add("create again", "POST", "/connectors", cfg("MirrorSourceConnector", name="mirror-src"))
    add("create checkpoint, paused", "POST", "/connectors",
        lambda side: {"name": "mirror-cp", "config": connector_config(side, "MirrorCheckpointConnector", topic),
                      "initial_state": "paused"})
    add("create heartbeat by PUT", "PUT", "/connectors/mirror-hb/config", cfg("MirrorHeartbeatConnector"))
    add("connectors", "GET", "/connectors")
    # The running source connector.
    add("status running", "GET", src + "/status", until=status_settled("RUNNING", 2))
    add("checkpoint status", "GET", "/connectors/mirror-cp/status", until=status_settled("PAUSED", None))
    add("heartbeat status", "GET", "/connectors/mirror-hb/status", until=status_settled("RUNNING", 1))
    add("expand status and info", "GET", "/connectors?expand=status&expand=info")
    add("expand info", "GET", "/connectors?expand=info")
    add("expand nonsense", "GET", "/connectors?expand=nonsense")
    add("info", "GET", src)
    add("config", "GET", src + "/config")
    add("tasks", "GET", src + "/tasks")
    add("tasks-config", "GET", src + "/tasks-config")
    add("task status", "GET", src + "/tasks/0/status")
    add("unknown task status", "GET", src + "/tasks/7/status")
    add("task id not a number", "GET", src + "/tasks/x/status")
    add("topics", "GET", src + "/topics", until=topics_settled(topic))
    add("offsets running", "GET", src + "/offsets", until=offsets_settled(topic))
    add("checkpoint offsets", "GET", "/connectors/mirror-cp/offsets")
    add("alter offsets running", "PATCH", src + "/offsets",
        lambda side: {"offsets": [{"partition": {"cluster": side.src_alias, "partition": 0, "topic": topic},
                                   "offset": {"offset": 3}}]})
    add("reset offsets running", "DELETE", src + "/offsets")
    add("wrong method on restart", "GET", src + "/restart")
    # Pause, resume, stop.
    add("pause", "PUT", src + "/pause")
    add("status paused", "GET", src + "/status", until=status_settled("PAUSED", 2))
    add("pause again", "PUT", src + "/pause")
    add("resume", "PUT", src + "/resume")
    add("status resumed", "GET", src + "/status", until=status_settled("RUNNING", 2))
    add("stop", "PUT", src + "/stop")
    add("status stopped", "GET", src + "/status", until=status_settled("STOPPED", 0))
    add("info stopped", "GET", src)
    add("tasks stopped", "GET", src + "/tasks")
    add("stop again", "PUT", src + "/stop")
    # Offsets of the stopped connector.
    add("offsets stopped", "GET", src + "/offsets")
    add("alter offsets, none given", "PATCH", src + "/offsets", {"offsets": []})
    add("alter offsets, no field", "PATCH", src + "/offsets", {})
    add("alter offsets, bad JSON", "PATCH", src + "/offsets", '{"offsets":[')
    add("alter offsets, partition without cluster", "PATCH", src + "/offsets",
        {"offsets": [{"partition": {"partition": 0, "topic": topic}, "offset": {"offset": 3}}]})
    add("alter offsets, offset not a number", "PATCH", src + "/offsets",
        lambda side: {"offsets": [{"partition": {"cluster": side.src_alias, "partition": 0, "topic": topic},
                                   "offset": {"offset": "three"}}]})
    add("alter offsets", "PATCH", src + "/offsets",
        lambda side: {"offsets": [{"partition": {"cluster": side.src_alias, "partition": 0, "topic": topic},
                                   "offset": {"offset": 3}},
                                  {"partition": {"cluster": side.src_alias, "partition": 1, "topic": topic},
                                   "offset": None}]})
    add("offsets altered", "GET", src + "/offsets")
    add("reset offsets", "DELETE", src + "/offsets")
    add("offsets reset", "GET", src + "/offsets")
    add("reset offsets, unknown connector", "DELETE", "/connectors/nope/offsets")
    add("offsets, unknown connector", "GET", "/connectors/nope/offsets")
    # Restart.
    add("resume stopped", "PUT", src + "/resume")
    add("status after resume", "GET", src + "/status", until=status_settled("RUNNING", 2))
    add("restart", "POST", src + "/restart")
    add("status after restart", "GET", src + "/status", until=status_settled("RUNNING", 2))
    add("restart only failed", "POST", src + "/restart?onlyFailed=true")
    add("restart with tasks, only failed", "POST", src + "/restart?includeTasks=true&onlyFailed=true")
    add("restart with tasks", "POST", src + "/restart?includeTasks=true")
    add("status after restart with tasks", "GET", src + "/status", until=status_settled("RUNNING", 2))
    add("restart task", "POST", src + "/tasks/0/restart")
    add("restart unknown task", "POST", src + "/tasks/7/restart")
    add("restart unknown connector", "POST", "/connectors/nope/restart")
    add("status after task restart", "GET", src + "/status", until=status_settled("RUNNING", 2))
    # Config changes.
    add("put config", "PUT", src + "/config", cfg("MirrorSourceConnector"))
    add("put config, name mismatch", "PUT", src + "/config", cfg("MirrorSourceConnector", {"name": "other"}))
    add("put config, null value", "PUT", src + "/config", cfg("MirrorSourceConnector", {"topics": None}))
    add("put config back", "PUT", src + "/config", cfg("MirrorSourceConnector"))
    add("patch config", "PATCH", src + "/config", {"emit.offset-syncs.enabled": "true"})
    add("patch config, remove key", "PATCH", src + "/config", {"emit.offset-syncs.enabled": None})
    add("patch config, unknown connector", "PATCH", "/connectors/nope/config", {"tasks.max": "1"})
    add("config after patch", "GET", src + "/config")
    add("status after config change", "GET", src + "/status", until=status_settled("RUNNING", 2))
    # Unknown connectors.
    add("info, unknown", "GET", "/connectors/nope")
    add("config, unknown", "GET", "/connectors/nope/config")
    add("status, unknown", "GET", "/connectors/nope/status")
    add("tasks, unknown", "GET", "/connectors/nope/tasks")
    add("pause, unknown", "PUT", "/connectors/nope/pause")
    add("resume, unknown", "PUT", "/connectors/nope/resume")
    add("stop, unknown", "PUT", "/connectors/nope/stop")
    add("delete, unknown", "DELETE", "/connectors/nope")
    add("topics, unknown", "GET", "/connectors/nope/topics")
    add("task status, unknown connector", "GET", "/connectors/nope/tasks/0/status")
    add("restart task, unknown connector", "POST", "/connectors/nope/tasks/0/restart")
    # Topics.
    add("topics reset", "PUT", src + "/topics/reset")
    # Loggers.
    add("loggers", "GET", "/admin/loggers")
    add("root logger", "GET", "/admin/loggers/root")
    add("unknown logger", "GET", "/admin/loggers/org.example.nope")
    add("logger set", "PUT", "/admin/loggers/org.apache.kafka.connect.mirror", {"level": "DEBUG"})
    add("logger after set", "GET", "/admin/loggers/org.apache.kafka.connect.mirror")
    add("loggers after set", "GET", "/admin/loggers")
    add("logger set, cluster scope", "PUT", "/admin/loggers/org.apache.kafka.connect.mirror?scope=cluster",
        {"level": "INFO"})
    add("logger set, bad level", "PUT", "/admin/loggers/org.apache.kafka.connect.mirror", {"level": "LOUD"})
    add("logger set, no level", "PUT", "/admin/loggers/org.apache.kafka.connect.mirror", {"lvl": "INFO"})
    # Internal endpoints, called by users.
    add("task configs unsigned", "POST", src + "/tasks", [{"task.index": "0"}])
    add("fence", "PUT", src + "/fence")
    add("Ferry's delete route", "POST", "/ferry/connectors/delete", {"name": "nope"})
    # Delete.
    for name in ("mirror-src", "mirror-cp", "mirror-hb"):
        add("delete " + name, "DELETE", "/connectors/" + name)
    add("connectors after delete", "GET", "/connectors", until=lambda a: a[0] == 200 and a[2] == "[]")
    add("info, deleted", "GET", src)
    add("delete again", "DELETE", src)
    return steps


POLLS_END = [float("inf")]  # set when the session starts
PENDING_REBALANCE = ("due to stale configuration", "no known leader URL", "conflicting operation")
RETRIES = {}


def run_step(sides, step):
    """Sends the step to both workers (after polling both for `until`): their raw answers."""
    answers = []
    for side in sides:
        body = step["body"](side) if callable(step["body"]) else step["body"]
        deadline = min(time.monotonic() + SETTLE_S, POLLS_END[0])
        while True:
            status, headers, text = side.call(step["method"], step["path"], body, step["ctype"])
            if status == 409 and any(m in text for m in PENDING_REBALANCE) and time.monotonic() < deadline:
                # Connect's answer while a rebalance is pending, which its clients retry (docs/rest.md,
                # "In a cluster of workers"); counted, and the settled answer is compared.
                key = "%s on %s" % (side.name, step["label"])
                RETRIES[key] = RETRIES.get(key, 0) + 1
                time.sleep(0.1)
                continue
            if step["until"] is None or step["until"]((status, headers, text)) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        answers.append((status, headers, text))
    return answers


# ---------------------------------------------------------------------------------------------------
# Setup


def prepare_source_topic(libs, log4j, bootstrap, topic, log_path):
    """Creates the source topic (2 partitions) and writes RECORDS keyed records to it."""
    create = Process("create topic", java(libs, log4j, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server",
                                          bootstrap, "--create", "--topic", topic, "--partitions", "2",
                                          "--replication-factor", "1"), log_path)
    if create.wait(60) != 0:
        return "creating %s failed:\n%s" % (topic, create.tail())
    create.stop()
    records = "".join("k%d:v%d\n" % (i, i) for i in range(RECORDS))
    produce = Process("produce", java(libs, log4j, "org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server",
                                      bootstrap, "--topic", topic, "--property", "parse.key=true",
                                      "--property", "key.separator=:", "--producer-property", "acks=all"),
                      log_path, stdin_text=records)
    if produce.wait(60) != 0:
        return "producing to %s failed:\n%s" % (topic, produce.tail())
    produce.stop()
    return None


def fetch_jars(release):
    """The directory of a Kafka release's jars (kafka_cluster.py fetch; None: the brokers' release)."""
    env = dict(os.environ)
    if release:
        env["FERRY_KAFKA_VERSION"] = release
    return subprocess.run([sys.executable, KAFKA_CLUSTER, "fetch"], check=True, capture_output=True, text=True,
                          env=env).stdout.strip().splitlines()[-1]


def wait_serving(side, deadline):
    while time.monotonic() < deadline:
        if side.process.proc.poll() is not None:
            return False
        if side.call("GET", "/health")[0] == 200 and side.call("GET", "/connectors")[0] == 200:
            return True
        time.sleep(0.25)
    return False


def compare_step(sides, step, major, failures):
    """Sends one step to both workers and compares: the number of Connect 4.1 state versions left out."""
    connect, ferry = sides
    raw = run_step(sides, step)
    connect_answer = normalise(connect, step, *raw[0])
    ferry_answer = normalise(ferry, step, *raw[1])
    count = 0
    if major >= 4:
        stripped, count = stripped_state_versions(connect_answer[2])
        connect_answer = (connect_answer[0], connect_answer[1], stripped)
    check = known(step["label"])
    try:
        found = check(major, connect_answer, ferry_answer) if check else None
    except (KeyError, TypeError, AttributeError, IndexError) as e:  # an answer of another shape
        found = ["the known difference's check failed on these answers: %r" % e]
    if found is None:
        check = None
        found = compare(step, connect_answer, ferry_answer)
    what = "%s %s" % (step["method"], step["path"])
    if found:
        failures.append({"label": step["label"], "request": what, "differences": found,
                         "connect": raw[0], "ferry": raw[1]})
        log("DIFFERS %-40s %s" % (step["label"], what))
        for line in found[:12]:
            log("    " + line)
    else:
        log("%s %-40s %s -> %d" % ("known  " if check else "same   ", step["label"], what, connect_answer[0]))
    return count


def start(args, work, sides, libs, tool_libs, topic):
    """Starts both workers and fills the source topic; raises RuntimeError if one does not serve."""
    connect, ferry = sides
    log4j = os.path.join(work, "log4j2.properties")
    with open(log4j, "w") as f:
        f.write(LOG4J2)
    with open(os.path.join(work, "log4j.properties"), "w") as f:
        f.write(LOG4J1)
    connect.process = Process("connect", java(libs, log4j, "org.apache.kafka.connect.cli.ConnectDistributed",
                                              connect.worker_file(os.path.join(work, "connect.properties"))),
                              os.path.join(work, "connect.log"))
    ferry.process = Process("ferry", [args.ferry, "distributed",
                                      ferry.worker_file(os.path.join(work, "ferry.properties"))],
                            os.path.join(work, "ferry.log"))
    setup_error = prepare_source_topic(tool_libs, log4j, connect.source_bootstrap, topic,
                                       os.path.join(work, "tools.log"))
    if setup_error:
        raise RuntimeError(setup_error)
    deadline = time.monotonic() + 120
    for side in sides:
        if not wait_serving(side, deadline):
            raise RuntimeError("%s does not serve REST:\n%s" % (side.name, side.process.tail()))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ferry", required=True, help="the ferry binary")
    parser.add_argument("--run-dir", default=os.environ.get("FERRY_KAFKA_RUN", "build/kafka"))
    parser.add_argument("--connect-version", help="the Connect release to compare with (default: the brokers')")
    args = parser.parse_args()
    started = time.monotonic()

    def bootstrap(name):
        with open(os.path.join(args.run_dir, name, "bootstrap")) as f:
            return f.read().strip()

    source_bootstrap, target_bootstrap = bootstrap("source"), bootstrap("target")
    tool_libs = fetch_jars(None)  # the brokers' release, for the tools
    libs = fetch_jars(args.connect_version) if args.connect_version else tool_libs
    major = int(os.path.basename(os.path.dirname(libs)).split("-")[1].split(".")[0])
    suffix = uuid.uuid4().hex[:8]
    work = os.path.join(args.run_dir, "rest-conformance-" + suffix)
    os.makedirs(work)
    topic = "rest-conformance-" + suffix
    sides = [Side("connect", free_port(), suffix, source_bootstrap, target_bootstrap),
             Side("ferry", free_port(), suffix, source_bootstrap, target_bootstrap)]
    for side in sides:
        side.topic = topic
    log("Connect %s worker on port %d, Ferry on %d, logs in %s" % (os.path.basename(os.path.dirname(libs)),
                                                                  sides[0].port, sides[1].port, work))
    failures = []
    try:
        start(args, work, sides, libs, tool_libs, topic)
        log("both workers serve after %.1f s" % (time.monotonic() - started))
        POLLS_END[0] = time.monotonic() + POLLS_S
        state_versions = sum(compare_step(sides, step, major, failures) for step in session(topic))
        log("left out: %d Connect 4.1 state versions; retried on 409 while a rebalance was pending: %s"
            % (state_versions, ", ".join("%s %d" % (k, v) for k, v in sorted(RETRIES.items())) or "none"))
    except (RuntimeError, OSError) as e:
        failures.append({"label": "setup", "differences": [str(e)]})
        log(str(e))
    finally:
        for side in sides:
            if side.process:
                status = side.process.stop()
                # Ferry stops cleanly on SIGTERM (exit 0, and no sanitizer report under ASan).
                if side.name == "ferry" and status != 0:
                    failures.append({"label": "ferry's exit", "differences": ["exit status %d" % status]})
                    log("ferry exited with %d:\n%s" % (status, side.process.tail()))
    log("%d steps differ; %.1f s" % (len(failures), time.monotonic() - started))
    if failures:
        with open(os.path.join(work, "differences.json"), "w") as f:
            json.dump(failures, f, indent=1)
        log("logs and differences.json kept in " + work)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
