"""Amazon SQS through the unmodified boto3 client against a 3-node cluster:
every operation and the errors a user can hit, with clients on the leader
and on followers."""
import hashlib
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import boto3  # noqa: E402
import botocore  # noqa: E402
from botocore.config import Config  # noqa: E402
from cluster import Checks, run_cluster_test  # noqa: E402

check = Checks()


def client(node, key="test", secret="test"):
    return boto3.client("sqs", endpoint_url=node.url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 8, "mode": "standard"}))


def error_code(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("no error from %s" % fn)


def queues(leader_sqs, follower_sqs):
    s, f = leader_sqs, follower_sqs
    u = s.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "20"},
                       tags={"team": "payments"})["QueueUrl"]
    check(u.endswith("/000000000000/orders"), u)
    # Same name and attributes: the same queue; different: an error.
    check(f.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "20"})["QueueUrl"] == u.replace(
        u.split("/")[2], f.meta.endpoint_url.split("/")[2]), "idempotent create")
    check(error_code(s.create_queue, QueueName="orders", Attributes={"VisibilityTimeout": "21"})
          == "QueueAlreadyExists", "QueueNameExists")
    check(error_code(s.create_queue, QueueName="bad name!") == "InvalidParameterValue", "bad name")
    check(error_code(s.create_queue, QueueName="x", Attributes={"DelaySeconds": "901"})
          == "InvalidAttributeValue", "bad value")
    check(error_code(s.create_queue, QueueName="x", Attributes={"Colour": "blue"})
          == "InvalidAttributeName", "bad attribute")
    check(f.get_queue_url(QueueName="orders")["QueueUrl"].endswith("/000000000000/orders"), "get url")
    check(error_code(f.get_queue_url, QueueName="missing") == "AWS.SimpleQueueService.NonExistentQueue",
          "missing queue")
    for i in range(5):
        s.create_queue(QueueName="batch-%d" % i)
    listed = f.list_queues(QueueNamePrefix="batch-")["QueueUrls"]
    check(len(listed) == 5, listed)
    page = f.list_queues(QueueNamePrefix="batch-", MaxResults=2)
    check(len(page["QueueUrls"]) == 2 and "NextToken" in page, page)
    rest = f.list_queues(QueueNamePrefix="batch-", MaxResults=10, NextToken=page["NextToken"])
    check(len(rest["QueueUrls"]) == 3 and "NextToken" not in rest, rest)
    attrs = f.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"]
    check(attrs["VisibilityTimeout"] == "20" and attrs["MaximumMessageSize"] == "1048576", attrs)
    check(attrs["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:orders", attrs)
    check("FifoQueue" not in attrs, "FIFO attributes on a standard queue")
    s.set_queue_attributes(QueueUrl=u, Attributes={"DelaySeconds": "0", "MessageRetentionPeriod": "600"})
    check(f.get_queue_attributes(QueueUrl=u, AttributeNames=["MessageRetentionPeriod"])["Attributes"]
          == {"MessageRetentionPeriod": "600"}, "set attributes")
    check(error_code(s.get_queue_attributes, QueueUrl=u, AttributeNames=["Nope"]) == "InvalidAttributeName",
          "unknown attribute name")
    f.tag_queue(QueueUrl=u, Tags={"env": "prod"})
    check(s.list_queue_tags(QueueUrl=u)["Tags"] == {"team": "payments", "env": "prod"}, "tags")
    f.untag_queue(QueueUrl=u, TagKeys=["team"])
    check(s.list_queue_tags(QueueUrl=u)["Tags"] == {"env": "prod"}, "untag")
    f.add_permission(QueueUrl=u, Label="Partner", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    check("Partner" in s.get_queue_attributes(QueueUrl=u, AttributeNames=["Policy"])["Attributes"]["Policy"],
          "permission added")
    check(error_code(f.add_permission, QueueUrl=u, Label="Partner", AWSAccountIds=["111122223333"],
                     Actions=["SendMessage"]) == "InvalidParameterValue", "duplicate label")
    f.remove_permission(QueueUrl=u, Label="Partner")
    check(error_code(f.remove_permission, QueueUrl=u, Label="Partner") == "InvalidParameterValue",
          "missing label")
    check(error_code(s.purge_queue, QueueUrl=u.replace("orders", "nope"))
          == "AWS.SimpleQueueService.NonExistentQueue", "purge missing")
    s.delete_queue(QueueUrl=listed[0])
    check(error_code(s.create_queue, QueueName=listed[0].rsplit("/", 1)[1])
          == "AWS.SimpleQueueService.QueueDeletedRecently", "name held after delete")
    check(error_code(f.get_queue_attributes, QueueUrl="not a url", AttributeNames=["All"])
          == "InvalidAddress", "bad url")
    return u


def messages(s, f, u):
    body = "héllo wörld ✓"
    attrs = {"kind": {"DataType": "String", "StringValue": "order"},
             "n": {"DataType": "Number", "StringValue": "42"},
             "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"}}
    r = f.send_message(QueueUrl=u, MessageBody=body, MessageAttributes=attrs)
    check(r["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest(), "body md5")
    check("MD5OfMessageAttributes" in r, "attribute md5")
    got = s.receive_message(QueueUrl=u, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                            MessageSystemAttributeNames=["All"])["Messages"]
    check(len(got) == 1 and got[0]["Body"] == body, got)
    m = got[0]
    check(m["MessageAttributes"]["raw"]["BinaryValue"] == b"\x00\x01\x02", "binary attribute")
    check(m["MD5OfMessageAttributes"] == r["MD5OfMessageAttributes"], "md5 of attributes on receive")
    check(m["Attributes"]["ApproximateReceiveCount"] == "1", m["Attributes"])
    check(int(m["Attributes"]["SentTimestamp"]) > 1_600_000_000_000, "sent timestamp")
    # Only the named attributes come back.
    f.send_message(QueueUrl=u, MessageBody="two", MessageAttributes=attrs)
    two = s.receive_message(QueueUrl=u, MessageAttributeNames=["kind"])["Messages"][0]
    check(set(two["MessageAttributes"]) == {"kind"}, two)
    check(two["MD5OfMessageAttributes"] != r["MD5OfMessageAttributes"], "md5 covers the returned subset")
    # Invisible while in flight; ChangeMessageVisibility brings it back.
    check("Messages" not in f.receive_message(QueueUrl=u), "in flight is invisible")
    f.change_message_visibility(QueueUrl=u, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    again = s.receive_message(QueueUrl=u, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"]
    check(again[0]["MessageId"] == m["MessageId"] and again[0]["Attributes"]["ApproximateReceiveCount"] == "2",
          again)
    check(again[0]["ReceiptHandle"] != m["ReceiptHandle"], "a new receipt handle per receive")
    f.delete_message(QueueUrl=u, ReceiptHandle=again[0]["ReceiptHandle"])
    f.delete_message(QueueUrl=u, ReceiptHandle=two["ReceiptHandle"])
    check(error_code(f.delete_message, QueueUrl=u, ReceiptHandle="garbage")
          == "ReceiptHandleIsInvalid", "bad receipt handle")
    check(error_code(f.change_message_visibility, QueueUrl=u, ReceiptHandle=again[0]["ReceiptHandle"],
                     VisibilityTimeout=10) == "InvalidParameterValue", "change after delete")
    # Validation of sends and receives.
    check(error_code(f.send_message, QueueUrl=u, MessageBody="x", DelaySeconds=901)
          == "InvalidParameterValue", "delay range")
    check(error_code(f.send_message, QueueUrl=u, MessageBody="bad \x01 char")
          == "InvalidMessageContents", "invalid characters")
    check(error_code(f.send_message, QueueUrl=u, MessageBody="x" * (1024 * 1024 + 1))
          == "InvalidParameterValue", "too large")
    eleven = {"a%d" % i: {"DataType": "String", "StringValue": "v"} for i in range(11)}
    check(error_code(f.send_message, QueueUrl=u, MessageBody="x", MessageAttributes=eleven)
          == "InvalidParameterValue", "too many attributes")
    check(error_code(f.receive_message, QueueUrl=u, MaxNumberOfMessages=11) == "InvalidParameterValue",
          "max messages")
    check(error_code(f.receive_message, QueueUrl=u, WaitTimeSeconds=21) == "InvalidParameterValue",
          "wait range")
    # A message of 1 MiB goes through.
    big = "b" * (1024 * 1024 - 10)
    f.send_message(QueueUrl=u, MessageBody=big)
    got = s.receive_message(QueueUrl=u)["Messages"][0]
    check(got["Body"] == big, "1 MiB message")
    s.delete_message(QueueUrl=u, ReceiptHandle=got["ReceiptHandle"])
    # 1 MiB of UTF-8 that JSON escapes to three times its size.
    wide = "é" * (512 * 1024 - 8)
    f.send_message(QueueUrl=u, MessageBody=wide)
    got = s.receive_message(QueueUrl=u)["Messages"][0]
    check(got["Body"] == wide, "1 MiB of non-ASCII text")
    s.delete_message(QueueUrl=u, ReceiptHandle=got["ReceiptHandle"])


def batches(s, f, u):
    entries = [{"Id": "m%d" % i, "MessageBody": "batch %d" % i} for i in range(10)]
    entries[3]["DelaySeconds"] = 901
    r = f.send_message_batch(QueueUrl=u, Entries=entries)
    check(len(r["Successful"]) == 9 and len(r["Failed"]) == 1 and r["Failed"][0]["Id"] == "m3", r["Failed"])
    check(error_code(f.send_message_batch, QueueUrl=u, Entries=[]) in
          ("AWS.SimpleQueueService.EmptyBatchRequest", "EmptyBatchRequest"), "empty batch")
    check(error_code(f.send_message_batch, QueueUrl=u,
                     Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}])
          == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "duplicate ids")
    check(error_code(f.send_message_batch, QueueUrl=u,
                     Entries=[{"Id": "m%d" % i, "MessageBody": "x"} for i in range(11)])
          == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "too many entries")
    seen = []
    while len(seen) < 9:
        got = s.receive_message(QueueUrl=u, MaxNumberOfMessages=10).get("Messages", [])
        check(got, "messages expected")
        seen += got
    d = f.change_message_visibility_batch(QueueUrl=u, Entries=[
        {"Id": "c%d" % i, "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 60}
        for i, m in enumerate(seen[:3])] + [{"Id": "bad", "ReceiptHandle": "x", "VisibilityTimeout": 1}])
    check(len(d["Successful"]) == 3 and d["Failed"][0]["Code"] == "ReceiptHandleIsInvalid", d)
    d = f.delete_message_batch(QueueUrl=u, Entries=[{"Id": "d%d" % i, "ReceiptHandle": m["ReceiptHandle"]}
                                                    for i, m in enumerate(seen)])
    check(len(d["Successful"]) == 9, d)
    a = s.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"]
    check(a["ApproximateNumberOfMessages"] == "0" and a["ApproximateNumberOfMessagesNotVisible"] == "0", a)


def fifo(s, f):
    u = s.create_queue(QueueName="ledger.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    check(error_code(f.send_message, QueueUrl=u, MessageBody="x", MessageGroupId="g")
          == "InvalidParameterValue", "dedup id or content-based dedup required")
    a = f.send_message(QueueUrl=u, MessageBody="a1", MessageGroupId="A", MessageDeduplicationId="1")
    dup = f.send_message(QueueUrl=u, MessageBody="a1", MessageGroupId="A", MessageDeduplicationId="1")
    check(a["MessageId"] == dup["MessageId"] and a["SequenceNumber"] == dup["SequenceNumber"], "dedup")
    f.send_message(QueueUrl=u, MessageBody="a2", MessageGroupId="A", MessageDeduplicationId="2")
    f.send_message(QueueUrl=u, MessageBody="b1", MessageGroupId="B", MessageDeduplicationId="3")
    first = s.receive_message(QueueUrl=u, MaxNumberOfMessages=1, AttributeNames=["All"])["Messages"][0]
    check(first["Body"] == "a1" and first["Attributes"]["MessageGroupId"] == "A", first)
    nxt = s.receive_message(QueueUrl=u, MaxNumberOfMessages=10)["Messages"]
    check([m["Body"] for m in nxt] == ["b1"], "group A locked while a1 is in flight")
    s.delete_message(QueueUrl=u, ReceiptHandle=first["ReceiptHandle"])
    nxt = s.receive_message(QueueUrl=u, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-1")["Messages"]
    check([m["Body"] for m in nxt] == ["a2"], nxt)
    # A retried receive with the same attempt id gets the same answer.
    again = f.receive_message(QueueUrl=u, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-1")["Messages"]
    check([m["ReceiptHandle"] for m in again] == [m["ReceiptHandle"] for m in nxt], "attempt id retry")
    c = s.create_queue(QueueName="content.fifo", Attributes={"FifoQueue": "true",
                                                              "ContentBasedDeduplication": "true"})["QueueUrl"]
    x = f.send_message(QueueUrl=c, MessageBody="same", MessageGroupId="g")
    y = f.send_message(QueueUrl=c, MessageBody="same", MessageGroupId="g")
    check(x["MessageId"] == y["MessageId"], "content-based dedup")


def dead_letters(s, f):
    dlq = s.create_queue(QueueName="dlq")["QueueUrl"]
    arn = s.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = s.create_queue(QueueName="work", Attributes={
        "RedrivePolicy": '{"deadLetterTargetArn":"%s","maxReceiveCount":"1"}' % arn,
        "VisibilityTimeout": "1"})["QueueUrl"]
    f.send_message(QueueUrl=src, MessageBody="poison")
    check(len(s.receive_message(QueueUrl=src)["Messages"]) == 1, "first receive")
    time.sleep(1.2)
    check("Messages" not in s.receive_message(QueueUrl=src), "moved on the receive that exceeds")
    moved = s.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"][0]
    check(moved["Body"] == "poison" and moved["Attributes"]["DeadLetterQueueSourceArn"].endswith(":work"), moved)
    srcs = f.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]
    check(len(srcs) == 1 and srcs[0].endswith("/work"), srcs)
    # Redrive it back with a message move task; a new leader would resume it.
    s.change_message_visibility(QueueUrl=dlq, ReceiptHandle=moved["ReceiptHandle"], VisibilityTimeout=0)
    handle = f.start_message_move_task(SourceArn=arn)["TaskHandle"]
    for _ in range(50):
        tasks = s.list_message_move_tasks(SourceArn=arn)["Results"]
        if tasks[0]["Status"] == "COMPLETED":
            break
        time.sleep(0.1)
    check(tasks[0]["Status"] == "COMPLETED" and tasks[0]["ApproximateNumberOfMessagesMoved"] == 1, tasks)
    back = s.receive_message(QueueUrl=src)["Messages"][0]
    check(back["Body"] == "poison", back)
    check(error_code(f.cancel_message_move_task, TaskHandle=handle) == "InvalidParameterValue",
          "cancel a finished task")
    check(error_code(f.start_message_move_task, SourceArn=arn.replace("dlq", "nope"))
          == "ResourceNotFoundException", "missing source")


def long_poll(s, f, u):
    # A parked receive on one node is woken by a send through another.
    out = {}

    def poll():
        t = time.time()
        out["r"] = s.receive_message(QueueUrl=u, WaitTimeSeconds=10)
        out["t"] = time.time() - t

    th = threading.Thread(target=poll)
    th.start()
    time.sleep(0.5)
    f.send_message(QueueUrl=u, MessageBody="wake up")
    th.join()
    check("Messages" in out["r"] and out["r"]["Messages"][0]["Body"] == "wake up", out)
    check(out["t"] < 2.0, "woken in %.2fs" % out["t"])
    s.delete_message(QueueUrl=u, ReceiptHandle=out["r"]["Messages"][0]["ReceiptHandle"])
    t = time.time()
    check("Messages" not in f.receive_message(QueueUrl=u, WaitTimeSeconds=1), "empty long poll")
    check(0.9 < time.time() - t < 3, "long poll waited its time")
    # A parked receive also wakes when a delayed message falls due.
    s.send_message(QueueUrl=u, MessageBody="later", DelaySeconds=2)
    t = time.time()
    r = f.receive_message(QueueUrl=u, WaitTimeSeconds=10)
    took = time.time() - t
    check("Messages" in r and r["Messages"][0]["Body"] == "later", r)
    check(1.5 < took < 4, "woken when the delayed message fell due, after %.2fs" % took)
    s.delete_message(QueueUrl=u, ReceiptHandle=r["Messages"][0]["ReceiptHandle"])


def purge(s, u):
    s.send_message(QueueUrl=u, MessageBody="to purge")
    s.purge_queue(QueueUrl=u)
    check("Messages" not in s.receive_message(QueueUrl=u), "purged")
    check(error_code(s.purge_queue, QueueUrl=u) == "AWS.SimpleQueueService.PurgeQueueInProgress",
          "purge limit")


def auth(node):
    check(error_code(client(node, secret="wrong").list_queues) == "SignatureDoesNotMatch", "bad signature")
    check(error_code(client(node, key="nobody").list_queues) == "InvalidClientTokenId", "unknown key")
    other = client(node, key="AKIDOTHER", secret="secretother")
    check("QueueUrls" not in other.list_queues(), "accounts are separate")


def body(c):
    leader = c.start()
    follower = next(n for n in c.nodes if n is not leader)
    s, f = client(leader), client(follower)
    u = queues(s, f)
    messages(s, f, u)
    batches(s, f, u)
    fifo(s, f)
    dead_letters(s, f)
    long_poll(s, f, u)
    purge(s, u)
    auth(follower)
    sts = c.wait_converged()
    check(len({st["digest"] for st in sts}) == 1, "replicas agree")
    # An idle cluster writes nothing: once the work in flight settled
    # (the last timer batch, an election's own entry on a loaded
    # machine), the log must not grow.
    settled = False
    for _ in range(10):
        st = leader.status()
        time.sleep(2)
        after = leader.status()
        if after["last_index"] == st["last_index"]:
            settled = True
            break
    check(settled, "the log kept growing on an idle cluster: %d -> %d"
          % (st["last_index"], after["last_index"]))


def main():
    run_cluster_test(body, check)


if __name__ == "__main__":
    main()
