#!/usr/bin/env python3
"""Real Apache Kafka clusters for Ferry's tests: KRaft nodes (combined broker + controller) on loopback,
run from the release's Maven jars. No Docker.

  kafka_cluster.py fetch                       jars into the cache (once per version)
  kafka_cluster.py start NAME [--nodes 3]      format, start, wait until every node serves
  kafka_cluster.py stop NAME                   SIGTERM, SIGKILL after 5 s (the data is dropped)
  kafka_cluster.py stop-node NAME N | start-node NAME N   one node of a running cluster, for failover
  kafka_cluster.py up | down                   the suite's shared clusters: `source` and `target`
  kafka_cluster.py status                      what runs under the run directory

A cluster lives in RUN/NAME: `bootstrap` (host:port list, written once the cluster serves), one
folder per node with its server.properties, data and logs (server.log is kept after `stop`, for a
failing test to show). RUN is --run-dir, or $FERRY_KAFKA_RUN, or ./build/kafka.

Every node runs the StandardAuthorizer (ACL sync needs one on both clusters) with User:ANONYMOUS as
super user, so PLAINTEXT clients may do anything; the group coordinator accepts short sessions and
does not delay first joins, as Ferry's tests expect. The version is $FERRY_KAFKA_VERSION or 4.1.1.

Secured listeners, for the security tests (docs/security.md). Besides PLAINTEXT every node serves:
  SASL_PLAINTEXT   SCRAM-SHA-256, SCRAM-SHA-512, PLAIN and OAUTHBEARER (unsecured JWTs)
  SSL              TLS with client certificates required (mTLS)
  SASL_SSL         TLS (server verification only) with the same SASL mechanisms
  EXPIRED          TLS whose broker certificate expired in 2021
  WRONGHOST        TLS whose broker certificate names only wrong.invalid, not 127.0.0.1
RUN/NAME/listeners holds `NAME host:port,...` lines for each. The certificates are made once per run
directory in RUN/tls by a test CA (the `openssl` command); RUN/tls/security.properties says where
they are and which SASL users exist (USERS below; `admin` is a super user, the others are not).
"""
import argparse
import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VERSION = "4.1.1"
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 30
CLUSTER_STOP_TIMEOUT_S = 5

# SASL users of every cluster: name -> password. Test credentials on loopback, not secrets.
USERS = {"admin": "admin-secret", "ferry": "ferry-secret", "reader": "reader-secret"}
# Client-facing listeners after PLAINTEXT, each with its security protocol.
SECURED = [("SASL_PLAINTEXT", "SASL_PLAINTEXT"), ("SSL", "SSL"), ("SASL_SSL", "SASL_SSL"),
           ("EXPIRED", "SSL"), ("WRONGHOST", "SSL")]
SASL_MECHANISMS = "SCRAM-SHA-256,SCRAM-SHA-512,PLAIN,OAUTHBEARER"


def version():
    return os.environ.get("FERRY_KAFKA_VERSION", DEFAULT_VERSION)


def libs_dir(v):
    cache = os.environ.get("FERRY_KAFKA_CACHE", os.path.expanduser("~/.cache/ferry"))
    return os.path.join(cache, "kafka-" + v, "libs")


def log(msg):
    print("kafka_cluster: " + msg, flush=True)


def fetch(v=None):
    """Copies release v's runtime jars into the cache once; later calls find `.complete`."""
    v = v or version()
    libs = libs_dir(v)
    if os.path.exists(os.path.join(libs, ".complete")):
        return libs
    if shutil.which("mvn") is None or shutil.which("java") is None:
        sys.exit("kafka_cluster: java and mvn are needed (`make deps` installs them)")
    log("fetching Apache Kafka %s jars into %s" % (v, libs))
    partial = libs + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run(["mvn", "-q", "-B", "-f", os.path.join(HERE, "pom.xml"), "-Dkafka.version=" + v,
                    "dependency:copy-dependencies", "-DincludeScope=runtime", "-DoutputDirectory=" + partial],
                   check=True)
    open(os.path.join(partial, ".complete"), "w").close()
    shutil.rmtree(libs, ignore_errors=True)
    os.rename(partial, libs)
    return libs


