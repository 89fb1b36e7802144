"""SNS -> SQS fan-out on a 3-node cluster with boto3: standard and FIFO
topics and queues, raw and enveloped delivery (envelope fields and the MD5s
SQS reports), per-group order and deduplication, long polls woken by a
publish, and filter policies that match and do not match as AWS documents
them (attributes and message body scope)."""
import base64
import hashlib
import json
import os
import struct
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from cluster import Checks, run_cluster_test  # noqa: E402

check = Checks()


def client(node, service):
    return boto3.client(service, endpoint_url=node.url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 8, "mode": "standard"}))


def md5_of_attributes(attrs):
    """MD5OfMessageAttributes as AWS computes it."""
    buf = b""
    for name in sorted(attrs):
        a = attrs[name]
        t = a["DataType"].encode()
        buf += struct.pack(">I", len(name.encode())) + name.encode()
        buf += struct.pack(">I", len(t)) + t
        if "BinaryValue" in a:
            v = a["BinaryValue"]
            buf += b"\x02" + struct.pack(">I", len(v)) + v
        else:
            v = a["StringValue"].encode()
            buf += b"\x01" + struct.pack(">I", len(v)) + v
    return hashlib.md5(buf).hexdigest()


def verify_signature(e):
    """Checks the Notification's signature with the certificate served at
    its SigningCertURL, as AWS's SDKs do."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    pem = urllib.request.urlopen(e["SigningCertURL"], timeout=10).read()
    cert = x509.load_pem_x509_certificate(pem)
    fields = ["Message", "MessageId"] + (["Subject"] if "Subject" in e else []) + [
        "Timestamp", "TopicArn", "Type"]
    text = "".join("%s\n%s\n" % (k, e[k]) for k in fields).encode()
    algo = hashes.SHA1() if e["SignatureVersion"] == "1" else hashes.SHA256()
    cert.public_key().verify(base64.b64decode(e["Signature"]), text, padding.PKCS1v15(), algo)
    return True


class Fx:
    def __init__(self, sns, sqs):
        self.sns, self.sqs = sns, sqs

    def queue(self, name, **attrs):
        url = self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        return url, arn

    def drain(self, url, expect_max=100, wait=1):
        out = []
        while True:
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                         WaitTimeSeconds=wait, MessageAttributeNames=["All"],
                                         AttributeNames=["All"])
            msgs = r.get("Messages", [])
            if not msgs:
                return out
            out.extend(msgs)
            self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
            check(len(out) <= expect_max, "too many messages in %s" % url)


def standard(fx):
    topic = fx.sns.create_topic(Name="news")["TopicArn"]
    env_url, env_arn = fx.queue("news-env")
    raw_url, raw_arn = fx.queue("news-raw")
    env_sub = fx.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=env_arn)["SubscriptionArn"]
    fx.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn,
                     Attributes={"RawMessageDelivery": "true"})
    attrs = {"colour": {"DataType": "String", "StringValue": "red"},
             "size": {"DataType": "Number", "StringValue": "42"},
             "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xffdata"},
             "tags": {"DataType": "String.Array", "StringValue": '["a","b"]'}}
    before = time.time()
    mid = fx.sns.publish(TopicArn=topic, Message="hello \u00e9", Subject="greeting",
                         MessageAttributes=attrs)["MessageId"]
    env = fx.drain(env_url)
    check(len(env) == 1, env)
    m = env[0]
    check(m["MD5OfBody"] == hashlib.md5(m["Body"].encode()).hexdigest(), "envelope MD5")
    check("MessageAttributes" not in m, "enveloped delivery has no SQS attributes")
    check(m["Attributes"]["SenderId"] == "AIDAIT2UOQQY3AUEKVGXU", m["Attributes"])
    e = json.loads(m["Body"])
    check(e["Type"] == "Notification" and e["MessageId"] == mid and e["TopicArn"] == topic, e)
    check(e["Subject"] == "greeting" and e["Message"] == "hello \u00e9", e)
    check(e["SignatureVersion"] == "1" and len(e["Signature"]) > 300, e)
    check("/SimpleNotificationService-" in e["SigningCertURL"], e)
    check(verify_signature(e), "signature verifies")
    check(e["UnsubscribeURL"].endswith("?Action=Unsubscribe&SubscriptionArn=" + env_sub), e)
    ts = time.mktime(time.strptime(e["Timestamp"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    check(abs(ts - before) < 30 and e["Timestamp"].endswith("Z"), e["Timestamp"])
    check(e["MessageAttributes"] == {
        "colour": {"Type": "String", "Value": "red"},
        "size": {"Type": "Number", "Value": "42"},
        "blob": {"Type": "Binary", "Value": "AP9kYXRh"},
        "tags": {"Type": "String.Array", "Value": '["a","b"]'}}, e["MessageAttributes"])
    raw = fx.drain(raw_url)
    check(len(raw) == 1 and raw[0]["Body"] == "hello \u00e9", raw)
    ra = raw[0]["MessageAttributes"]
    check(ra["colour"] == {"DataType": "String", "StringValue": "red"} and
          ra["blob"] == {"DataType": "Binary", "BinaryValue": b"\x00\xffdata"} and
          ra["tags"]["DataType"] == "String.Array", ra)
    check(raw[0]["MD5OfMessageAttributes"] == md5_of_attributes(ra), "raw attributes MD5")
    check(raw[0]["MD5OfBody"] == hashlib.md5("hello \u00e9".encode()).hexdigest(), "raw MD5")

    # MessageStructure json: the "sqs" text for queues, else "default".
    fx.sns.publish(TopicArn=topic, MessageStructure="json",
                   Message=json.dumps({"default": "all", "sqs": "queues only"}))
    e = json.loads(fx.drain(env_url)[0]["Body"])
    check(e["Message"] == "queues only" and verify_signature(e), "sqs key")
    check([m["Body"] for m in fx.drain(raw_url)] == ["queues only"], "sqs key (raw)")
    fx.sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "d"}))
    check([m["Body"] for m in fx.drain(raw_url)] == ["d"], "default key")
    fx.drain(env_url)

    # A batch fans out every entry.
    fx.sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "e%d" % i, "Message": "batch %d" % i} for i in range(10)])
    check(sorted(m["Body"] for m in fx.drain(raw_url)) == sorted("batch %d" % i for i in range(10)),
          "batch fan-out")
    check(len(fx.drain(env_url)) == 10, "batch fan-out (envelope)")

    # A long poll waiting on the queue is woken by the publish.
    got = {}

    def poll():
        t0 = time.time()
        r = fx.sqs.receive_message(QueueUrl=raw_url, WaitTimeSeconds=15)
        got["dt"] = time.time() - t0
        got["msgs"] = r.get("Messages", [])

    th = threading.Thread(target=poll)
    th.start()
    time.sleep(1.0)
    fx.sns.publish(TopicArn=topic, Message="wake up")
    th.join()
    check(len(got["msgs"]) == 1 and got["dt"] < 5, got)
    fx.drain(raw_url)
    fx.drain(env_url)

    # SignatureVersion 2 signs with SHA256withRSA.
    fx.sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion",
                                AttributeValue="2")
    fx.sns.publish(TopicArn=topic, Message="v2")
    e = json.loads(fx.drain(env_url)[0]["Body"])
    check(e["SignatureVersion"] == "2" and verify_signature(e), e)
    fx.drain(raw_url)

    # A deleted queue: the publish still succeeds, the other queue gets it.
    fx.sqs.delete_queue(QueueUrl=env_url)
    fx.sns.publish(TopicArn=topic, Message="after delete")
    check([m["Body"] for m in fx.drain(raw_url)] == ["after delete"], "surviving subscriber")


def fifo(fx):
    topic = fx.sns.create_topic(Name="orders.fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    q_url, q_arn = fx.queue("orders.fifo", FifoQueue="true")
    raw_url, raw_arn = fx.queue("orders-raw.fifo", FifoQueue="true")
    std_url, std_arn = fx.queue("orders-std")
    fx.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q_arn)
    fx.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn,
                     Attributes={"RawMessageDelivery": "true"})
    fx.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=std_arn)
    seqs = []
    for i in range(20):
        r = fx.sns.publish(TopicArn=topic, Message="m%02d" % i, MessageGroupId="g%d" % (i % 3))
        seqs.append(r["SequenceNumber"])
    check(seqs == sorted(seqs) and len(set(seqs)) == 20, seqs)
    # Content-based deduplication within the window: no second copy.
    dup = fx.sns.publish(TopicArn=topic, Message="m00", MessageGroupId="g0")
    check(dup["SequenceNumber"] == seqs[0], dup)
    fx.sns.publish(TopicArn=topic, Message="explicit", MessageGroupId="g0",
                   MessageDeduplicationId="d-1")
    fx.sns.publish(TopicArn=topic, Message="explicit again", MessageGroupId="g0",
                   MessageDeduplicationId="d-1")
    for url, raw in ((q_url, False), (raw_url, True)):
        msgs = fx.drain(url)
        check(len(msgs) == 21, len(msgs))
        by_group = {}
        for m in msgs:
            body = m["Body"] if raw else json.loads(m["Body"])["Message"]
            by_group.setdefault(m["Attributes"]["MessageGroupId"], []).append(body)
            if not raw:
                e = json.loads(m["Body"])
                check(e["SequenceNumber"] in seqs or body == "explicit", e)
                check(verify_signature(e), "FIFO envelope signature")
        for g, bodies in by_group.items():
            ordered = [b for b in bodies if b.startswith("m")]
            check(ordered == sorted(ordered), (g, bodies))
        check(by_group["g0"][-1] == "explicit", by_group["g0"])
    check(len(fx.drain(std_url)) == 21, "standard queue under a FIFO topic")


FILTERS = [
    # (policy, scope, [(message attributes or body, expected)])
    ({"price": [{"numeric": [">=", 100, "<", 200]}]}, None,
     [({"price": ("Number", "100")}, True), ({"price": ("Number", "199.5")}, True),
      ({"price": ("Number", "200")}, False), ({"price": ("String", "150")}, False), ({}, False)]),
    ({"event": [{"prefix": "order-"}]}, None,
     [({"event": ("String", "order-created")}, True), ({"event": ("String", "refund")}, False)]),
    ({"event": [{"suffix": "-created"}]}, None,
     [({"event": ("String", "order-created")}, True), ({"event": ("String", "order")}, False)]),
    ({"store": [{"anything-but": ["example_corp", "test"]}]}, None,
     [({"store": ("String", "other")}, True), ({"store": ("String", "test")}, False),
      ({}, False)]),
    ({"store": [{"anything-but": {"prefix": "ex"}}]}, None,
     [({"store": ("String", "shop")}, True), ({"store": ("String", "example")}, False)]),
    ({"store": [{"exists": True}]}, None,
     [({"store": ("String", "x")}, True), ({"other": ("String", "x")}, False)]),
    ({"store": [{"exists": False}]}, None,
     [({"other": ("String", "x")}, True), ({"store": ("String", "x")}, False)]),
    ({"colour": ["red", "green"]}, None,
     [({"colour": ("String.Array", '["blue","red"]')}, True),
      ({"colour": ("String.Array", '["blue"]')}, False)]),
    ({"name": [{"equals-ignore-case": "ALICE"}]}, None,
     [({"name": ("String", "alice")}, True), ({"name": ("String", "bob")}, False)]),
    ({"kind": ["a"], "size": [{"numeric": ["=", 3]}]}, None,
     [({"kind": ("String", "a"), "size": ("Number", "3.0")}, True),
      ({"kind": ("String", "a"), "size": ("Number", "4")}, False)]),
    ({"$or": [{"kind": ["a"]}, {"size": [{"numeric": [">", 10]}]}]}, None,
     [({"size": ("Number", "11")}, True), ({"kind": ("String", "b")}, False)]),
    ({"order": {"customer": {"tier": ["gold"]}}}, "MessageBody",
     [({"order": {"customer": {"tier": "gold"}}}, True),
      ({"order": {"customer": {"tier": "silver"}}}, False), ("not json", False)]),
    ({"items": {"qty": [{"numeric": [">", 5]}]}}, "MessageBody",
     [({"items": [{"qty": 1}, {"qty": 9}]}, True), ({"items": [{"qty": 1}]}, False)]),
]


def filters(fx):
    """One topic and queue per case, so a queue sees only its case's
    messages and must get exactly the ones its policy accepts."""
    for i, (policy, scope, cases) in enumerate(FILTERS):
        topic = fx.sns.create_topic(Name="filtered-%d" % i)["TopicArn"]
        url, arn = fx.queue("filter-%d" % i)
        attrs = {"FilterPolicy": json.dumps(policy), "RawMessageDelivery": "true"}
        if scope:
            attrs["FilterPolicyScope"] = scope
        fx.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attrs)
        expected = []
        for n, (payload, match) in enumerate(cases):
            kw = {}
            if scope == "MessageBody":
                body = payload if isinstance(payload, str) else json.dumps(dict(payload, n=n))
            else:
                body = "case-%d-%d" % (i, n)
                kw["MessageAttributes"] = {
                    k: {"DataType": t, "StringValue": v} for k, (t, v) in payload.items()}
            fx.sns.publish(TopicArn=topic, Message=body, **kw)
            if match:
                expected.append(body)
        got = [m["Body"] for m in fx.drain(url, expect_max=len(cases))]
        check(sorted(got) == sorted(expected),
              "filter %s (%s): expected %s, got %s" % (policy, scope, expected, got))


def leader_dies(c, leader, follower):
    """Publishes through a follower while the leader is killed: every
    acknowledged publish is in both queues (raw and FIFO) afterwards,
    received from a surviving node; FIFO order per group holds."""
    sns = client(follower, "sns")
    sqs = client(follower, "sqs")
    fx = Fx(sns, sqs)
    topic = sns.create_topic(Name="survive")["TopicArn"]
    ftopic = sns.create_topic(Name="survive.fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    url, arn = fx.queue("survive")
    furl, farn = fx.queue("survive.fifo", FifoQueue="true")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                  Attributes={"RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=ftopic, Protocol="sqs", Endpoint=farn,
                  Attributes={"RawMessageDelivery": "true"})
    acked, facked = [], []
    for i in range(120):
        if i == 40:
            leader.kill()
        body = "p-%03d" % i
        sns.publish(TopicArn=topic, Message=body)
        acked.append(body)
        sns.publish(TopicArn=ftopic, Message=body, MessageGroupId="g")
        facked.append(body)
    new = c.wait_leader(exclude=(leader.id,))
    check(new is not leader, "a new leader")
    got = [m["Body"] for m in fx.drain(url, expect_max=1000)]
    check(set(acked) <= set(got), "lost: %s" % sorted(set(acked) - set(got)))
    fgot = [m["Body"] for m in fx.drain(furl, expect_max=1000)]
    # FIFO: deduplicated even when a publish was retried across the
    # leader change, and in order.
    check(fgot == facked, "FIFO after failover: %s" % fgot[:10])


def body(c):
    leader = c.start()
    follower = next(n for n in c.nodes if n is not leader)
    standard(Fx(client(follower, "sns"), client(leader, "sqs")))
    fifo(Fx(client(leader, "sns"), client(follower, "sqs")))
    filters(Fx(client(follower, "sns"), client(follower, "sqs")))
    sts = c.wait_converged()
    check(len({st["digest"] for st in sts}) == 1, "replicas agree")
    # Nothing SNS keeps (dedup windows, the signing key) makes an idle
    # cluster write: once the work in flight settled, the log stops.
    settled = False
    for _ in range(10):
        st = leader.status()
        time.sleep(2)
        if leader.status()["last_index"] == st["last_index"]:
            settled = True
            break
    check(settled, "the log kept growing on an idle cluster")
    leader_dies(c, leader, follower)


def main():
    run_cluster_test(body, check)


if __name__ == "__main__":
    main()
