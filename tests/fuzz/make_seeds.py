#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/seed-*) from the project's
own golden inputs: the example properties files, the golden wire bytes of tests/group, the record
texts of the store tests, MM2's record layouts and the requests of docs/rest.md. Run it after the
goldens change; files not named seed-* (inputs that found something) are left alone."""
import json
import pathlib
import re
import struct

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("seed-" + name)).write_bytes(data if isinstance(data, bytes) else data.encode())


def golden_bytes(text):
    """tests/support/hex.h's Bytes(): hex pairs and 'quoted' text."""
    out, i = bytearray(), 0
    while i < len(text):
        if text[i] == " ":
            i += 1
        elif text[i] == "'":
            end = text.index("'", i + 1)
            out += text[i + 1:end].encode()
            i = end + 1
        else:
            out.append(int(text[i:i + 2], 16))
            i += 2
    return bytes(out)


def properties():
    for path in sorted(ROOT.glob("examples/**/*.properties")):
        write("fuzz_properties", path.stem + ".properties", path.read_bytes())
    write("fuzz_properties", "escapes.properties",
          "# comment\n! also\n  key\\ one = va\\\n    lue\\u00e9\\uD83D\\uDE00\nk2:v2\nk3 v3\\\n\n\\\nk4=\\t\\n\\=\r\nk5\r")


def jsons():
    write("fuzz_json", "connector.json", json.dumps({"name": "mirror-a", "config": {
        "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector", "tasks.max": "2",
        "source.cluster.alias": "A", "topics": "orders.*"}}))
    write("fuzz_json", "offsets.json", '{"offsets":[{"partition":{"cluster":"A","partition":0,"topic":"t"},'
          '"offset":{"offset":12345678901234567890}}]}')
    write("fuzz_json", "scalars.json", '[null,true,false,-0,1e308,-1.5E-7,"\\u00e9\\ud83d\\ude00\\n",{}]')
    write("fuzz_json", "nested.json", "[" * 63 + "]" * 63)
    migration = ROOT / "examples" / "migration" / "migration.json"
    if migration.exists():
        write("fuzz_json", "migration.json", migration.read_bytes())


def mm2_string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def records():
    def topic(name, recs):
        parts = []
        for key, value in recs:
            parts.append(key.encode() + (b"" if value is None else b"\n=>\n" + value))
        write("fuzz_internal_records", name, b"\n--\n".join(parts))

    config = '{"properties":{"connector.class":"org.apache.kafka.connect.mirror.MirrorSourceConnector","name":"mm2-src","tasks.max":"2"}}'
    task = '{"properties":{"task.class":"org.apache.kafka.connect.mirror.MirrorSourceTask","task.id":"%d"}}'
    topic("config-topic", [
        ("target-state-mm2-src", b'{"state":"PAUSED","state.v2":"STOPPED"}'),
        ("connector-mm2-src", config.encode()),
        ("task-mm2-src-0", (task % 0).encode()), ("task-mm2-src-1", (task % 1).encode()),
        ("commit-mm2-src", b'{"tasks":2}'),
        ("session-key", b'{"key":"c2VjcmV0","algorithm":"HmacSHA256","creation-timestamp":1700000000000}'),
        ("restart-connector-mm2-src", b'{"include-tasks":true,"only-failed":false}'),
        ("tasks-fencing-mm2-src", b'{"task-count":2}'),
        ("connector-mm2-src", None)])
    topic("offset-topic", [
        ('["mm2-src",{"cluster":"A","partition":0,"topic":"orders"}]', b'{"offset":1234}'),
        ('["mm2-checkpoint",{"partition":3,"topic":"orders","group":"billing"}]', b'{"offset":7}'),
        ('["mm2-src",{"cluster":"A","partition":1,"topic":"orders"}]', None)])
    topic("status-topic", [
        ("status-connector-mm2-src", b'{"state":"RUNNING","trace":null,"worker_id":"w:8083","generation":7}'),
        ("status-task-mm2-src-3", b'{"state":"FAILED","trace":"boom","worker_id":"w:8083","generation":3000000000,"ferry.sync.writer":"mirror-A-task-1@01"}'),
        ("status-topic-orders:connector-mm2-src", b'{"topic":{"name":"orders","connector":"mm2-src","task":0,"discoverTimestamp":1700000000000}}'),
        ("status-task-mm2-src-3", None)])
    # MM2's Heartbeat, Checkpoint and OffsetSync (key => value), as tasks/mirror_records.h lays them out.
    heartbeat = (mm2_string("A") + mm2_string("B"), struct.pack(">hq", 0, 1700000000000))
    checkpoint = (mm2_string("billing") + mm2_string("A.orders") + struct.pack(">i", 3),
                  struct.pack(">h", 0) + struct.pack(">qq", 100, 90) + mm2_string(""))
    offset_sync = (mm2_string("orders") + struct.pack(">i", 3), struct.pack(">qq", 100, 90))
    for name, (key, value) in {"heartbeat": heartbeat, "checkpoint": checkpoint, "offset-sync": offset_sync}.items():
        write("fuzz_internal_records", name, key + b"\n=>\n" + value)


