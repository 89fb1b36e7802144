"""A member whose promotion to voter failed stays a spare, which libraft
sends no log: adding it again retries the promotion, and it catches up."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from cluster import Checks, run_cluster_test, BIN_DIR, HttpError, http  # noqa: E402

CTL = os.path.join(BIN_DIR, "sluicectl")
check = Checks()


def ctl(node, *args):
    r = subprocess.run([CTL, "--endpoint", node.url, *args], capture_output=True, text=True,
                       timeout=120)
    return r.returncode, r.stdout + r.stderr


def roles(node):
    return {m["id"]: m["role"] for m in node.status()["members"]}


def body(c):
    leader = c.start()
    for i in range(50):
        http("POST", leader.url + "/admin/ping", b"x%d" % i, timeout=5)

    # Node 4 is not running yet: it is added as a spare, and its promotion
    # fails (the leader cannot reach it to catch it up).
    n4 = c.add_node()
    rc, out = ctl(leader, "add", "4", n4.raft_addr, n4.api_addr)
    check(rc != 0, "promotion of an unreachable node must fail: %s" % out)
    check(roles(leader).get(4) == "spare", "node 4 is %r" % roles(leader).get(4))

    # Started now, it would stay behind for good as a spare; adding it again
    # promotes it.
    n4.start(join=True)
    time.sleep(1)
    rc, out = ctl(c.wait_leader(), "add", "4", n4.raft_addr, n4.api_addr)
    check(rc == 0, "second add failed: %s" % out)
    check(roles(c.wait_leader()).get(4) == "voter", "node 4 is not a voter")
    for i in range(10):
        try:
            http("POST", c.wait_leader().url + "/admin/ping", b"y%d" % i, timeout=5)
        except HttpError:
            time.sleep(0.2)
    sts = c.wait_converged()
    check(len(sts) == 4 and len({s["digest"] for s in sts}) == 1, "node 4 did not catch up")
    check(json.loads(http("GET", n4.url + "/admin/ping")[1])["count"] >= 50, "node 4's state")


def main():
    run_cluster_test(body, check, snapshot_threshold=32, snapshot_trailing=8)


if __name__ == "__main__":
    main()
