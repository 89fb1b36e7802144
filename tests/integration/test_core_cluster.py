"""The replicated core end to end: three sluiced processes on loopback.

- a stream of replicated pings, acknowledged by the leader;
- kill -9 of the leader mid-stream: a new leader accepts writes within 3 s;
- the killed node restarts and catches up;
- kill -9 right after a snapshot loses nothing;
- a follower whose data dir was wiped rejoins and is restored by
  InstallSnapshot;
- every acknowledged ping is present on every node, and the states are
  byte-identical (equal digests);
- SIGTERM stops every node cleanly.
"""
import json
import os
import signal
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from cluster import Checks, run_cluster_test, HttpError, http  # noqa: E402

check = Checks()


class Producer:
    """Sends pings to whichever node leads, retrying with the same request id
    so that a retry never applies twice."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.acked = {}  # seq -> payload
        self.leader = None

    def send(self, payload, deadline_s=15):
        rid = uuid.uuid4().hex
        deadline = time.time() + deadline_s
        while time.time() < deadline:
            node = self.leader or self.cluster.wait_leader(timeout=deadline - time.time())
            try:
                _, body = http("POST", node.url + "/admin/ping", payload.encode(),
                               {"x-sluice-request-id": rid}, timeout=3)
            except HttpError as e:
                err = e.json()
                check(e.status == 503, "only retryable errors are expected: %r" % e)
                self.leader = None
                for n in self.cluster.nodes:
                    if err.get("leader_api") == n.api_addr and n.alive():
                        self.leader = n
                time.sleep(0.02)
                continue
            except OSError:
                self.leader = None
                time.sleep(0.02)
                continue
            self.leader = node
            seq = json.loads(body)["seq"]
            check(seq not in self.acked, "sequence number %d acknowledged twice" % seq)
            self.acked[seq] = payload
            return seq
        raise AssertionError("no write accepted within %ss" % deadline_s)


def body(c):
    leader = c.start()
    p = Producer(c)
    for i in range(150):
        p.send(f"before-{i}")

    # kill -9 the leader mid-stream: a new leader must take writes within 3 s.
    killed = leader
    t0 = time.time()
    killed.kill(signal.SIGKILL)
    p.leader = None
    p.send("after-kill", deadline_s=10)
    failover = time.time() - t0
    print(f"failover: new leader accepted a write {failover:.2f}s after kill -9")
    check(failover < 3.0, f"failover took {failover:.2f}s")
    for i in range(150):
        p.send(f"during-{i}")

    # The killed node restarts and catches up.
    killed.start()
    c.wait_converged()

    # kill -9 right after a snapshot (which truncates the log): nothing
    # is lost, whether RocksDB's flush finished (state on disk is at or past
    # the snapshot) or not (the node restores the snapshot it wrote).
    leader = c.wait_leader()
    follower = next(n for n in c.nodes if n is not leader)
    taken = follower.metrics().get("sluice_snapshots_taken_total", 0)
    http("POST", follower.url + "/admin/snapshot", b"")
    while follower.metrics().get("sluice_snapshots_taken_total", 0) == taken:
        p.send("to-trigger-the-snapshot")
    follower.kill(signal.SIGKILL)
    follower.start()
    c.wait_converged()

    # Wipe a follower; the leader snapshots so its log no longer reaches
    # back; the follower rejoins empty and is restored by InstallSnapshot.
    leader = c.wait_leader()
    follower = next(n for n in c.nodes if n is not leader)
    follower.kill(signal.SIGKILL)
    follower.wipe()
    for i in range(100):
        p.send(f"while-wiped-{i}")
    _, _ = http("POST", leader.url + "/admin/snapshot", b"")
    for i in range(10):
        p.send(f"after-snapshot-{i}")
    follower.start(join=True)
    sts = c.wait_converged(timeout=60)
    check(follower.metrics().get("sluice_snapshots_installed_total", 0) >= 1,
          "the wiped follower was not restored by a snapshot")

    # Every acknowledged ping is on every node; the states are identical.
    check(len({s["digest"] for s in sts}) == 1, "digests differ: %r" % sts)
    check(len({s["ping_count"] for s in sts}) == 1, "counts differ")
    check(sts[0]["ping_count"] == len(p.acked), "count %d != acknowledged %d"
          % (sts[0]["ping_count"], len(p.acked)))
    for n in c.nodes:
        for seq, payload in p.acked.items():
            _, body = n.get(f"/admin/ping/{seq}")
            check(body.decode() == payload, f"node {n.id} seq {seq}: {body!r} != {payload!r}")

    # A linearizable read on the leader sees the last write.
    leader = c.wait_leader()
    last = p.send("last")
    _, body = leader.get(f"/admin/ping/{last}?consistent=1")
    check(body == b"last", "consistent read missed the last write")

    # Clean shutdown.
    codes = c.stop(signal.SIGTERM)
    check(all(code == 0 for code in codes.values()), f"exit codes {codes}")
    print(f"acknowledged {len(p.acked)} pings; all present on 3 nodes")


def main():
    run_cluster_test(body, check, snapshot_threshold=64, snapshot_trailing=16)


if __name__ == "__main__":
    main()
