#!/usr/bin/env python3
"""SQS throughput and latency of a 3-node durable Sluice cluster, side by side
with moto_server, NATS JetStream (3 replicas) and the raw libraft ceiling, in
one run on this machine (about 6 minutes with the defaults).

    python3 tests/bench/bench_sqs.py [--seconds 5] [--levels 1,16,64]

What it runs, in this order, each with bounded loops that stop by themselves,
every process on loopback:
  1. build/tests/bench_core: the raw libraft ceiling (one entry per request,
     1 and 64 in flight), parsed from its table;
  2. Sluice: 3 sluiced processes (tests/integration/cluster.py: fsync'd Raft
     log, RocksDB, SigV4 with test/test, default snapshot settings), clients
     on the leader, a fresh cluster per operation family:
       SendMessage at each concurrency, then SendMessage paced at half of
       the best of them (the p99 target), then 64 clients spread over the
       three nodes; SendMessageBatch (10 messages); ReceiveMessage (up to 10)
       + DeleteMessageBatch of what came back, on a queue filled beforehand;
     a diagnostic rerun of the half-load case with snapshots disabled; and
     SendMessage for --sustained seconds, in 10 s windows;
  3. moto_server with the same load (a fresh server per case);
  4. NATS JetStream: 3 nats-server processes in a cluster, a file-storage
     stream with 3 replicas, publishes that wait for the JetStream ack, one
     at a time and 10 pipelined per client; then publishes paced at half of
     its own peak and at the rate of Sluice's half-load case.
The load generator is tests/bench/sqs_load.c (one epoll loop, HTTP/1.1
keep-alive, every request SigV4-signed when it is sent), compiled here with
cc into build/tests/sqs_load. Prints one table and the ratios against the
targets of issue 4; progress goes to stderr.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import cluster as cluster_mod  # noqa: E402
from cluster import Cluster, free_ports  # noqa: E402

BIN_DIR = os.path.abspath(os.environ.get("SL_BIN_DIR", os.path.join(ROOT, "build")))
LOAD = os.path.join(BIN_DIR, "tests", "sqs_load")
ARGS = None
OPS = [("send", "SendMessage"), ("batch", "SendMessageBatch (10)"),
       ("recvdel", "Receive (10) + DeleteMessageBatch")]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def build_load():
    src = os.path.join(HERE, "sqs_load.c")
    if os.path.exists(LOAD) and os.path.getmtime(LOAD) >= os.path.getmtime(src):
        return
    os.makedirs(os.path.dirname(LOAD), exist_ok=True)
    subprocess.check_call(["cc", "-O2", "-g", "-std=gnu11", "-Wall", "-o", LOAD, src, "-lcrypto"])


def run_load(args, timeout):
    argv = [LOAD] + ["%s=%s" % kv for kv in args.items()]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if r.stderr.strip():
        log("  sqs_load:", r.stderr.strip()[:600])
    if r.returncode != 0:
        raise RuntimeError("sqs_load failed (%d): %s" % (r.returncode, r.stderr[-400:]))
    return json.loads(r.stdout)


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on %d" % port)


def sqs_client(url):
    import boto3
    from botocore.config import Config
    return boto3.client("sqs", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 8, "mode": "standard"}))


# --- 1. raw libraft ceiling ----------------------------------------------

def bench_core(seconds):
    exe = os.path.join(BIN_DIR, "tests", "bench_core")
    for attempt in range(2):
        # A folder of our own: a crashed run leaves its data behind.
        parent = tempfile.mkdtemp(prefix="bench-sqs-core-", dir=BIN_DIR)
        try:
            r = subprocess.run([exe, str(seconds), parent], capture_output=True, text=True,
                               timeout=60 + 8 * seconds)
        finally:
            shutil.rmtree(parent, ignore_errors=True)
        rows = re.findall(r"^\| (raw|sluiced) \| (\d+) \| (\d+) \| ([\d.]+) \| ([\d.]+) \|$",
                          r.stdout, re.M)
        if r.returncode == 0 and len(rows) == 4:
            return [{"system": s, "inflight": int(i), "ops": float(o), "p50": float(a), "p99": float(b)}
                    for s, i, o, a, b in rows]
        log("  bench_core failed (attempt %d, exit %d): %s" % (attempt + 1, r.returncode,
                                                               r.stderr.strip()[-300:]))
    raise RuntimeError("bench_core did not produce its table")


# --- 2/3. an SQS endpoint --------------------------------------------------

def log_row(res):
    log("  %-6s %-8s c=%-3d %9.0f req/s %9.0f msg/s p50 %8.3f ms p99 %8.3f ms err %d empty %d %s" % (
        res["system"], res["op"], res["clients"], res["ops_per_s"], res["msgs_per_s"], res["p50_ms"],
        res["p99_ms"], res["errors"] + res["unanswered"], res["empty"], res.get("notes", "")))


def case(system, op, title, targets, url, a, clients, seconds=None, run=None, **extra):
    seconds = seconds or a.seconds
    args = {"mode": "sqs", "op": op, "targets": ",".join(targets), "queue": url, "clients": clients,
            "seconds": seconds, "warmup": a.warmup, "size": a.size}
    args.update(extra)
    before = run.stats() if run else None
    res = run_load(args, timeout=seconds + a.warmup + 30)
    res.update(system=system, op=op, title=title, clients=clients)
    if run:
        res["notes"] = run.notes(before, run.stats())
    log_row(res)
    return res


def fill(system, target, url, depth, need, a):
    """Tops the queue up to about need visible messages with SendMessageBatch
    (at most 15 s of it)."""
    have = depth()
    if have >= need:
        return
    rate = max(a.fill_rate.get(system, 0.0), 10.0)
    secs = min(15.0, max(1.0, (need - have) / rate))
    log("  filling the %s queue to ~%d messages (%d there, %.0f s)" % (system, need, have, secs))
    run_load({"mode": "sqs", "op": "batch", "targets": target, "queue": url,
              "clients": a.fill_clients.get(system, 64),
              "seconds": secs, "warmup": 0, "size": a.size}, timeout=secs + 30)


def family(system, op, title, target, url, a, depth=None, run=None):
    """One operation at every concurrency."""
    rows = []
    for n in a.levels:
        if op == "recvdel":
            # Enough for the case even if it received as fast as
            # SendMessageBatch sends (or the last case received).
            best = max([a.fill_rate.get(system, 0.0)] + [r["msgs_per_s"] for r in rows])
            fill(system, target, url, depth, int(best * (a.seconds + a.warmup) * 1.2) + 100, a)
        rows.append(case(system, op, title, [target], url, a, n, run=run))
        if op == "batch" and rows[-1]["msgs_per_s"] > a.fill_rate.get(system, 0.0):
            a.fill_rate[system] = rows[-1]["msgs_per_s"]
            a.fill_clients[system] = n
    return rows


class SluiceRun:
    """A fresh 3-node cluster with one standard queue; clients on the leader."""

    def __init__(self, **cluster_args):
        self.cluster_args = cluster_args

    def __enter__(self):
        cluster_mod.tempfile.tempdir = ARGS.data_dir  # same disk as bench_core's logs
        self.c = Cluster(**self.cluster_args)
        try:
            self.leader = self.c.start()
            self.c.wait_converged()
            self.sqs = sqs_client(self.leader.url)
            self.url = self.sqs.create_queue(QueueName="bench")["QueueUrl"]
        except Exception:
            self.c.dump_logs()
            self.c.cleanup()
            raise
        return self

    def depth(self):
        at = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(at["Attributes"]["ApproximateNumberOfMessages"])

    def stats(self):
        """Snapshots taken (all nodes), the last snapshot's size, the term,
        and the proposer's commands and entries (all nodes: only a leader
        proposes)."""
        st = {"snaps": 0, "snap_bytes": 0, "term": 0, "cmds": 0, "entries": 0}
        for n in self.c.nodes:
            try:
                m = n.metrics()
            except (OSError, cluster_mod.HttpError):
                continue
            st["snaps"] += int(m.get("sluice_snapshots_taken_total", 0))
            st["snap_bytes"] = max(st["snap_bytes"], int(m.get("sluice_snapshot_last_bytes", 0)))
            st["term"] = max(st["term"], int(m.get("sluice_raft_term", 0)))
            st["cmds"] += int(m.get("sluice_proposer_commands_total", 0))
            st["entries"] += int(m.get("sluice_proposer_entries_total", 0))
        return st

    @staticmethod
    def notes(b, e):
        out = []
        entries = e["entries"] - b["entries"]
        if entries > 0:
            out.append("%.1f commands/entry" % ((e["cmds"] - b["cmds"]) / entries))
        if e["snaps"] > b["snaps"]:
            out.append("%d snapshots (%.0f MB each)" % (e["snaps"] - b["snaps"], e["snap_bytes"] / 1e6))
        if e["term"] > b["term"]:
            out.append("%d election(s)" % (e["term"] - b["term"]))
        return "; ".join(out)

    def __exit__(self, et, ev, tb):
        try:
            if et is not None:
                self.c.dump_logs(tail=15)
        finally:
            self.c.cleanup()


def bench_sluice(a):
    rows = []
    titles = dict(OPS)
    # Each family on a fresh cluster, so that no case inherits another's
    # state (and each stays within the 60 s request-id window; the
    # sustained case below shows what happens past it).
    with SluiceRun() as r:
        t = r.leader.api_addr
        sends = family("sluice", "send", titles["send"], t, r.url, a, run=r)
        rows += sends
        peak = max(x["ops_per_s"] for x in sends)
        rate = peak / 2
        h = case("sluice", "send", "SendMessage paced at half of peak (%.0f/s)" % rate, [t], r.url, a, 64,
                 seconds=a.half_seconds, run=r, rate="%.1f" % rate)
        h.update(op="half", rate=rate)
        rows.append(h)
        a.half_rate = rate
        sp = case("sluice", "send", "SendMessage, clients spread over the 3 nodes",
                  [n.api_addr for n in r.c.nodes], r.url, a, 64, run=r)
        sp["op"] = "spread"
        rows.append(sp)
    if a.diagnose:
        # The same half-load case on a cluster that takes no snapshots
        # (not a supported setting: the Raft log grows without bound), after
        # the same SendMessage load: tells how much of the p99 the
        # snapshots are.
        with SluiceRun(snapshot_threshold=100000000) as r:
            t = r.leader.api_addr
            case("sluice", "send", "(warm-up for the next row)", [t], r.url, a, 64, run=r)
            d = case("sluice", "send", "diagnostic: paced at %.0f/s, snapshots disabled" % rate, [t], r.url, a,
                     64, seconds=a.half_seconds, run=r, rate="%.1f" % rate)
            d.update(op="half-nosnap", rate=rate)
            rows.append(d)
    with SluiceRun() as r:
        rows += family("sluice", "batch", titles["batch"], r.leader.api_addr, r.url, a, run=r)
    with SluiceRun() as r:
        rows += family("sluice", "recvdel", titles["recvdel"], r.leader.api_addr, r.url, a, r.depth, run=r)
    if a.sustained > 0:
        # SendMessage at 64 clients for longer than the core's 60 s
        # request-id window, in windows of 10 s, each on the current leader.
        with SluiceRun() as r:
            windows = []
            for i in range(int(a.sustained // 10)):
                target = r.c.wait_leader().api_addr
                before = r.stats()
                w = run_load({"mode": "sqs", "op": "send", "targets": target, "queue": r.url,
                              "clients": 64, "seconds": 10, "warmup": 0, "size": a.size}, timeout=60)
                w["notes"] = r.notes(before, r.stats())
                windows.append(w)
                log("  sustained %3d-%3d s: %6.0f req/s p50 %7.3f ms p99 %7.3f ms %s" % (
                    10 * i, 10 * i + 10, w["ops_per_s"], w["p50_ms"], w["p99_ms"], w["notes"]))
            for i in (0, len(windows) - 1):
                w = dict(windows[i], system="sluice", op="sustained", clients=64,
                         title="SendMessage sustained, seconds %d-%d of %d" % (10 * i, 10 * i + 10,
                                                                               10 * len(windows)))
                rows.append(w)
            a.sustained_windows = windows
    return rows


class Moto:
    """A fresh moto_server. Each case gets its own: moto keeps working on the
    requests of a case's clients after they gave up, which would slow the
    next case down."""

    def __enter__(self):
        self.port = free_ports(1)[0]
        self.logf = open(os.path.join(ARGS.data_dir, "moto-%d.log" % self.port), "wb")
        self.proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self.logf, stderr=self.logf)
        try:
            wait_port(self.port)
            self.target = "127.0.0.1:%d" % self.port
            self.sqs = sqs_client("http://" + self.target)
            self.url = self.sqs.create_queue(QueueName="bench")["QueueUrl"]
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def depth(self):
        at = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(at["Attributes"]["ApproximateNumberOfMessages"])

    def __exit__(self, et, ev, tb):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.logf.close()
        os.unlink(self.logf.name)


def bench_moto(a):
    if shutil.which("moto_server") is None:
        log("  moto_server is not installed (pip install 'moto[server]'): skipped")
        return []
    rows = []
    for op, title in OPS:
        for n in a.levels:
            with Moto() as m:
                if op == "recvdel":
                    best = max([a.fill_rate.get("moto", 0.0)] +
                               [r["msgs_per_s"] for r in rows if r["op"] == "recvdel"])
                    fill("moto", m.target, m.url, m.depth, int(best * (a.seconds + a.warmup) * 1.2) + 100, a)
                rows.append(case("moto", op, title, [m.target], m.url, a, n))
                if op == "batch":
                    if rows[-1]["msgs_per_s"] > a.fill_rate.get("moto", 0.0):
                        a.fill_rate["moto"] = rows[-1]["msgs_per_s"]
                        a.fill_clients["moto"] = n
    return rows


# --- 4. NATS JetStream ------------------------------------------------------

class Nats:
    """The smallest NATS client: request/reply for the JetStream API."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        self._line()  # INFO
        self.s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":false}\r\n'
                       b"SUB _INBOX.admin.* 1\r\n")
        self.n = 0

    def _line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise OSError("closed")
            self.buf += d
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def request(self, subject, payload, timeout=5):
        self.n += 1
        inbox = "_INBOX.admin.%d" % self.n
        data = json.dumps(payload).encode()
        self.s.sendall(b"PUB %s %s %d\r\n%s\r\n" % (subject.encode(), inbox.encode(), len(data), data))
        self.s.settimeout(timeout)
        while True:
            line = self._line()
            if line.startswith(b"PING"):
                self.s.sendall(b"PONG\r\n")
            elif line.startswith(b"MSG "):
                parts = line.split()
                n = int(parts[-1])
                while len(self.buf) < n + 2:
                    self.buf += self.s.recv(65536)
                body, self.buf = self.buf[:n], self.buf[n + 2:]
                if parts[1].decode() == inbox:
                    return json.loads(body or b"{}")
            elif line.startswith(b"-ERR"):
                raise RuntimeError(line.decode())

    def close(self):
        self.s.close()


