"""Runs real sluiced processes on loopback for integration tests.

Each node gets free ports and its own data dir under a temporary folder. The
helpers speak HTTP with the standard library only.
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BIN_DIR = os.environ.get("SL_BIN_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SLUICED = os.path.join(BIN_DIR, "sluiced")


def free_ports(n):
    """n ports free now, below the kernel's ephemeral range (32768 and up by
    default): a port taken from that range can be given, before the node
    listens on it, to the source of some outgoing connection (a peer
    connecting early), and the node then fails to start."""
    socks, ports = [], []
    while len(ports) < n:
        port = random.randrange(20000, 32000)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        if port in ports:
            s.close()
            continue
        socks.append(s)
        ports.append(port)
    for s in socks:
        s.close()
    return ports


class HttpError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:300]!r}")
        self.status = status
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return {}


def http(method, url, body=None, headers=None, timeout=10):
    data = body if isinstance(body, (bytes, type(None))) else body.encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        raise HttpError(e.code, e.read()) from None


class Node:
    def __init__(self, cluster, node_id, raft_port, api_port):
        self.cluster = cluster
        self.id = node_id
        self.raft_addr = f"127.0.0.1:{raft_port}"
        self.api_addr = f"127.0.0.1:{api_port}"
        self.url = f"http://{self.api_addr}"
        self.data_dir = os.path.join(cluster.root, f"node{node_id}")
        self.log_path = os.path.join(cluster.root, f"node{node_id}.log")
        self.proc = None
        # Flags added to every start (e.g. --tls-cert/--tls-key); set before
        # Cluster.start().
        self.extra_args = []

    @property
    def https_url(self):
        """The API address over TLS (needs --tls-cert/--tls-key in extra_args)."""
        return f"https://{self.api_addr}"

    def start(self, join=False, extra=()):
        args = [SLUICED, "--id", str(self.id), "--data-dir", self.data_dir,
                "--credentials", self.cluster.credentials,
                "--raft-addr", self.raft_addr, "--api-addr", self.api_addr,
                "--members", self.cluster.members_flag(),
                "--heartbeat-ms", "100", "--election-ms", "800",
                "--snapshot-threshold", str(self.cluster.snapshot_threshold),
                "--snapshot-trailing", str(self.cluster.snapshot_trailing)]
        if join:
            args.append("--join")
        args.extend(self.extra_args)
        args.extend(extra)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        log.close()

    def kill(self, sig=signal.SIGKILL):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wipe(self):
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def get(self, path, timeout=10):
        return http("GET", self.url + path, timeout=timeout)

    def status(self, digest=False):
        _, body = self.get("/status?digest=1" if digest else "/status")
        return json.loads(body)

    def metrics(self):
        _, body = self.get("/metrics")
        out = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name.split("{")[0]] = float(value)
        return out


class Cluster:
    def __init__(self, n=3, snapshot_threshold=8192, snapshot_trailing=2048):
        self.root = tempfile.mkdtemp(prefix="sluice-it-")
        self.credentials = os.path.join(self.root, "credentials")
        with open(self.credentials, "w") as f:
            f.write("test test 000000000000\nAKIDOTHER secretother 111111111111\n")
        self.snapshot_threshold = snapshot_threshold
        self.snapshot_trailing = snapshot_trailing
        ports = free_ports(2 * n)
        self.nodes = [Node(self, i + 1, ports[2 * i], ports[2 * i + 1]) for i in range(n)]

    def add_node(self):
        """A new node object (not started, not yet a member)."""
        raft_port, api_port = free_ports(2)
        n = Node(self, len(self.nodes) + 1, raft_port, api_port)
        self.nodes.append(n)
        return n

    def members_flag(self):
        return ",".join(f"{n.id}={n.raft_addr}/{n.api_addr}" for n in self.nodes)

    def start(self):
        for n in self.nodes:
            n.start()
        return self.wait_leader()

    def node(self, node_id):
        return self.nodes[node_id - 1]

    def wait_leader(self, timeout=15, exclude=()):
        """Returns the node that leads, as all live nodes agree."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for n in self.nodes:
                if not n.alive() or n.id in exclude:
                    continue
                try:
                    st = n.status()
                except (OSError, HttpError):
                    continue
                if st["role"] == "leader":
                    return n
            time.sleep(0.05)
        raise AssertionError("no leader within %.0fs" % timeout)

    def wait_converged(self, timeout=30):
        """Waits until every live node has applied the same index, then
        returns their digests."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                sts = [n.status(digest=True) for n in self.nodes if n.alive()]
            except (OSError, HttpError):
                time.sleep(0.1)
                continue
            idx = {s["state_index"] for s in sts}
            last = sts
            if len(idx) == 1 and len({s["commit_index"] for s in sts}) == 1:
                return sts
            time.sleep(0.1)
        raise AssertionError("nodes did not converge: %r" % [(s["id"], s["state_index"]) for s in last or []])

    def stop(self, sig=signal.SIGTERM):
        codes = {}
        for n in self.nodes:
            codes[n.id] = n.kill(sig)
        return codes

    def cleanup(self):
        self.stop(signal.SIGKILL)
        if os.environ.get("SL_KEEP_DATA"):
            print("data kept in", self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def dump_logs(self, tail=40):
        for n in self.nodes:
            try:
                with open(n.log_path, "rb") as f:
                    lines = f.read().decode(errors="replace").splitlines()[-tail:]
            except OSError:
                continue
            print(f"--- node {n.id} log (last {tail} lines)")
            print("\n".join(lines))


class Checks:
    """Counts passing assertions of a test; the first failing one raises."""

    def __init__(self):
        self.passed = 0

    def __call__(self, cond, what):
        if not cond:
            raise AssertionError(what)
        self.passed += 1


def run_cluster_test(body, check, n=3, tail=40, **kwargs):
    """Runs body(cluster) on a fresh n-node cluster, shows the nodes' logs if
    it fails, always removes the cluster, and prints the closing line."""
    c = Cluster(n, **kwargs)
    try:
        body(c)
    except BaseException:
        c.dump_logs(tail)
        raise
    finally:
        c.cleanup()
    print(f"{check.passed} passed, 0 failed")
