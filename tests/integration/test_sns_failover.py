"""kill -9 of the leader during an SNS publish stream with SQS and HTTP
subscribers (publishers spread over all nodes), then restart and drain:
- every acknowledged publish reaches every matching SQS subscription
  exactly once (envelope and raw, one with a filter policy), and no
  non-matching one;
- every acknowledged publish reaches the HTTP subscriber at least once,
  signed and verifiable, although the leader that was delivering died."""
import base64
import json
import os
import random
import signal
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(__file__))
import boto3  # noqa: E402
import botocore  # noqa: E402
from botocore.config import Config  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from cluster import Checks, run_cluster_test  # noqa: E402

RUN_S = 10
check = Checks()


def client(node, service="sns", attempts=1):
    return boto3.client(service, endpoint_url=node.url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": attempts}, connect_timeout=2,
                                      read_timeout=20))


class Receiver:
    """Answers 200 to every POST and keeps the parsed bodies."""

    def __init__(self):
        self.lock = threading.Lock()
        self.bodies = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of_type(self, t):
        with self.lock:
            return [b for b in self.bodies if b.get("Type") == t]


def verify(m):
    with urllib.request.urlopen(m["SigningCertURL"], timeout=10) as r:
        cert = x509.load_pem_x509_certificate(r.read())
    keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    sts = "".join("%s\n%s\n" % (k, m[k]) for k in keys if k in m).encode()
    cert.public_key().verify(base64.b64decode(m["Signature"]), sts, padding.PKCS1v15(),
                             hashes.SHA1())


class Run:
    def __init__(self, cluster, topic):
        self.c = cluster
        self.topic = topic
        self.lock = threading.Lock()
        self.acked = {}  # SNS MessageId -> (body, parity)
        self.errors = 0
        self.stop = False

    def publisher(self, tag):
        seq = 0
        while not self.stop:
            node = random.choice([n for n in self.c.nodes if n.alive()])
            parity = "even" if seq % 2 == 0 else "odd"
            body = "p%d-%d-%d" % (tag, seq, random.randrange(1 << 30))
            try:
                mid = client(node).publish(
                    TopicArn=self.topic, Message=body,
                    MessageAttributes={"parity": {"DataType": "String",
                                                  "StringValue": parity}})["MessageId"]
                with self.lock:
                    self.acked[mid] = (body, parity)
                seq += 1
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
                # Not acknowledged: it may or may not have been published.
                # Publish the next one (a fresh body) instead.
                with self.lock:
                    self.errors += 1
                seq += 1
                time.sleep(0.05)


def drain(sqs, url, quiet_s=3):
    out = []
    quiet_since = time.time()
    while time.time() - quiet_since < quiet_s:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        msgs = r.get("Messages", [])
        if msgs:
            quiet_since = time.time()
            out.extend(m["Body"] for m in msgs)
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
    return out


def body(c):
    rx = Receiver()
    try:
        leader = c.start()
        sns, sqs = client(leader, attempts=8), client(leader, "sqs", attempts=8)
        topic = sns.create_topic(Name="stream")["TopicArn"]
        queues = {}
        for name in ("all", "even"):
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            queues[name] = url
            attrs = {}
            if name == "even":
                attrs = {"RawMessageDelivery": "true",
                         "FilterPolicy": json.dumps({"parity": ["even"]})}
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"],
                          Attributes=attrs)
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=rx.url)
        deadline = time.time() + 20
        while not rx.of_type("SubscriptionConfirmation") and time.time() < deadline:
            time.sleep(0.1)
        conf = rx.of_type("SubscriptionConfirmation")
        check(len(conf) >= 1, "confirmation request")
        urllib.request.urlopen(conf[0]["SubscribeURL"], timeout=10).read()

        run = Run(c, topic)
        threads = [threading.Thread(target=run.publisher, args=(t,)) for t in range(3)]
        for t in threads:
            t.start()
        time.sleep(RUN_S * 0.3)
        victim = c.wait_leader()
        victim.kill(signal.SIGKILL)
        c.wait_leader(timeout=20, exclude=(victim.id,))
        time.sleep(RUN_S * 0.4)
        victim.start()
        time.sleep(RUN_S * 0.3)
        run.stop = True
        for t in threads:
            t.join()
        acked = dict(run.acked)
        check(len(acked) > 50, "published %d (errors %d)" % (len(acked), run.errors))

        leader = c.wait_leader()
        sqs = client(leader, "sqs", attempts=8)
        all_bodies = drain(sqs, queues["all"])
        even_bodies = drain(sqs, queues["even"])

        # Exactly once per acknowledged publish, by SNS MessageId.
        ids = [json.loads(b)["MessageId"] for b in all_bodies]
        counts = {}
        for i in ids:
            counts[i] = counts.get(i, 0) + 1
        missing = [m for m in acked if counts.get(m, 0) == 0]
        twice = [m for m in acked if counts.get(m, 0) > 1]
        check(not missing, "acknowledged publishes missing from 'all': %d" % len(missing))
        check(not twice, "acknowledged publishes twice in 'all': %d" % len(twice))
        # The raw, filtered subscription: the even ones, once each.
        ecount = {}
        for b in even_bodies:
            ecount[b] = ecount.get(b, 0) + 1
        want_even = [b for b, p in acked.values() if p == "even"]
        check(all(ecount.get(b, 0) == 1 for b in want_even), "even queue: exactly once")
        by_body = {b: p for b, p in acked.values()}
        check(not [b for b in even_bodies if by_body.get(b) == "odd"], "filter respected")

        # HTTP: at least once each, though its deliverer was killed.
        deadline = time.time() + 60
        while time.time() < deadline:
            got = {b["MessageId"] for b in rx.of_type("Notification")}
            if all(m in got for m in acked):
                break
            time.sleep(0.5)
        got = rx.of_type("Notification")
        got_ids = {b["MessageId"] for b in got}
        lost = [m for m in acked if m not in got_ids]
        check(not lost, "acknowledged publishes never delivered over HTTP: %d" % len(lost))
        for b in random.sample(got, 5):
            verify(b)
        print("published %d, %d publish errors, %d HTTP deliveries (%d duplicates)"
              % (len(acked), run.errors, len(got), len(got) - len(got_ids)))
        sts = c.wait_converged()
        check(len({st["digest"] for st in sts}) == 1, "replicas agree")
    finally:
        rx.server.shutdown()


def main():
    run_cluster_test(body, check)


if __name__ == "__main__":
    main()