def bench_nats(a):
    exe = shutil.which("nats-server")
    if exe is None:
        log("  nats-server is not installed (deploy/install-deps.sh installs it): skipped")
        return []
    root = tempfile.mkdtemp(prefix="nats-bench-", dir=a.data_dir)
    ports = free_ports(6)
    client_ports, route_ports = ports[:3], ports[3:]
    procs = []
    rows = []
    try:
        for i in range(3):
            routes = ", ".join("nats-route://127.0.0.1:%d" % p for j, p in enumerate(route_ports) if j != i)
            conf = os.path.join(root, "n%d.conf" % (i + 1))
            with open(conf, "w") as f:
                f.write("server_name: n%d\nlisten: 127.0.0.1:%d\n"
                        "jetstream { store_dir: \"%s/n%d\", max_memory_store: 256MB, max_file_store: 8GB }\n"
                        "cluster { name: bench, listen: 127.0.0.1:%d, routes: [%s] }\n"
                        % (i + 1, client_ports[i], root, i + 1, route_ports[i], routes))
            logf = open(os.path.join(root, "n%d.log" % (i + 1)), "wb")
            procs.append(subprocess.Popen([exe, "-c", conf], stdout=logf, stderr=logf))
            logf.close()
        for p in client_ports:
            wait_port(p)
        nc = Nats(client_ports[0])
        stream = {"name": "bench", "subjects": ["bench.>"], "storage": "file", "num_replicas": 3,
                  "retention": "limits", "discard": "old", "max_bytes": 4 << 30}
        deadline = time.time() + 60
        leader = None
        while time.time() < deadline:
            try:
                r = nc.request("$JS.API.STREAM.CREATE.bench", stream)
                if "error" in r and r["error"].get("err_code") != 10058:  # 10058: exists
                    raise RuntimeError(r["error"])
                info = nc.request("$JS.API.STREAM.INFO.bench", {})
                leader = info.get("cluster", {}).get("leader")
                if leader and len(info["cluster"].get("replicas", [])) == 2:
                    break
            except (RuntimeError, OSError, ValueError) as e:
                log("  waiting for JetStream:", str(e)[:200])
                nc.close()
                time.sleep(0.5)
                nc = Nats(client_ports[0])
            time.sleep(0.2)
        nc.close()
        if not leader:
            raise RuntimeError("no JetStream stream leader within 60 s")
        lport = client_ports[int(leader[1:]) - 1]
        log("  JetStream stream leader %s on port %d" % (leader, lport))
        cases = [(n, 1) for n in a.levels] + [(n, 10) for n in a.levels if n >= 16]
        for n, pipe in cases:
            res = run_load({"mode": "nats", "targets": "127.0.0.1:%d" % lport, "clients": n,
                            "pipeline": pipe, "seconds": a.seconds, "warmup": a.warmup,
                            "size": a.size, "subject": "bench.load"}, timeout=a.seconds + a.warmup + 30)
            res.update(system="nats", op="pub" if pipe == 1 else "pub10",
                       title="JetStream publish, ack awaited" if pipe == 1 else
                       "JetStream 10 publishes pipelined, 10 acks awaited", clients=n)
            rows.append(res)
            log("  nats     pipe=%-2d  c=%-3d %9.0f ops/s %9.0f msg/s p50 %8.3f ms p99 %8.3f ms err %d" % (
                pipe, n, res["ops_per_s"], res["msgs_per_s"], res["p50_ms"], res["p99_ms"], res["errors"]))
        # The p99 target applied to the reference: publishes paced at half
        # of its own peak, and at the rate of Sluice's half-load case.
        pubs = [r for r in rows if r["op"] == "pub"]
        paced = [("JetStream publish paced at half of its peak", max(r["ops_per_s"] for r in pubs) / 2)]
        if getattr(a, "half_rate", None):
            paced.append(("JetStream publish paced at Sluice's half-of-peak rate", a.half_rate))
        for title, rate in paced:
            res = run_load({"mode": "nats", "targets": "127.0.0.1:%d" % lport, "clients": 64, "pipeline": 1,
                            "seconds": a.half_seconds, "warmup": a.warmup, "size": a.size,
                            "subject": "bench.load", "rate": "%.1f" % rate},
                           timeout=a.half_seconds + a.warmup + 30)
            res.update(system="nats", op="pub-paced", title="%s (%.0f/s)" % (title, rate), clients=64, rate=rate)
            rows.append(res)
            log("  nats     paced %6.0f/s c=64  p50 %8.3f ms p99 %8.3f ms err %d" % (
                rate, res["p50_ms"], res["p99_ms"], res["errors"]))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(root, ignore_errors=True)
    return rows