def free_ports(count):
    """Ports the kernel just handed out and released: free now, and unlikely to be reused at once."""
    socks, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def node_properties(node_id, port, cport, secured_ports, voters, data_dir, tls, nodes):
    rf = min(nodes, 3)
    names = ["PLAINTEXT"] + [name for name, _ in SECURED]
    ports = [port] + secured_ports
    client = ",".join("%s://127.0.0.1:%d" % (n, p) for n, p in zip(names, ports))
    protocols = ",".join("%s:%s" % pair for pair in SECURED)
    lines = [
        "process.roles=broker,controller",
        "node.id=%d" % node_id,
        "controller.quorum.voters=" + voters,
        "listeners=%s,CONTROLLER://127.0.0.1:%d" % (client, cport),
        "advertised.listeners=" + client,
        "inter.broker.listener.name=PLAINTEXT",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT," + protocols,
        "log.dirs=" + data_dir,
        "num.partitions=1",
        "default.replication.factor=%d" % rf,
        "min.insync.replicas=%d" % (2 if nodes >= 3 else 1),
        "offsets.topic.replication.factor=%d" % rf,
        "offsets.topic.num.partitions=4",
        "transaction.state.log.replication.factor=%d" % rf,
        "transaction.state.log.min.isr=%d" % (2 if nodes >= 3 else 1),
        "transaction.state.log.num.partitions=4",
        "share.coordinator.state.topic.replication.factor=%d" % rf,
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "group.min.session.timeout.ms=1000",
        # Compaction tests roll segments in seconds and expect the cleaner to follow soon after.
        "log.cleaner.backoff.ms=1000",
        "log.segment.delete.delay.ms=1000",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users=User:ANONYMOUS;User:admin",
        "allow.everyone.if.no.acl.found=true",
        "auto.create.topics.enable=false",
    ]
    plain_users = " ".join('user_%s="%s"' % (u, p) for u, p in sorted(USERS.items()))
    for listener in ("sasl_plaintext", "sasl_ssl"):
        prefix = "listener.name.%s." % listener
        lines += [
            prefix + "sasl.enabled.mechanisms=" + SASL_MECHANISMS,
            prefix + "scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
            prefix + "scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
            prefix + "plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required " +
            plain_users + ";",
            prefix + "oauthbearer.sasl.jaas.config="
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
        ]
    keystores = {"ssl": "broker.pem", "sasl_ssl": "broker.pem", "expired": "broker-expired.pem",
                 "wronghost": "broker-wronghost.pem"}
    for listener, keystore in sorted(keystores.items()):
        prefix = "listener.name.%s." % listener
        lines += [
            prefix + "ssl.keystore.type=PEM",
            prefix + "ssl.keystore.location=" + os.path.join(tls, keystore),
            prefix + "ssl.truststore.type=PEM",
            prefix + "ssl.truststore.location=" + os.path.join(tls, "ca.pem"),
        ]
    lines.append("listener.name.ssl.ssl.client.auth=required")
    return "\n".join(lines + [""])


