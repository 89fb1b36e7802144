"""sluiced nodes of one run, each in its own network namespace, with its own
fake clock (libfaketime on CLOCK_REALTIME only), and the admin calls the
nemeses need (leader, membership, transfer, convergence)."""
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request

RAFT_PORT = 7000
API_PORT = 4566
FAKETIME_LIBS = ("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
                 "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1")
CREDENTIALS = "jepsen jepsensecret 000000000000\n"
ACCESS_KEY, SECRET_KEY = "jepsen", "jepsensecret"


def faketime_lib():
    for p in FAKETIME_LIBS:
        if os.path.exists(p):
            return p
    return None


class AdminError(Exception):
    pass


def http(method, url, body=None, timeout=2.0):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, {"raw": raw[:200].decode(errors="replace")}


class Node:
    def __init__(self, cluster, node_id):
        self.cluster = cluster
        self.id = node_id
        self.ip = cluster.net.ip(node_id)
        self.raft_addr = "%s:%d" % (self.ip, RAFT_PORT)
        self.api_addr = "%s:%d" % (self.ip, API_PORT)
        self.url = "http://" + self.api_addr
        self.data_dir = os.path.join(cluster.root, "n%d" % node_id)
        self.log_path = os.path.join(cluster.root, "n%d.log" % node_id)
        self.clock_file = os.path.join(cluster.root, "n%d.faketime" % node_id)
        self.proc = None
        self.paused = False
        self.join_pending = False
        self.clock_offset = 0.0
        self.set_clock(0)

    def set_clock(self, offset_s):
        """Moves this node's CLOCK_REALTIME by offset_s from the true time
        (read by libfaketime at every call; monotonic clocks stay true)."""
        tmp = self.clock_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%+d\n" % int(offset_s))
        os.replace(tmp, self.clock_file)
        self.clock_offset = offset_s

    def start(self, join=None, members=None):
        """Starts the process; join=None restarts it the way it was last
        started until it has become a member (a node started with --join
        must never bootstrap a configuration of its own)."""
        c = self.cluster
        if join is not None:
            self.join_pending = join
        join = self.join_pending
        args = ["ip", "netns", "exec", c.net.ns(self.id), "env"]
        lib = faketime_lib()
        if lib and c.faketime:
            args += ["LD_PRELOAD=" + lib, "FAKETIME_TIMESTAMP_FILE=" + self.clock_file,
                     "FAKETIME_NO_CACHE=1", "FAKETIME_DONT_FAKE_MONOTONIC=1",
                     "FAKETIME_DONT_RESET=1"]
        args += [c.sluiced, "--id", str(self.id), "--data-dir", self.data_dir,
                 "--credentials", c.credentials, "--raft-addr", self.raft_addr,
                 "--api-addr", self.api_addr, "--members", members or c.members_flag(),
                 "--heartbeat-ms", "100", "--election-ms", str(c.election_ms),
                 "--snapshot-threshold", str(c.snapshot_threshold),
                 "--snapshot-trailing", str(c.snapshot_trailing)]
        if join:
            args.append("--join")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        self.paused = False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.proc.pid, sig)

    def kill(self):
        if self.proc is not None:
            if self.paused:
                self.signal(signal.SIGCONT)
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(timeout=30)
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        self.paused = False
        return rc

    def pause(self):
        self.signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.signal(signal.SIGCONT)
        self.paused = False

    def wipe(self):
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def status(self, digest=False, timeout=1.0):
        code, st = http("GET", self.url + ("/status?digest=1" if digest else "/status"),
                        timeout=timeout)
        if code != 200:
            raise AdminError("status %d" % code)
        return st

    def metric(self, name, timeout=1.0):
        req = urllib.request.Request(self.url + "/metrics")
        with urllib.request.urlopen(req, timeout=timeout) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + "{") or line.startswith(name + " "):
                    return float(line.rpartition(" ")[2])
        return 0.0