def kafka_protocol():
    seen = set()
    for path in sorted((ROOT / "tests" / "group").glob("*_test.cc")):
        text = path.read_text()
        for m in re.finditer(r'(\d+),\s*Bytes\(((?:\s*"[^"]*")+)\s*\)', text):
            version = int(m.group(1))
            body = golden_bytes("".join(re.findall(r'"([^"]*)"', m.group(2))))
            data = bytes([version % 256]) + body
            if data in seen:
                continue
            seen.add(data)
            write("fuzz_kafka_protocol", "%s-%d" % (path.stem, len(seen)), data)
    write("fuzz_kafka_protocol", "scram",
          b"\x00r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096\nv=rmF9pqV8S7suAoZWja4dJRkFsKQ=")


def rest():
    def req(name, method, target, body=None, headers=()):
        head = "%s %s HTTP/1.1\r\nHost: localhost\r\n" % (method, target)
        for h in headers:
            head += h + "\r\n"
        data = body.encode() if body is not None else b""
        if body is not None:
            head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
        write("fuzz_rest", name, head.encode() + b"\r\n" + data)

    config = {"connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector", "tasks.max": "1",
              "source.cluster.alias": "A", "target.cluster.alias": "B", "topics": "orders"}
    req("root", "GET", "/")
    req("list", "GET", "/connectors?expand=status&expand=info")
    req("create", "POST", "/connectors", json.dumps({"name": "m", "config": config, "initial_state": "PAUSED"}))
    req("put-config", "PUT", "/connectors/m/config", json.dumps(config))
    req("patch-config", "PATCH", "/connectors/m/config", '{"tasks.max":"2","topics":null}')
    req("get", "GET", "/connectors/m")
    req("status", "GET", "/connectors/m/status")
    req("tasks", "GET", "/connectors/m/tasks")
    req("task-status", "GET", "/connectors/m/tasks/0/status")
    req("restart", "POST", "/connectors/m/restart?includeTasks=true&onlyFailed=false", "")
    req("task-restart", "POST", "/connectors/m/tasks/0/restart", "")
    req("pause", "PUT", "/connectors/m/pause", "")
    req("stop", "PUT", "/connectors/m/stop", "")
    req("offsets", "GET", "/connectors/m/offsets")
    req("alter-offsets", "PATCH", "/connectors/m/offsets",
        '{"offsets":[{"partition":{"cluster":"A","partition":0,"topic":"orders"},"offset":{"offset":5}}]}')
    req("reset-offsets", "DELETE", "/connectors/m/offsets")
    req("topics", "GET", "/connectors/m/topics")
    req("topics-reset", "PUT", "/connectors/m/topics/reset", "")
    req("plugins", "GET", "/connector-plugins?connectorsOnly=false")
    req("plugin-config", "GET", "/connector-plugins/MirrorSourceConnector/config")
    req("validate", "PUT", "/connector-plugins/MirrorSourceConnector/config/validate", json.dumps(config))
    req("loggers", "GET", "/admin/loggers")
    req("logger-put", "PUT", "/admin/loggers/org.apache.kafka?scope=cluster", '{"level":"DEBUG"}')
    req("delete", "DELETE", "/connectors/m")
    req("health", "GET", "/health")
    req("encoded", "GET", "/connectors/a%2Fb%zz/status")
    req("options", "OPTIONS", "/connectors")
    write("fuzz_rest", "chunked", b"POST /connectors HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
          b"Content-Type: application/json\r\n\r\n5\r\n{\"nam\r\n0\r\n\r\n")
    write("fuzz_rest", "pipelined", b"GET /connectors HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    write("fuzz_rest", "expect", b"PUT /connectors/m/config HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
          b"Content-Length: 2\r\n\r\n{}")


if __name__ == "__main__":
    properties()
    jsons()
    records()
    kafka_protocol()
    rest()
