"""Workloads through the real AWS SDK (boto3). Each workload owns its queue,
its client threads and its checker:

    setup(cluster)           create what it needs (retries through faults)
    threads(stop, drain)     client loops; producers stop at `stop`,
                             consumers go on until `drain` is set
    drained()                True when everything acknowledged has been
                             received and the queue is empty
    check(ops)               checker.Result on this workload's operations

Registered in WORKLOADS by name. SNS -> SQS fan-out goes here as "sns" once
SNS exists: a publisher thread records publish operations (invoke/ok/
fail/unknown), one consumer set per subscribed queue records receives and
deletes, and the check is check_queue() per subscription (every
acknowledged publish delivered to every queue, no unexpected message,
duplicates only after a visibility timeout).
"""
import hashlib
import random
import threading
import time

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from . import checker
from .cluster import ACCESS_KEY, SECRET_KEY, API_PORT

ACCOUNT = "000000000000"


def client(url, attempts):
    cfg = Config(connect_timeout=1, read_timeout=5,
                 retries={"total_max_attempts": attempts, "mode": "standard"},
                 max_pool_connections=2)
    return boto3.session.Session().client(
        "sqs", endpoint_url=url, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=cfg)


def outcome(e, retried):
    """Classifies an SDK exception: ("fail"|"unknown", detail). A request
    that never reached a node (connect failed, no SDK retry) failed; a 4xx
    answer to the only attempt failed; everything else may have taken
    effect."""
    if isinstance(e, ClientError):
        meta = e.response.get("ResponseMetadata", {})
        status = meta.get("HTTPStatusCode", 0)
        code = e.response.get("Error", {}).get("Code", "")
        definite = 400 <= status < 500 and not retried and meta.get("RetryAttempts", 0) == 0
        return ("fail" if definite else "unknown"), "%s %s" % (status, code)
    if isinstance(e, (ConnectTimeoutError, EndpointConnectionError)) and not retried:
        return "fail", type(e).__name__
    return "unknown", type(e).__name__


def receipt_key(rh):
    return hashlib.sha1(rh.encode()).hexdigest()[:20]


class Endpoint:
    """A client bound to one node; moves to the next node after failures
    (as a client behind a load balancer would)."""

    def __init__(self, cluster, start, attempts):
        self.cluster = cluster
        self.i = start
        self.attempts = attempts
        self.fails = 0
        self._bind()

    def _bind(self):
        nodes = sorted(self.cluster.nodes.values(), key=lambda n: n.id)
        n = nodes[self.i % len(nodes)]
        self.node = n.id
        self.url = n.url
        self.sqs = client(n.url, self.attempts)

    def queue_url(self, name):
        return "%s/%s/%s" % (self.url, ACCOUNT, name)

    def failed(self):
        self.fails += 1
        if self.fails >= 2:
            self.fails = 0
            self.i += 1
            self._bind()

    def succeeded(self):
        self.fails = 0


