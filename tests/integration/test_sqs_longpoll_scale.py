"""A thousand long polls parked on the leader cost no measurable CPU, and a
send wakes one of them within milliseconds."""
import json
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import boto3  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from cluster import Cluster  # noqa: E402

POLLS = 1000
checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


def signed_receive(node, queue_url, wait):
    body = json.dumps({"QueueUrl": queue_url, "WaitTimeSeconds": wait, "MaxNumberOfMessages": 1})
    req = AWSRequest(method="POST", url=node.url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ReceiveMessage"})
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(req)
    head = "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n" % (node.api_addr, len(body))
    for k, v in req.headers.items():
        if k.lower() not in ("host", "content-length"):
            head += "%s: %s\r\n" % (k, v)
    return (head + "\r\n" + body).encode()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    c = Cluster(3)
    socks = []
    try:
        leader = c.start()
        sqs = boto3.client("sqs", endpoint_url=leader.url, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        url = sqs.create_queue(QueueName="parked")["QueueUrl"]
        for _ in range(POLLS):
            s = socket.create_connection(("127.0.0.1", int(leader.api_addr.rsplit(":", 1)[1])))
            s.sendall(signed_receive(leader, url, 15))
            socks.append(s)
        time.sleep(1.0)  # all parked
        commit = leader.status()["commit_index"]
        before = cpu_seconds(leader.proc.pid)
        time.sleep(3.0)
        used = cpu_seconds(leader.proc.pid) - before
        print("leader CPU with %d parked polls: %.3f s over 3 s" % (POLLS, used))
        check(used < 0.15, "parked polls used %.3f s of CPU in 3 s" % used)
        check(leader.status()["commit_index"] == commit, "parked polls wrote entries")
        t0 = time.time()
        sqs.send_message(QueueUrl=url, MessageBody="one for one")
        acked = time.time() - t0
        woken = None
        while woken is None and time.time() - t0 < 5:
            ready, _, _ = select.select(socks, [], [], 0.5)
            for s in ready:
                data = s.recv(65536)
                if b"one for one" in data:
                    woken = time.time() - t0
        check(woken is not None and woken < 0.5, "a parked poll was woken in %s s" % woken)
        print("send acknowledged after %.1f ms; the poll answered %.1f ms after the send began"
              % (acked * 1000, woken * 1000))
    except BaseException:
        c.dump_logs(10)
        raise
    finally:
        for s in socks:
            s.close()
        c.cleanup()
    print(f"{checks} passed, 0 failed")


if __name__ == "__main__":
    main()
