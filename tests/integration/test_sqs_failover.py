"""kill -9 of the leader during an SQS producer/consumer run (standard and
FIFO queues, clients spread over all nodes), then restart and drain:
- no acknowledged message is lost;
- FIFO order per group is kept;
- no FIFO message is delivered twice (all within the dedup window);
- no message has two holders inside one visibility timeout."""
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import boto3  # noqa: E402
import botocore  # noqa: E402
from botocore.config import Config  # noqa: E402
from cluster import Checks, run_cluster_test  # noqa: E402

VT = 15
RUN_S = 12
check = Checks()


def client(node):
    return boto3.client("sqs", endpoint_url=node.url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, connect_timeout=2,
                                      read_timeout=25))


class Run:
    def __init__(self, cluster, urls):
        self.c = cluster
        self.urls = urls  # queue name -> path "/000000000000/name"
        self.lock = threading.Lock()
        self.acked = {"std": set(), "fifo": set()}
        self.deliveries = []  # (queue, body, message id, time)
        self.stop = False
        self.errors = 0

    def some_client(self):
        live = [n for n in self.c.nodes if n.alive()]
        return client(random.choice(live)), random.choice(live)

    def url(self, node, q):
        return node.url + self.urls[q]

    def producer(self, q, tag):
        seq = 0
        group = "g%d" % tag
        while not self.stop:
            body = "%s-%d" % (group, seq)
            # Retry the same message until acknowledged: FIFO dedup makes the
            # retries safe; a standard queue may then hold a duplicate.
            while not self.stop:
                s, node = self.some_client()
                try:
                    kw = {"QueueUrl": self.url(node, q), "MessageBody": body}
                    if q == "fifo":
                        kw.update(MessageGroupId=group, MessageDeduplicationId=body)
                    s.send_message(**kw)
                    with self.lock:
                        self.acked[q].add(body)
                    break
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
                    with self.lock:
                        self.errors += 1
                    time.sleep(0.05)
            seq += 1

    def consumer(self, q):
        while not self.stop:
            s, node = self.some_client()
            try:
                r = s.receive_message(QueueUrl=self.url(node, q), MaxNumberOfMessages=10,
                                      VisibilityTimeout=VT, WaitTimeSeconds=1)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
                time.sleep(0.05)
                continue
            now = time.time()
            msgs = r.get("Messages", [])
            with self.lock:
                for m in msgs:
                    self.deliveries.append((q, m["Body"], m["MessageId"], now))
            if msgs:
                try:
                    s.delete_message_batch(QueueUrl=self.url(node, q), Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
                    pass  # redelivered after the visibility timeout


def body(c):
    leader = c.start()
    s = client(leader)
    s.create_queue(QueueName="std")
    s.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true"})
    run = Run(c, {"std": "/000000000000/std", "fifo": "/000000000000/events.fifo"})
    threads = [threading.Thread(target=run.producer, args=("std", 0)),
               threading.Thread(target=run.producer, args=("fifo", 1)),
               threading.Thread(target=run.producer, args=("fifo", 2)),
               threading.Thread(target=run.consumer, args=("std",)),
               threading.Thread(target=run.consumer, args=("fifo",))]
    for t in threads:
        t.start()
    time.sleep(RUN_S / 3)
    victim = c.wait_leader()
    victim.kill(signal.SIGKILL)
    killed_at = time.time()
    c.wait_leader(timeout=10)
    print("new leader after %.2fs" % (time.time() - killed_at))
    time.sleep(RUN_S / 3)
    victim.start()
    time.sleep(RUN_S / 3)
    run.stop = True
    for t in threads:
        t.join(timeout=60)
    # Drain: everything acknowledged must arrive, redeliveries included.
    run.stop = False
    drainers = [threading.Thread(target=run.consumer, args=(q,)) for q in ("std", "fifo")]
    for t in drainers:
        t.start()
    deadline = time.time() + VT * 3
    while time.time() < deadline:
        with run.lock:
            got = {(q, b) for q, b, _, _ in run.deliveries}
        if all((q, b) in got for q in ("std", "fifo") for b in run.acked[q]):
            break
        time.sleep(0.5)
    run.stop = True
    for t in drainers:
        t.join(timeout=30)

    got = {(q, b) for q, b, _, _ in run.deliveries}
    for q in ("std", "fifo"):
        lost = [b for b in run.acked[q] if (q, b) not in got]
        check(not lost, "%s: %d acknowledged messages lost: %s" % (q, len(lost), lost[:5]))
    # Two holders of one message inside its visibility timeout. A standard
    # queue may hold two messages with one body (a send retried after an
    # unknown outcome), each delivered on its own; a FIFO queue may not.
    seen, bodies = {}, {}
    for q, b, mid, t in run.deliveries:
        if (q, mid) in seen:
            check(t - seen[(q, mid)] >= VT - 1,
                  "%s %s (%s) delivered twice within the visibility timeout" % (q, b, mid))
        seen[(q, mid)] = t
        if q == "fifo" and b in bodies:
            check(t - bodies[b] >= VT - 1, "FIFO duplicate %s" % b)
        bodies[b] = t
    # FIFO order per group: first deliveries in send order.
    order = {}
    for q, b, _, t in run.deliveries:
        if q != "fifo":
            continue
        g, n = b.rsplit("-", 1)
        if int(n) in order.setdefault(g, []):
            continue
        order[g].append(int(n))
    for g, seqs in order.items():
        check(seqs == sorted(seqs), "group %s out of order: %s" % (g, seqs[:20]))
    sts = c.wait_converged()
    check(len({st["digest"] for st in sts}) == 1, "replicas differ after the run")
    print("acknowledged: %d standard, %d FIFO; deliveries %d; client errors during failover %d"
          % (len(run.acked["std"]), len(run.acked["fifo"]), len(run.deliveries), run.errors))


def main():
    run_cluster_test(body, check, tail=20)


if __name__ == "__main__":
    main()