class QueueWorkload:
    """SQS standard (fifo=False) or FIFO (fifo=True)."""

    def __init__(self, rec, cluster, rng, fifo, producers, consumers, visibility_s=8,
                 groups_per_producer=2, pace_s=0.02):
        self.rec = rec
        self.cluster = cluster
        self.rng = rng
        self.fifo = fifo
        self.name = "fifo" if fifo else "sqs"
        self.queue = "jepsen-fifo.fifo" if fifo else "jepsen-std"
        self.producers = producers
        self.consumers = consumers
        self.visibility_s = visibility_s
        self.groups_per_producer = groups_per_producer
        self.pace_s = pace_s
        self.last_counts = None  # the queue's counts at the last drain check
        self.acked = set()       # bodies whose send was acknowledged
        self.seen = set()        # bodies received at least once
        self.lock = threading.Lock()

    def setup(self):
        attrs = {"VisibilityTimeout": str(self.visibility_s)}
        if self.fifo:
            attrs["FifoQueue"] = "true"
        deadline = time.monotonic() + 120
        while True:
            ep = Endpoint(self.cluster, 0, 3)
            try:
                ep.sqs.create_queue(QueueName=self.queue, Attributes=attrs)
                return
            except (ClientError, botocore.exceptions.BotoCoreError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def threads(self, stop, drain):
        out = []
        for i in range(self.producers):
            fn = self._fifo_producer if self.fifo else self._producer
            out.append(threading.Thread(target=fn, args=("%s-p%d" % (self.name, i), i, stop),
                                        daemon=True))
        for i in range(self.consumers):
            out.append(threading.Thread(target=self._consumer,
                                        args=("%s-c%d" % (self.name, i), i, drain), daemon=True))
        return out

    # --- producers -----------------------------------------------------------
    def _send(self, ep, proc, value, retried, **kw):
        op = self.rec.invoke(self.name, "send", proc, ep.node, value)
        try:
            resp = ep.sqs.send_message(QueueUrl=ep.queue_url(self.queue),
                                       MessageBody=value["body"], **kw)
        except (ClientError, botocore.exceptions.BotoCoreError) as e:
            kind, detail = outcome(e, retried)
            self.rec.complete(op, kind, self.name, "send", proc, ep.node, value, error=detail)
            ep.failed()
            return False
        attempts = resp["ResponseMetadata"].get("RetryAttempts", 0)
        self.rec.complete(op, "ok", self.name, "send", proc, ep.node,
                          {"body": value["body"], "mid": resp["MessageId"]}, retries=attempts)
        ep.succeeded()
        with self.lock:
            self.acked.add(value["body"])
        return True

    def _producer(self, proc, i, stop):
        # No SDK retries: a standard send carries no deduplication id, so a
        # retried send could legitimately be stored twice.
        ep = Endpoint(self.cluster, i, 1)
        k = 0
        while not stop.is_set():
            k += 1
            self._send(ep, proc, {"body": "%s-%d" % (proc, k)}, False)
            time.sleep(self.pace_s)

    def _fifo_producer(self, proc, i, stop):
        # SDK retries (3 attempts) and our own retries reuse the dedup id, so
        # a retry within the 5-minute window cannot store a second copy. Each
        # group's next message waits for the previous one's acknowledgement,
        # so send order is well defined.
        ep = Endpoint(self.cluster, i, 3)
        groups = ["g%d-%d" % (i, j) for j in range(self.groups_per_producer)]
        seq = {g: 0 for g in groups}
        while not stop.is_set():
            for g in groups:
                seq[g] += 1
                body = "%s:%d" % (g, seq[g])
                value = {"body": body, "group": g, "seq": seq[g], "dedup": body}
                first = time.monotonic()
                attempt = 0
                while True:
                    ok = self._send(ep, proc, dict(value, attempt=attempt), True,
                                    MessageGroupId=g, MessageDeduplicationId=body)
                    attempt += 1
                    # Give up well inside the dedup window (or at the end of
                    # the run): the message's fate then stays unknown.
                    if ok or time.monotonic() - first > 240 or (stop.is_set() and attempt > 3):
                        break
                    time.sleep(0.2)
                time.sleep(self.pace_s)

    # --- consumers -----------------------------------------------------------
    def _consumer(self, proc, i, drain):
        ep = Endpoint(self.cluster, i + 1, 1)
        while not drain.is_set():
            url = ep.queue_url(self.queue)
            op = self.rec.invoke(self.name, "receive", proc, ep.node, {})
            try:
                resp = ep.sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                    VisibilityTimeout=self.visibility_s,
                    AttributeNames=["All"] if self.fifo else [])
            except (ClientError, botocore.exceptions.BotoCoreError) as e:
                kind, detail = outcome(e, False)
                self.rec.complete(op, kind, self.name, "receive", proc, ep.node, None,
                                  error=detail)
                ep.failed()
                time.sleep(0.1)
                continue
            ep.succeeded()
            msgs = []
            for m in resp.get("Messages", []):
                d = {"body": m["Body"], "mid": m["MessageId"], "rh": receipt_key(m["ReceiptHandle"])}
                if self.fifo:
                    d["group"] = m["Attributes"]["MessageGroupId"]
                    d["seq"] = int(m["Body"].rpartition(":")[2])
                msgs.append((d, m["ReceiptHandle"]))
            self.rec.complete(op, "ok", self.name, "receive", proc, ep.node,
                              {"msgs": [d for d, _ in msgs]})
            with self.lock:
                self.seen.update(d["body"] for d, _ in msgs)
            for d, rh in msgs:
                dop = self.rec.invoke(self.name, "delete", proc, ep.node,
                                      {"body": d["body"], "mid": d["mid"], "rh": d["rh"]})
                try:
                    ep.sqs.delete_message(QueueUrl=url, ReceiptHandle=rh)
                    self.rec.complete(dop, "ok", self.name, "delete", proc, ep.node, None)
                except (ClientError, botocore.exceptions.BotoCoreError) as e:
                    kind, detail = outcome(e, False)
                    self.rec.complete(dop, kind, self.name, "delete", proc, ep.node, None,
                                      error=detail)
                    ep.failed()
                    break
            if not msgs:
                time.sleep(self.pace_s)

    # --- drain and check -----------------------------------------------------
    def pending(self):
        """Acknowledged bodies not received yet."""
        with self.lock:
            return len(self.acked - self.seen)

    def queue_empty(self):
        """True when the queue reports no message at all, asked of each node
        in turn until one answers; the counts (or the errors) are kept in
        last_counts for the report."""
        errors = {}
        for i in range(len(self.cluster.nodes)):
            ep = Endpoint(self.cluster, i, 1)
            try:
                a = ep.sqs.get_queue_attributes(
                    QueueUrl=ep.queue_url(self.queue),
                    AttributeNames=["ApproximateNumberOfMessages",
                                    "ApproximateNumberOfMessagesNotVisible",
                                    "ApproximateNumberOfMessagesDelayed"])["Attributes"]
            except (ClientError, botocore.exceptions.BotoCoreError) as e:
                errors[ep.node] = str(e)[:200]
                continue
            self.last_counts = {k: int(v) for k, v in a.items()}
            if errors:
                self.last_counts["errors_from_other_nodes"] = errors
            return all(int(v) == 0 for k, v in a.items())
        self.last_counts = {"errors": errors}
        return False

    def check(self, ops):
        return checker.check_queue([o for o in ops if o["wl"] == self.name],
                                   self.visibility_s, self.fifo)


WORKLOADS = {
    "sqs": lambda rec, c, rng, pace: QueueWorkload(rec, c, rng, False, producers=2, consumers=2,
                                                   pace_s=pace),
    "fifo": lambda rec, c, rng, pace: QueueWorkload(rec, c, rng, True, producers=2, consumers=2,
                                                    pace_s=pace),
    # "sns": SNS -> SQS fan-out, when SNS lands (see the module docstring).
}
