"""The JavaScript SDK v3 (@aws-sdk/client-sqs) and the sqs-consumer library
against a 3-node cluster: the producer talks to a follower, the consumer to
the leader; the SDK verifies every MD5."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from cluster import Cluster  # noqa: E402

JS = os.path.join(os.path.dirname(__file__), "js")


def main():
    if not os.path.isdir(os.path.join(JS, "node_modules", "@aws-sdk", "client-sqs")):
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=JS, check=True)
    c = Cluster(3)
    try:
        leader = c.start()
        follower = next(n for n in c.nodes if n is not leader)
        r = subprocess.run(["node", "producer_consumer.mjs", follower.url, leader.url], cwd=JS,
                           capture_output=True, text=True, timeout=180)
        print(r.stdout, r.stderr)
        if r.returncode != 0:
            raise AssertionError("the JS producer/consumer failed")
    except BaseException:
        c.dump_logs()
        raise
    finally:
        c.cleanup()


if __name__ == "__main__":
    main()
