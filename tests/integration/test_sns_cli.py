"""Smoke tests of the SNS operation families through both AWS CLIs (v1 on
the machine, Debian's awscli v2), awsQuery with XML, against a 3-node
cluster, each CLI pointed at a different node; publishes are received from
an SQS queue."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from cluster import Checks, run_cluster_test  # noqa: E402
from test_sqs_cli import clis  # noqa: E402

check = Checks()


def run(cli, node, service, *args, expect_error=None):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
    r = subprocess.run(cli + ["--endpoint-url", node.url, "--output", "json", service, *args],
                       capture_output=True, text=True, env=env, timeout=60)
    if expect_error:
        check(r.returncode != 0 and expect_error in r.stderr,
              "%s: want %s, got %r" % (args, expect_error, r.stderr))
        return None
    check(r.returncode == 0, "%s failed: %s" % (args, r.stderr))
    return json.loads(r.stdout) if r.stdout.strip() else {}


def family(name, cli, node):
    def sns(*a, **kw):
        return run(cli, node, "sns", *a, **kw)

    topic = sns("create-topic", "--name", "cli-%s" % name, "--attributes",
                "DisplayName=CLI", "--tags", "Key=team,Value=ops")["TopicArn"]
    check(topic.endswith(":cli-%s" % name), topic)
    check(topic in [t["TopicArn"] for t in sns("list-topics")["Topics"]], "list-topics")
    sns("set-topic-attributes", "--topic-arn", topic, "--attribute-name", "DisplayName",
        "--attribute-value", "Renamed")
    a = sns("get-topic-attributes", "--topic-arn", topic)["Attributes"]
    check(a["DisplayName"] == "Renamed", a)
    sns("tag-resource", "--resource-arn", topic, "--tags", "Key=env,Value=test")
    sns("untag-resource", "--resource-arn", topic, "--tag-keys", "team")
    check(sns("list-tags-for-resource", "--resource-arn", topic)["Tags"]
          == [{"Key": "env", "Value": "test"}], "tags")
    sns("add-permission", "--topic-arn", topic, "--label", "L1", "--aws-account-id",
        "111122223333", "--action-name", "Publish")
    sns("remove-permission", "--topic-arn", topic, "--label", "L1")
    sns("put-data-protection-policy", "--resource-arn", topic, "--data-protection-policy",
        '{"Name":"p","Version":"2021-06-01","Statement":[]}')
    check("Statement" in sns("get-data-protection-policy", "--resource-arn",
                             topic)["DataProtectionPolicy"], "data protection")

    url = run(cli, node, "sqs", "create-queue", "--queue-name", "cli-sns-%s" % name)["QueueUrl"]
    qarn = run(cli, node, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names",
               "QueueArn")["Attributes"]["QueueArn"]
    sub = sns("subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint",
              qarn, "--attributes", '{"RawMessageDelivery":"true"}')["SubscriptionArn"]
    check(sub.startswith(topic + ":"), sub)
    check([s["SubscriptionArn"] for s in sns("list-subscriptions-by-topic", "--topic-arn",
                                             topic)["Subscriptions"]] == [sub], "by topic")
    check(sub in [s["SubscriptionArn"] for s in sns("list-subscriptions")["Subscriptions"]],
          "list-subscriptions")
    sns("set-subscription-attributes", "--subscription-arn", sub, "--attribute-name",
        "FilterPolicy", "--attribute-value", '{"k":["v"]}')
    sa = sns("get-subscription-attributes", "--subscription-arn", sub)["Attributes"]
    check(sa["RawMessageDelivery"] == "true" and sa["FilterPolicy"] == '{"k":["v"]}', sa)
    sent = sns("publish", "--topic-arn", topic, "--message", "hello", "--message-attributes",
               '{"k":{"DataType":"String","StringValue":"v"}}')
    check(len(sent["MessageId"]) == 36, sent)
    sns("publish", "--topic-arn", topic, "--message", "filtered out")
    b = sns("publish-batch", "--topic-arn", topic, "--publish-batch-request-entries",
            json.dumps([{"Id": "a", "Message": "one", "MessageAttributes": {
                "k": {"DataType": "String", "StringValue": "v"}}}, {"Id": "b", "Message": ""}]))
    check(len(b["Successful"]) == 1 and b["Failed"][0]["Code"] == "InvalidParameter", b)
    got = []
    for _ in range(10):
        r = run(cli, node, "sqs", "receive-message", "--queue-url", url,
                "--max-number-of-messages", "10", "--wait-time-seconds", "1")
        got += [m["Body"] for m in r.get("Messages", [])]
        if len(got) >= 2:
            break
    check(sorted(got) == ["hello", "one"], got)
    sns("confirm-subscription", "--topic-arn", topic, "--token", "bogus",
        expect_error="InvalidParameter")
    sns("get-topic-attributes", "--topic-arn", topic + "-missing", expect_error="NotFound")

    app = sns("create-platform-application", "--name", "cli-%s" % name, "--platform", "GCM",
              "--attributes", "PlatformCredential=k")["PlatformApplicationArn"]
    ep = sns("create-platform-endpoint", "--platform-application-arn", app, "--token",
             "t")["EndpointArn"]
    check(sns("get-endpoint-attributes", "--endpoint-arn", ep)["Attributes"]["Token"] == "t", ep)
    sns("delete-platform-application", "--platform-application-arn", app)
    sns("set-sms-attributes", "--attributes", "DefaultSMSType=Transactional")
    check(sns("get-sms-attributes")["attributes"]["DefaultSMSType"] == "Transactional", "sms")

    sns("unsubscribe", "--subscription-arn", sub)
    sns("delete-topic", "--topic-arn", topic)
    check(topic not in [t["TopicArn"] for t in sns("list-topics")["Topics"]], "deleted")


def body(c):
    c.start()
    for i, (name, cli) in enumerate(clis()):
        family(name, cli, c.nodes[i % 3])


def main():
    found = clis()
    if len(found) < 2:
        raise AssertionError("both AWS CLIs are needed (v1: pip awscli, v2: Debian awscli); "
                             "found %r" % [n for n, _ in found])
    run_cluster_test(body, check)


if __name__ == "__main__":
    main()
