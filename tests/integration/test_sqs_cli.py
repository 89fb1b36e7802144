"""Smoke tests of every SQS operation family through both AWS CLIs: v1
(awsJson protocol, on the machine) and v2 (Debian's awscli, awsQuery with
XML), against a 3-node cluster, each CLI pointed at a different node."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from cluster import Checks, run_cluster_test  # noqa: E402

check = Checks()


def clis():
    out = []
    if subprocess.run([sys.executable, "-c", "import awscli"], capture_output=True).returncode == 0:
        out.append(("v1", [sys.executable, "-m", "awscli"]))
    if os.path.exists("/usr/bin/aws"):
        out.append(("v2", ["/usr/bin/aws"]))
    return out


def run(cli, node, *args, expect_error=None):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
    r = subprocess.run(cli + ["--endpoint-url", node.url, "--output", "json", "sqs", *args],
                       capture_output=True, text=True, env=env, timeout=60)
    if expect_error:
        check(r.returncode != 0 and expect_error in r.stderr, "%s: want %s, got %r" % (args, expect_error, r.stderr))
        return None
    check(r.returncode == 0, "%s failed: %s" % (args, r.stderr))
    return json.loads(r.stdout) if r.stdout.strip() else {}


def family(name, cli, node):
    q = "cli-%s" % name
    url = run(cli, node, "create-queue", "--queue-name", q, "--attributes", "VisibilityTimeout=30",
              "--tags", "team=ops")["QueueUrl"]
    check(run(cli, node, "get-queue-url", "--queue-name", q)["QueueUrl"] == url, "get-queue-url")
    check(url in run(cli, node, "list-queues", "--queue-name-prefix", "cli-")["QueueUrls"], "list-queues")
    run(cli, node, "set-queue-attributes", "--queue-url", url, "--attributes", "DelaySeconds=0")
    a = run(cli, node, "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
    check(a["VisibilityTimeout"] == "30" and a["DelaySeconds"] == "0", a)
    run(cli, node, "tag-queue", "--queue-url", url, "--tags", "env=test")
    run(cli, node, "untag-queue", "--queue-url", url, "--tag-keys", "team")
    check(run(cli, node, "list-queue-tags", "--queue-url", url)["Tags"] == {"env": "test"}, "tags")
    run(cli, node, "add-permission", "--queue-url", url, "--label", "L1", "--aws-account-ids",
        "111122223333", "--actions", "SendMessage")
    run(cli, node, "remove-permission", "--queue-url", url, "--label", "L1")
    sent = run(cli, node, "send-message", "--queue-url", url, "--message-body", "hello",
               "--message-attributes", '{"k":{"DataType":"String","StringValue":"v"}}')
    check(len(sent["MessageId"]) == 36, sent)
    b = run(cli, node, "send-message-batch", "--queue-url", url, "--entries",
            '[{"Id":"a","MessageBody":"one"},{"Id":"b","MessageBody":"two"}]')
    check(len(b["Successful"]) == 2, b)
    got = []
    while len(got) < 3:
        r = run(cli, node, "receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                "--message-attribute-names", "All", "--attribute-names", "All")
        got += r.get("Messages", [])
    check(sorted(m["Body"] for m in got) == ["hello", "one", "two"], got)
    hello = next(m for m in got if m["Body"] == "hello")
    check(hello["MessageAttributes"]["k"]["StringValue"] == "v", hello)
    run(cli, node, "change-message-visibility", "--queue-url", url, "--receipt-handle",
        hello["ReceiptHandle"], "--visibility-timeout", "60")
    run(cli, node, "delete-message", "--queue-url", url, "--receipt-handle", hello["ReceiptHandle"])
    entries = json.dumps([{"Id": "e%d" % i, "ReceiptHandle": m["ReceiptHandle"]}
                          for i, m in enumerate(got) if m is not hello])
    check(len(run(cli, node, "delete-message-batch", "--queue-url", url, "--entries", entries)["Successful"]) == 2,
          "delete-message-batch")
    run(cli, node, "change-message-visibility-batch", "--queue-url", url, "--entries",
        '[{"Id":"x","ReceiptHandle":"bogus","VisibilityTimeout":1}]')
    check(run(cli, node, "list-dead-letter-source-queues", "--queue-url", url) in ({}, {"queueUrls": []}),
          "no sources")
    run(cli, node, "purge-queue", "--queue-url", url)
    run(cli, node, "get-queue-url", "--queue-name", "nope", expect_error="NonExistentQueue")
    run(cli, node, "delete-queue", "--queue-url", url)


def body(c):
    c.start()
    for i, (name, cli) in enumerate(clis()):
        family(name, cli, c.nodes[i % 3])


def main():
    found = clis()
    if len(found) < 2:
        raise AssertionError("both AWS CLIs are needed (v1: pip awscli, v2: Debian awscli); found %r"
                             % [n for n, _ in found])
    run_cluster_test(body, check)


if __name__ == "__main__":
    main()