# --- report -----------------------------------------------------------------

def report(a, core, rows, started, load_before):
    out = []
    p = out.append
    p("| system | load | clients | requests/s | messages/s | p50 ms | p99 ms | errors | notes |")
    p("|---|---|---|---|---|---|---|---|---|")
    for c in core:
        p("| %s | one %s per request, %d in flight | - | %.0f | %.0f | %.3f | %.3f | 0 | |" % (
            "raw libraft" if c["system"] == "raw" else "sluiced core (bench_core)",
            "entry" if c["system"] == "raw" else "ping proposal", c["inflight"], c["ops"], c["ops"],
            c["p50"], c["p99"]))
    names = {"sluice": "Sluice", "moto": "moto_server", "nats": "NATS JetStream R3"}
    for r in rows:
        p("| %s | %s | %d | %.0f | %.0f | %.3f | %.3f | %d | %s |" % (
            names[r["system"]], r["title"], r["clients"], r["ops_per_s"], r["msgs_per_s"],
            r["p50_ms"], r["p99_ms"], r["errors"] + r.get("unanswered", 0), r.get("notes", "")))
    for r in rows:
        if r.get("empty"):
            p("(%s, %s, %d clients: %d receives found the queue empty; they are not counted.)" % (
                names[r["system"]], r["title"], r["clients"], r["empty"]))
    p("")

    def get(system, op, clients=None):
        return [r for r in rows if r["system"] == system and r["op"] == op and
                (clients is None or r["clients"] == clients)]

    p("Targets (issue 4):")
    worst = None
    for op, title in OPS:
        sl, mo = get("sluice", op), get("moto", op)
        if not sl or not mo:
            continue
        per = []
        for s in sl:
            m = get("moto", op, s["clients"])
            if m and m[0]["msgs_per_s"] > 0:
                per.append("%dx at %d" % (round(s["msgs_per_s"] / m[0]["msgs_per_s"]), s["clients"]))
        ps, pm = max(r["msgs_per_s"] for r in sl), max(r["msgs_per_s"] for r in mo)
        ratio = ps / pm if pm > 0 else float("inf")
        worst = ratio if worst is None else min(worst, ratio)
        p("- %s: Sluice peak %.0f msg/s, moto peak %.0f msg/s: %.1fx (per concurrency: %s)" % (
            title, ps, pm, ratio, ", ".join(per)))
    if worst is not None:
        p("- at least 50x moto_server (peak against peak, every operation): %.1fx: %s" % (
            worst, "MET" if worst >= 50 else "MISSED"))
    raw64 = [c for c in core if c["system"] == "raw" and c["inflight"] == 64]
    batch = get("sluice", "batch")
    if raw64 and batch:
        b = max(r["msgs_per_s"] for r in batch)
        p("- SendMessageBatch %.0f msg/s against raw libraft %.0f entries/s at 64 in flight: %.2fx: %s" % (
            b, raw64[0]["ops"], b / raw64[0]["ops"], "MET" if b >= raw64[0]["ops"] else "MISSED"))
    half = get("sluice", "half")
    if half:
        h = half[0]
        p("- p99 at half of peak (SendMessage paced at %.0f/s, 64 connections, latency from the scheduled "
          "start): p50 %.3f ms, p99 %.3f ms: %s" % (h["rate"], h["p50_ms"], h["p99_ms"],
                                                   "MET" if h["p99_ms"] <= 10 else "MISSED"))
    d = get("sluice", "half-nosnap")
    if d:
        p("- diagnostic: the same paced load on a cluster that takes no snapshots: p50 %.3f ms, p99 %.3f ms" % (
            d[0]["p50_ms"], d[0]["p99_ms"]))
    for r in get("nats", "pub-paced"):
        p("- the same target for the reference: %s: p50 %.3f ms, p99 %.3f ms" % (
            r["title"], r["p50_ms"], r["p99_ms"]))
    windows = getattr(a, "sustained_windows", [])
    if windows:
        p("- sustained SendMessage at 64 clients, req/s per 10 s window (p99 ms): %s" % ", ".join(
            "%.0f (%.0f)" % (w["ops_per_s"], w["p99_ms"]) for w in windows))
    js = get("nats", "pub")
    if js:
        s = max((r["msgs_per_s"] for r in get("sluice", "send")), default=0)
        j = max(r["msgs_per_s"] for r in js)
        j10 = max((r["msgs_per_s"] for r in get("nats", "pub10")), default=0)
        p("- for reference: Sluice SendMessage peak / JetStream publish peak: %.2fx; "
          "SendMessageBatch peak / JetStream pipelined-10 peak: %.2fx" % (
              s / j if j else 0, max((r["msgs_per_s"] for r in batch), default=0) / j10 if j10 else 0))
    p("")
    p("Machine: %d cores (%s), every node and the load generator on this machine; load average %s "
      "before, %s after; run took %.0f s; sluiced built %s from commit %s." % (
          os.cpu_count(), cpu_model(), load_before, loadavg(), time.time() - started,
          time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(cluster_mod.SLUICED))),
          git_head()))
    return "\n".join(out)


