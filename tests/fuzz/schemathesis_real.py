#!/usr/bin/env python3
"""Schema-driven REST fuzzing (#17): schemathesis, from docs/openapi.json, against a `ferry
distributed` worker on the real test clusters, for a bounded number of examples per operation and at most
--seconds (55) in all; the operations come in the description's order, each with up to 15 examples,
which takes about 45 s under ASan on a busy 2-core machine. Fails on any 5xx answer (but the one Connect 3.9 gives too: schemathesis_hooks.py),
an answer whose status, Content-Type or body the
description does not allow, a request over 10 s, or the worker exiting.

schemathesis comes from PyPI into a venv of its own (--venv; made on first use, pinned version), so
that nothing is installed into the system's Python. Excluded from generation, with why:
  - nothing: no route can stop the process or harm anything but the worker's own state (connectors
    it creates, log levels it sets, internal topics of its own group), and all of that is the worker's
    alone (a fresh group and topics per run).
The worker's /ferry/ routes are served (the cutover service knows no mirror unless one is created),
so their parameters and bodies are fuzzed too.

Usage: schemathesis_real.py --ferry BUILD/ferry --run-dir RUN --venv DIR [--examples N] [--seconds S]
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
import tempfile
import time
import uuid

# hypothesis is pinned too: its releases since 6.131 removed what hypothesis-jsonschema 0.23 uses
# ("'many' object has no attribute 'more'").
SCHEMATHESIS = ["schemathesis==3.39.16", "hypothesis==6.115.0"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECKS = "no_server_error_but_connects,status_code_conformance,content_type_conformance,response_schema_conformance"


def log(msg):
    print("schemathesis_real: " + msg, flush=True)


def die_with_parent():
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_schemathesis(venv):
    st = os.path.join(venv, "bin", "st")
    if os.path.exists(st):
        return st
    log("installing %s into %s" % (" ".join(SCHEMATHESIS), venv))
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q"] + SCHEMATHESIS, check=True)
    return st


def call(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body),
                     headers={"Content-Type": "application/json"})
        return conn.getresponse().status
    except OSError:
        return 0
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--venv", required=True)
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FERRY_SCHEMATHESIS_EXAMPLES", "15")),
                        help="examples per operation")
    parser.add_argument("--seconds", type=int, default=55, help="how long schemathesis may run")
    args = parser.parse_args()
    st = ensure_schemathesis(os.path.abspath(args.venv))

    with open(os.path.join(args.run_dir, "target", "bootstrap")) as f:
        bootstrap = f.read().strip()
    group = "schemathesis-" + uuid.uuid4().hex[:10]
    port = free_port()
    work = tempfile.mkdtemp(prefix="ferry-schemathesis-")
    props = os.path.join(work, "worker.properties")
    with open(props, "w") as f:
        f.write("\n".join([
            "bootstrap.servers = " + bootstrap, "group.id = " + group,
            "config.storage.topic = %s-configs" % group, "offset.storage.topic = %s-offsets" % group,
            "status.storage.topic = %s-status" % group, "config.storage.replication.factor = 1",
            "offset.storage.replication.factor = 1", "status.storage.replication.factor = 1",
            "listeners = http://127.0.0.1:%d" % port, ""]))
    ferry_log = os.path.join(work, "ferry.log")
    out = open(ferry_log, "wb")
    ferry = subprocess.Popen([args.ferry, "distributed", props], stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
    failed = True
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and ferry.poll() is None:
            if call(port, "GET", "/health") == 200:
                break
            time.sleep(0.25)
        else:
            log("the worker did not become healthy; its log: " + ferry_log)
            return 1
        # The connector of the description's examples, so that the connector routes reach a real one
        # (its tasks emit nothing: the shared clusters' heartbeats topics stay as other tests left them).
        heartbeats = {"connector.class": "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector",
                      "source.cluster.alias": "A", "target.cluster.alias": "B", "tasks.max": "1",
                      "emit.heartbeats.enabled": "false", "heartbeats.topic.replication.factor": "1"}
        status = call(port, "PUT", "/connectors/heartbeats/config", heartbeats)
        if status != 201:
            log("creating the example connector answered %d" % status)
            return 1
        log("worker on port %d (group %s); %d examples per operation" % (port, group, args.examples))
        started = time.monotonic()
        cmd = [st, "run", os.path.join(ROOT, "docs", "openapi.json"), "--base-url", "http://127.0.0.1:%d" % port,
               "--checks", CHECKS, "--hypothesis-max-examples", str(args.examples),
               "--data-generation-method", "all", "--hypothesis-derandomize", "--max-response-time", "10000",
               "--cassette-path", os.path.join(work, "cassette.yaml"),
               "--request-timeout", "10000", "--workers", "2", "--show-trace",
               "--hypothesis-suppress-health-check", "all", "--no-color"]
        env = dict(os.environ, SCHEMATHESIS_HOOKS="schemathesis_hooks", PYTHONWARNINGS="ignore",
                   PYTHONPATH=os.path.dirname(os.path.abspath(__file__)))
        # The run is cut at --seconds (Ctrl-C, then SIGKILL); what was checked until then counts, from
        # the network log, which schemathesis writes as it goes.
        st_run = subprocess.Popen(cmd, env=env, cwd=work)
        cut = False
        try:
            st_run.wait(timeout=args.seconds)
        except subprocess.TimeoutExpired:
            log("stopping schemathesis after %d s" % args.seconds)
            cut = True
            st_run.send_signal(signal.SIGINT)
            try:
                st_run.wait(timeout=3)
            except subprocess.TimeoutExpired:
                st_run.kill()
                st_run.wait()
        with open(os.path.join(work, "cassette.yaml"), errors="replace") as f:
            cassette = f.read()
        requests = cassette.count("\n  request:")
        failures = cassette.count("status: 'FAILURE'")
        log("schemathesis sent %d requests in %.1f s: %d failed checks, exit %d"
            % (requests, time.monotonic() - started, failures, st_run.returncode))
        for interaction in cassette.split("\n- id: ")[1:]:
            if "status: 'FAILURE'" in interaction:
                sys.stdout.write("--- a failed check ---\n" + interaction[:3000] + "\n")
        if ferry.poll() is not None:
            log("the worker exited (%d) during the run; its log: %s" % (ferry.returncode, ferry_log))
            return 1
        failed = failures > 0 or requests == 0 or (not cut and st_run.returncode != 0)
        return 1 if failed else 0
    finally:
        if ferry.poll() is None:
            ferry.send_signal(signal.SIGTERM)
            try:
                ferry.wait(timeout=30)
            except subprocess.TimeoutExpired:
                ferry.kill()
                ferry.wait()
        out.close()
        if failed:
            with open(ferry_log, errors="replace") as f:
                sys.stdout.write("--- the worker's log (last 60 lines) ---\n" + "".join(f.readlines()[-60:]))
            log("kept for a look: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
