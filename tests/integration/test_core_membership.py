"""Membership through sluicectl on a real cluster: add a fourth node, move
leadership to it, remove an original member, and keep writing throughout."""
import json
import os
import subprocess
import sys
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(__file__))
from cluster import Checks, run_cluster_test, BIN_DIR, HttpError, http  # noqa: E402

CTL = os.path.join(BIN_DIR, "sluicectl")
check = Checks()


def ctl(node, *args):
    r = subprocess.run([CTL, "--endpoint", node.url, *args], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout


def ping(cluster, payload):
    for _ in range(100):
        leader = cluster.wait_leader()
        try:
            _, body = http("POST", leader.url + "/admin/ping", payload.encode(), timeout=5)
            return json.loads(body)["seq"]
        except (HttpError, OSError):
            time.sleep(0.1)
    raise AssertionError("write not accepted")


def wait_for(pred, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError(what)


def body(c):
    leader = c.start()
    for i in range(100):
        ping(c, f"a{i}")

    # sluicectl on a follower is told where the leader is.
    follower = next(n for n in c.nodes if n is not leader)
    rc, out = ctl(follower, "add", "9", "127.0.0.1:1", "127.0.0.1:2")
    check(rc != 0 and json.loads(out)["leader_id"] == leader.id, "follower must refuse: %s" % out)

    # Add node 4: it starts empty, catches up (by snapshot: the log was
    # truncated), and becomes a voter.
    n4 = c.add_node()
    n4.start(join=True)
    rc, out = ctl(leader, "add", "4", n4.raft_addr, n4.api_addr)
    check(rc == 0, "add failed: %s" % out)
    st = leader.status()
    roles = {m["id"]: m["role"] for m in st["members"]}
    check(roles.get(4) == "voter", "node 4 is %r" % roles.get(4))
    ping(c, "after-add")
    c.wait_converged()
    check(n4.metrics().get("sluice_snapshots_installed_total", 0) >= 1, "node 4 not restored by snapshot")

    # Transfer leadership to node 4.
    leader = c.wait_leader()
    rc, out = ctl(leader, "transfer", "4")
    check(rc == 0, "transfer failed: %s" % out)
    wait_for(lambda: n4.status()["role"] == "leader", "node 4 did not take over")
    ping(c, "after-transfer")

    # Node 2 was started before node 4 existed: it learns node 4's API
    # address from the replicated member directory and forwards to it.
    via = c.node(2)
    check(via.status()["role"] == "follower", "node 2 should follow")
    sqs = boto3.client("sqs", endpoint_url=via.url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test",
                       config=Config(retries={"total_max_attempts": 1}, read_timeout=10))
    t0 = time.time()
    sqs.create_queue(QueueName="via-follower")
    check(time.time() - t0 < 3, "forwarding to node 4 took %.1fs" % (time.time() - t0))

    # Remove node 1 and stop it; the remaining three keep working.
    rc, out = ctl(n4, "remove", "1")
    check(rc == 0, "remove failed: %s" % out)
    c.node(1).kill()
    check({m["id"] for m in n4.status()["members"]} == {2, 3, 4}, "membership after remove")
    for i in range(20):
        ping(c, f"b{i}")
    sts = c.wait_converged()
    check(len({s["digest"] for s in sts}) == 1, "digests differ")
    check(sts[0]["ping_count"] == 122, "count %d" % sts[0]["ping_count"])

    # A snapshot on demand, from sluicectl.
    before = n4.metrics().get("sluice_snapshots_taken_total", 0)
    rc, out = ctl(n4, "snapshot")
    check(rc == 0, "snapshot failed: %s" % out)
    wait_for(lambda: n4.metrics().get("sluice_snapshots_taken_total", 0) > before, "no snapshot taken")
    rc, out = ctl(n4, "status", "--digest")
    check(rc == 0 and "digest" in json.loads(out), "status --digest")


def main():
    run_cluster_test(body, check, snapshot_threshold=32, snapshot_trailing=8)


if __name__ == "__main__":
    main()