CA_CONFIG = """[ ca ]
default_ca = test_ca
[ test_ca ]
database = %(dir)s/index.txt
new_certs_dir = %(dir)s/issued
serial = %(dir)s/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
"""


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def tls_material(run):
    """The test CA and the certificates every cluster of this run directory uses; made once."""
    tls = os.path.join(run, "tls")
    if os.path.exists(os.path.join(tls, "security.properties")):
        return tls
    if shutil.which("openssl") is None:
        sys.exit("kafka_cluster: the openssl command is needed (`make deps` installs it)")
    work = tls + ".partial"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "ca", "issued"))
    ca = os.path.join(work, "ca")
    open(os.path.join(ca, "index.txt"), "w").close()
    with open(os.path.join(ca, "serial"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(ca, "ca.cnf"), "w") as f:
        f.write(CA_CONFIG % {"dir": ca})
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def self_signed(name, cn):
        openssl("req", "-x509", *ec, "-keyout", os.path.join(ca, name + ".key"), "-out",
                os.path.join(work, name + ".pem"), "-days", "3650", "-subj", "/CN=" + cn)

    def issue(name, cn, san, start="", end=""):
        """A key and a certificate signed by the test CA; `name`.pem holds the key then the chain."""
        key, csr, crt = (os.path.join(ca, name + ext) for ext in (".key", ".csr", ".crt"))
        req = ["req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=" + cn]
        if san:
            req += ["-addext", "subjectAltName=" + san]
        openssl(*req)
        dates = ["-startdate", start, "-enddate", end] if start else ["-days", "3650"]
        openssl("ca", "-batch", "-notext", "-config", os.path.join(ca, "ca.cnf"), "-cert",
                os.path.join(work, "ca.pem"), "-keyfile", os.path.join(ca, "ca.key"), "-in", csr, "-out", crt, *dates)
        chain = open(crt).read() + open(os.path.join(work, "ca.pem")).read()
        with open(os.path.join(work, name + ".pem"), "w") as f:
            f.write(open(key).read() + chain)
        with open(os.path.join(work, name + ".crt"), "w") as f:
            f.write(chain)
        shutil.copy(key, os.path.join(work, name + ".key"))

    self_signed("ca", "Ferry test CA")
    self_signed("other-ca", "Another CA")  # trusted by nobody: an unknown issuer to a client using it
    issue("broker", "broker", "IP:127.0.0.1,DNS:localhost")
    issue("broker-expired", "broker", "IP:127.0.0.1,DNS:localhost", "20200101000000Z", "20210101000000Z")
    issue("broker-wronghost", "broker", "DNS:wrong.invalid")
    issue("client", "ferry-client", "")
    # The client's key once more, encrypted, for ssl.key.password.
    openssl("pkcs8", "-topk8", "-in", os.path.join(work, "client.key"), "-out",
            os.path.join(work, "client-encrypted.key"), "-passout", "pass:client-key-secret")
    with open(os.path.join(work, "security.properties"), "w") as f:
        f.write("# Made by kafka_cluster.py for the tests of this run directory.\n")
        f.write("ca=%s\nother.ca=%s\n" % (os.path.join(tls, "ca.pem"), os.path.join(tls, "other-ca.pem")))
        f.write("client.certificate=%s\nclient.key=%s\n" % (os.path.join(tls, "client.crt"),
                                                             os.path.join(tls, "client.key")))
        f.write("client.key.encrypted=%s\nclient.key.password=client-key-secret\n" %
                os.path.join(tls, "client-encrypted.key"))
        for user, password in sorted(USERS.items()):
            f.write("user.%s=%s\n" % (user, password))
    shutil.rmtree(tls, ignore_errors=True)
    os.rename(work, tls)
    return tls


# Kafka 3.x logs through reload4j (log4j 1), 4.x through log4j2: a node gets both files.
LOG4J1 = """log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=${kafka.logs.dir}/server.log
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.state.change.logger=WARN
"""

LOG4J2 = """status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def java(libs, *args, heap="512m", logs_dir=None, log4j=None, quick=False):
    cmd = ["java", "-Xms%s" % heap, "-Xmx%s" % heap, "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
           "-Djava.awt.headless=true"]
    if quick:  # a short-lived tool: the C1 compiler alone starts faster
        cmd.append("-XX:TieredStopAtLevel=1")
    if logs_dir:
        cmd.append("-Dkafka.logs.dir=" + logs_dir)
    if log4j:
        cmd.append("-Dlog4j2.configurationFile=" + log4j)
        cmd.append("-Dlog4j.configuration=file:" + os.path.join(os.path.dirname(log4j), "log4j.properties"))
    cmd += ["-cp", os.path.join(libs, "*")] + list(args)
    return cmd


def cluster_dir(run, name):
    return os.path.join(run, name)


def node_dirs(cdir):
    return sorted(os.path.join(cdir, d) for d in os.listdir(cdir) if d.startswith("node-"))


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (our own child, not yet reaped) is dead too.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[-1][0] != "Z"
    except OSError:
        return False


def read_pid(ndir):
    try:
        with open(os.path.join(ndir, "pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def serves(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def start(run, name, nodes):
    libs = fetch()
    cdir = cluster_dir(run, name)
    if os.path.isdir(cdir):
        stop(run, name, quiet=True)
        shutil.rmtree(cdir)
    os.makedirs(cdir)
    with open(os.path.join(cdir, "version"), "w") as f:
        f.write(version())
    tls = tls_material(run)
    per_node = 2 + len(SECURED)
    ports = free_ports(per_node * nodes)
    brokers = ports[:nodes]
    controllers = ports[nodes:2 * nodes]
    secured = [ports[2 * nodes + i * len(SECURED):2 * nodes + (i + 1) * len(SECURED)] for i in range(nodes)]
    voters = ",".join("%d@127.0.0.1:%d" % (i + 1, controllers[i]) for i in range(nodes))
    # A Kafka cluster id is 16 bytes in URL-safe base64 without padding.
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    started = time.monotonic()
    for i in range(nodes):
        ndir = os.path.join(cdir, "node-%d" % (i + 1))
        os.makedirs(ndir)
        props = os.path.join(ndir, "server.properties")
        with open(props, "w") as f:
            f.write(node_properties(i + 1, brokers[i], controllers[i], secured[i], voters, os.path.join(ndir, "data"),
                                    tls, nodes))
        with open(os.path.join(ndir, "log4j2.properties"), "w") as f:
            f.write(LOG4J2)
        with open(os.path.join(ndir, "log4j.properties"), "w") as f:
            f.write(LOG4J1)
        scram = []
        for user, password in sorted(USERS.items()):
            for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
                scram += ["--add-scram", "%s=[name=%s,password=%s]" % (mechanism, user, password)]
        subprocess.run(java(libs, "kafka.tools.StorageTool", "format", "--cluster-id=" + cluster_id, "-c", props,
                            *scram, heap="128m", quick=True), check=True, stdout=subprocess.DEVNULL)
    for i in range(nodes):
        ndir = os.path.join(cdir, "node-%d" % (i + 1))
        with open(os.path.join(ndir, "port"), "w") as f:
            f.write(str(brokers[i]))
        launch_node(libs, ndir)
    deadline = time.monotonic() + START_TIMEOUT_S
    for i in range(nodes):
        wait_until_serving(run, name, i + 1, deadline)
    bootstrap = ",".join("127.0.0.1:%d" % p for p in brokers)
    with open(os.path.join(cdir, "listeners"), "w") as f:
        f.write("PLAINTEXT %s\n" % bootstrap)
        for k, (listener, _) in enumerate(SECURED):
            f.write("%s %s\n" % (listener, ",".join("127.0.0.1:%d" % secured[i][k] for i in range(nodes))))
    with open(os.path.join(cdir, "bootstrap"), "w") as f:
        f.write(bootstrap + "\n")
    log("%s (%d node%s, Kafka %s) serves %s after %.1f s" % (name, nodes, "s" if nodes > 1 else "", version(),
                                                            bootstrap, time.monotonic() - started))


def launch_node(libs, ndir):
    """Starts one formatted node in the background; its pid goes to ndir/pid. The server log starts
    afresh, so that readiness is judged on this start only."""
    try:
        os.remove(os.path.join(ndir, "server.log"))
    except FileNotFoundError:
        pass
    out = open(os.path.join(ndir, "stdout"), "w")
    proc = subprocess.Popen(java(libs, "kafka.Kafka", os.path.join(ndir, "server.properties"), logs_dir=ndir,
                                 log4j=os.path.join(ndir, "log4j2.properties")),
                            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    with open(os.path.join(ndir, "pid"), "w") as f:
        f.write(str(proc.pid))


def wait_until_serving(run, name, node, deadline):
    ndir = os.path.join(cluster_dir(run, name), "node-%d" % node)
    pid = read_pid(ndir)
    port = int(open(os.path.join(ndir, "port")).read())
    server_log = os.path.join(ndir, "server.log")
    while True:
        if not alive(pid):
            tail(ndir)
            stop(run, name, quiet=True)
            sys.exit("kafka_cluster: %s node %d exited during start-up (logs in %s)" % (name, node, ndir))
        if os.path.exists(server_log) and "Kafka Server started" in open(server_log, errors="replace").read() \
                and serves(port):
            return
        if time.monotonic() > deadline:
            tail(ndir)
            stop(run, name, quiet=True)
            sys.exit("kafka_cluster: %s node %d not ready in %d s (logs in %s)" % (name, node, START_TIMEOUT_S, ndir))
        time.sleep(0.2)


def stop_node(run, name, node):
    """Controlled shutdown of one node of a running cluster (its partitions' leadership moves)."""
    ndir = os.path.join(cluster_dir(run, name), "node-%d" % node)
    pid = read_pid(ndir)
    if pid is None or not alive(pid):
        sys.exit("kafka_cluster: %s node %d is not running" % (name, node))
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
    os.remove(os.path.join(ndir, "pid"))
    log("%s node %d stopped" % (name, node))


def start_node(run, name, node):
    """Starts again one stopped node of a cluster, on its old port and data."""
    ndir = os.path.join(cluster_dir(run, name), "node-%d" % node)
    if read_pid(ndir) is not None and alive(read_pid(ndir)):
        sys.exit("kafka_cluster: %s node %d is running already" % (name, node))
    launch_node(fetch(open(os.path.join(cluster_dir(run, name), "version")).read().strip()), ndir)
    wait_until_serving(run, name, node, time.monotonic() + START_TIMEOUT_S)
    log("%s node %d serves again" % (name, node))


def tail(ndir, lines=40):
    for fname in ("stdout", "server.log"):
        path = os.path.join(ndir, fname)
        if os.path.exists(path):
            content = open(path, errors="replace").read().splitlines()[-lines:]
            print("---- %s ----\n%s" % (path, "\n".join(content)), file=sys.stderr)


def stop(run, name, quiet=False):
    cdir = cluster_dir(run, name)
    if not os.path.isdir(cdir):
        if not quiet:
            log("%s: not running" % name)
        return
    try:
        os.remove(os.path.join(cdir, "bootstrap"))
    except FileNotFoundError:
        pass
    pids = [p for p in (read_pid(n) for n in node_dirs(cdir)) if p and alive(p)]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    # The whole cluster stops and its data is dropped: a controlled shutdown serves nothing, and the
    # last nodes of a multi-node cluster wait in it for a controller quorum that is gone.
    deadline = time.monotonic() + CLUSTER_STOP_TIMEOUT_S
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        if alive(pid):
            log("%s: pid %d still running %d s after SIGTERM; SIGKILL" % (name, pid, CLUSTER_STOP_TIMEOUT_S))
            os.kill(pid, signal.SIGKILL)
    for ndir in node_dirs(cdir):
        # Keep the logs, drop the data: a later run starts clean and a failing test can still show why.
        shutil.rmtree(os.path.join(ndir, "data"), ignore_errors=True)
        try:
            os.remove(os.path.join(ndir, "pid"))
        except FileNotFoundError:
            pass
    if not quiet:
        log("%s stopped" % name)


def status(run):
    if not os.path.isdir(run):
        return
    for name in sorted(os.listdir(run)):
        cdir = cluster_dir(run, name)
        bootstrap = os.path.join(cdir, "bootstrap")
        if os.path.exists(bootstrap):
            print("%s %s" % (name, open(bootstrap).read().strip()))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", default=os.environ.get("FERRY_KAFKA_RUN", os.path.join("build", "kafka")))
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("fetch")
    s = sub.add_parser("start")
    s.add_argument("name")
    s.add_argument("--nodes", type=int, default=1)
    t = sub.add_parser("stop")
    t.add_argument("name")
    for cmd in ("stop-node", "start-node"):
        n = sub.add_parser(cmd)
        n.add_argument("name")
        n.add_argument("node", type=int)
    sub.add_parser("up")
    sub.add_parser("down")
    sub.add_parser("status")
    args = parser.parse_args()
    run = os.path.abspath(args.run_dir)
    if args.cmd == "fetch":
        print(fetch())
    elif args.cmd == "start":
        start(run, args.name, args.nodes)
    elif args.cmd == "stop":
        stop(run, args.name)
    elif args.cmd == "stop-node":
        stop_node(run, args.name, args.node)
    elif args.cmd == "start-node":
        start_node(run, args.name, args.node)
    elif args.cmd == "up":
        start(run, "source", 1)
        start(run, "target", 1)
    elif args.cmd == "down":
        stop(run, "source")
        stop(run, "target")
    elif args.cmd == "status":
        status(run)


if __name__ == "__main__":
    main()