class Cluster:
    def __init__(self, net, root, sluiced, n, election_ms=800, snapshot_threshold=1024,
                 snapshot_trailing=256, faketime=True):
        self.net = net
        self.root = root
        self.sluiced = sluiced
        self.election_ms = election_ms
        self.snapshot_threshold = snapshot_threshold
        self.snapshot_trailing = snapshot_trailing
        self.faketime = faketime
        os.makedirs(root, exist_ok=True)
        self.credentials = os.path.join(root, "credentials")
        with open(self.credentials, "w") as f:
            f.write(CREDENTIALS)
        self.nodes = {}          # id -> Node, current members (and joiners)
        self.next_id = n + 1
        for i in range(1, n + 1):
            net.add_node(i)
            self.nodes[i] = Node(self, i)

    def members_flag(self):
        return ",".join("%d=%s/%s" % (n.id, n.raft_addr, n.api_addr)
                        for n in sorted(self.nodes.values(), key=lambda n: n.id))

    def start(self):
        for n in self.nodes.values():
            n.start()
        return self.wait_leader(30)

    def urls(self):
        return [n.url for n in sorted(self.nodes.values(), key=lambda n: n.id)]

    def leader(self):
        """The node that says it leads (None when none answers so)."""
        for n in list(self.nodes.values()):
            if not n.alive() or n.paused:
                continue
            try:
                if n.status()["role"] == "leader":
                    return n
            except (OSError, AdminError, ValueError, KeyError):
                continue
        return None

    def wait_leader(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            n = self.leader()
            if n is not None:
                return n
            time.sleep(0.2)
        raise AdminError("no leader within %ds" % timeout)

    def admin(self, method, path, body=None, timeout=60):
        """Runs an admin call on the leader, retrying through elections."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            n = self.leader()
            if n is None:
                time.sleep(0.3)
                continue
            try:
                code, out = http(method, n.url + path, body, timeout=15)
            except OSError as e:
                last = str(e)
                time.sleep(0.3)
                continue
            if code == 200:
                return out
            last = "%d %s" % (code, out)
            time.sleep(0.5)
        raise AdminError("%s %s: %s" % (method, path, last))

    def voters(self):
        n = self.wait_leader()
        return {m["id"]: m["role"] for m in n.status()["members"]}

    def remove_member(self, node_id, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if node_id not in self.voters():
                return
            try:
                self.admin("DELETE", "/admin/members/%d" % node_id, timeout=10)
            except AdminError:
                pass
        raise AdminError("could not remove node %d" % node_id)

    def add_member(self, node, timeout=180, stuck_after=45, on_stuck=None):
        """Adds node (started with --join) and waits until it is a voter.
        Adding again retries a failed promotion; a member still a spare
        after stuck_after seconds is removed, wiped and added afresh (the
        operator's way out; on_stuck(node_id) is told)."""
        deadline = time.monotonic() + timeout
        since = time.monotonic()
        while time.monotonic() < deadline:
            role = self.voters().get(node.id)
            if role == "voter":
                node.join_pending = False
                return
            if role is not None and time.monotonic() - since > stuck_after:
                if on_stuck:
                    on_stuck(node.id)
                self.remove_member(node.id)
                node.kill()
                node.wipe()
                node.start(join=True)
                since = time.monotonic()
            try:
                self.admin("POST", "/admin/members", {"id": node.id, "raft_addr": node.raft_addr,
                                                      "api_addr": node.api_addr}, timeout=30)
            except AdminError:
                time.sleep(1)
        raise AdminError("node %d did not become a voter" % node.id)

    def new_node(self):
        i = self.next_id
        self.next_id += 1
        self.net.add_node(i)
        n = Node(self, i)
        self.nodes[i] = n
        return n

    def drop_node(self, node):
        node.kill()
        self.net.remove_node(node.id)
        del self.nodes[node.id]

    def wait_converged(self, timeout=120):
        """Waits until every node reports the same commit and applied index
        (and is a voter), then returns {id: status with digest}."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                sts = {n.id: n.status(digest=True, timeout=5) for n in self.nodes.values()}
            except (OSError, AdminError, ValueError):
                time.sleep(0.5)
                continue
            last = {i: (s["commit_index"], s["state_index"]) for i, s in sts.items()}
            if len({s["state_index"] for s in sts.values()}) == 1 and \
               len({s["commit_index"] for s in sts.values()}) == 1:
                return sts
            time.sleep(0.5)
        raise AdminError("applied indexes did not converge: %r" % last)

    def stop(self):
        for n in self.nodes.values():
            n.kill()