def git_head():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5, help="measured seconds per case")
    ap.add_argument("--warmup", type=float, default=1, help="unmeasured seconds before each case")
    ap.add_argument("--half-seconds", type=float, default=10, help="seconds of the half-load case")
    ap.add_argument("--core-seconds", type=float, default=5, help="seconds per bench_core case")
    ap.add_argument("--levels", default="1,16,64", help="concurrencies (clients)")
    ap.add_argument("--size", type=int, default=100, help="message body bytes")
    ap.add_argument("--sustained", type=float, default=90,
                    help="seconds of the sustained SendMessage case (0: skip)")
    ap.add_argument("--no-diagnose", dest="diagnose", action="store_false",
                    help="skip the half-load case with snapshots disabled")
    ap.add_argument("--only", default="core,sluice,moto,nats", help="parts to run")
    ap.add_argument("--json", help="also write the rows to this file")
    a = ap.parse_args()
    global ARGS
    ARGS = a
    a.fill_rate, a.fill_clients = {}, {}
    a.levels = [int(x) for x in a.levels.split(",")]
    a.data_dir = BIN_DIR  # on disk, like bench_core's logs
    parts = a.only.split(",")
    started, load_before = time.time(), loadavg()
    build_load()
    core, rows = [], []
    if "core" in parts:
        log("== raw libraft ceiling (bench_core %g s per case)" % a.core_seconds)
        core = bench_core(a.core_seconds)
    if "sluice" in parts:
        log("== Sluice, 3 nodes")
        rows += bench_sluice(a)
    if "moto" in parts:
        log("== moto_server")
        rows += bench_moto(a)
    if "nats" in parts:
        log("== NATS JetStream, 3 replicas")
        rows += bench_nats(a)
    text = report(a, core, rows, started, load_before)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"core": core, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
