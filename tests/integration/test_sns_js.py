"""The JavaScript SDK v3 (@aws-sdk/client-sns) against a 3-node cluster:
the SNS client talks to a follower, the SQS client that receives the
fan-out to the leader."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from cluster import Cluster  # noqa: E402

JS = os.path.join(os.path.dirname(__file__), "js")


def main():
    if not os.path.isdir(os.path.join(JS, "node_modules", "@aws-sdk", "client-sns")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, check=True)
    c = Cluster(3)
    try:
        leader = c.start()
        follower = next(n for n in c.nodes if n is not leader)
        r = subprocess.run(["node", "sns_fanout.mjs", follower.url, leader.url], cwd=JS,
                           capture_output=True, text=True, timeout=180)
        print(r.stdout, r.stderr)
        if r.returncode != 0:
            raise AssertionError("the JS SNS test failed")
    except BaseException:
        c.dump_logs()
        raise
    finally:
        c.cleanup()


if __name__ == "__main__":
    main()
