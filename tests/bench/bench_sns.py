#!/usr/bin/env python3
"""SNS publish throughput and publish->receive latency of a 3-node durable
Sluice cluster, fanning out to SQS queues in the cluster.

    python3 tests/bench/bench_sns.py [--seconds 5] [--clients 16] [--subs 1,10,100]

For each subscription count (a fresh cluster each: tests/integration/
cluster.py, fsync'd Raft log, RocksDB, SigV4), one topic fans out to that
many standard queues with enveloped (signed) delivery:
  - Publish throughput without filter policies, then on a second topic whose
    subscriptions all have a filter policy the messages match (the same
    deliveries, plus the filtering); every message carries the one String
    attribute the policy looks at, in both cases; measured with
    tests/bench/sqs_load.c
    (op=publish: awsQuery, SigV4 per request, closed loop, clients on the
    leader);
  - end-to-end latency: one publisher and one long-polling receiver (boto3,
    one queue of the topic), the time from just before Publish to the
    message's arrival, at a paced rate;
  - per node, how many Raft entries took over 50 and over 100 ms to apply
    (sluice_fsm_apply_seconds from /metrics, over all the cases): a wide
    fan-out must not hold the nodes' event loops.
Prints one Markdown table; progress goes to stderr. Every loop is bounded.
"""
import argparse
import json
import os
import re
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from bench_sqs import build_load, cpu_model, git_head, loadavg, log, run_load  # noqa: E402
from cluster import Cluster  # noqa: E402

FILTER = {"kind": ["match", "other"], "size": [{"numeric": [">=", 0]}, {"exists": False}]}


def clients_for(url):
    import boto3
    from botocore.config import Config
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
              aws_secret_access_key="test",
              config=Config(retries={"max_attempts": 8, "mode": "standard"},
                            max_pool_connections=32))
    return boto3.client("sns", **kw), boto3.client("sqs", **kw)


def topology(sns, sqs, name, n, filtered):
    topic = sns.create_topic(Name=name)["TopicArn"]
    urls = []
    for i in range(n):
        url = sqs.create_queue(QueueName="%s-q%d" % (name, i))["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        attrs = {"FilterPolicy": json.dumps(FILTER)} if filtered else {}
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attrs)
        urls.append(url)
    return topic, urls


def throughput(leader, topic, a):
    args = {"mode": "sqs", "op": "publish", "targets": leader.api_addr, "topic": topic,
            "clients": a.clients, "seconds": a.seconds, "warmup": a.warmup, "size": a.size,
            "attr": "match"}
    return run_load(args, timeout=a.seconds + a.warmup + 60)


def latency(sns, sqs, topic, url, a):
    """Publishes a.latency_count messages at a.latency_rate per second; a
    receiver long-polls the queue. Returns the sorted latencies in ms."""
    sent, got, done = {}, {}, threading.Event()

    def receive():
        deadline = time.time() + a.latency_count / a.latency_rate + 30
        while len(got) < a.latency_count and time.time() < deadline:
            r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5)
            now = time.time()
            msgs = r.get("Messages", [])
            for m in msgs:
                key = json.loads(m["Body"])["Message"]
                got.setdefault(key, now)
            if msgs:
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(msgs)])
        done.set()

    th = threading.Thread(target=receive)
    th.start()
    time.sleep(1)
    start = time.time()
    for i in range(a.latency_count):
        target = start + i / a.latency_rate
        time.sleep(max(0, target - time.time()))
        key = "lat-%d" % i
        sent[key] = time.time()
        sns.publish(TopicArn=topic, Message=key)
    done.wait(a.latency_count / a.latency_rate + 40)
    th.join(5)
    lats = sorted((got[k] - sent[k]) * 1000 for k in sent if k in got)
    return lats, len(sent) - len(lats)


def slow_applies(c):
    """Per node: (entries applied, over 50 ms, over 100 ms)."""
    out = []
    for n in c.nodes:
        txt = urllib.request.urlopen(n.url + "/metrics", timeout=10).read().decode()
        le = {m.group(1): int(m.group(2)) for m in re.finditer(
            r'sluice_fsm_apply_seconds_bucket\{[^}]*le="([^"]+)"\} (\d+)', txt)}
        total = le["+Inf"]
        out.append((total, total - le["0.05"], total - le["0.1"]))
    return out


def pct(xs, p):
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def drain_all(sqs, urls):
    """Purges the queues between cases so the next one starts alike."""
    for url in urls:
        sqs.purge_queue(QueueUrl=url)


def bench(a):
    rows = []
    for n in a.subs:
        log("== %d subscription(s)" % n)
        c = Cluster(3)
        try:
            leader = c.start()
            sns, sqs = clients_for(leader.url)
            plain, urls = topology(sns, sqs, "plain", n, False)
            filt, furls = topology(sns, sqs, "filtered", n, True)
            for name, topic in (("no filter", plain), ("filter policy", filt)):
                res = throughput(leader, topic, a)
                log("  %-13s %8.0f publish/s (%8.0f deliveries/s) p50 %7.2f ms p99 %7.2f ms "
                    "errors %d" % (name, res["ops_per_s"], res["ops_per_s"] * n, res["p50_ms"],
                                   res["p99_ms"], res["errors"] + res["unanswered"]))
                rows.append({"subs": n, "case": name, "publish_per_s": res["ops_per_s"],
                             "deliveries_per_s": res["ops_per_s"] * n, "p50": res["p50_ms"],
                             "p99": res["p99_ms"], "errors": res["errors"] + res["unanswered"]})
            drain_all(sqs, urls + furls)
            lats, lost = latency(sns, sqs, plain, urls[0], a)
            log("  end-to-end    p50 %7.2f ms p90 %7.2f ms p99 %7.2f ms max %7.2f ms lost %d" % (
                pct(lats, 0.5), pct(lats, 0.9), pct(lats, 0.99), lats[-1] if lats else 0, lost))
            rows.append({"subs": n, "case": "publish->receive", "p50": pct(lats, 0.5),
                         "p90": pct(lats, 0.9), "p99": pct(lats, 0.99), "lost": lost,
                         "samples": len(lats)})
            slow = slow_applies(c)
            log("  entries applied / over 50 ms / over 100 ms, per node: " +
                ", ".join("%d/%d/%d" % s for s in slow))
            rows.append({"subs": n, "case": "slow applies", "nodes": slow})
        except BaseException:
            c.dump_logs(20)
            raise
        finally:
            c.cleanup()
    return rows


def report(a, rows, started, load_before):
    out = ["| subscriptions | case | publishes/s | deliveries/s | p50 ms | p99 ms |",
           "|---|---|---|---|---|---|"]
    slow = []
    for r in rows:
        if r["case"] == "slow applies":
            slow.append("%d subscriptions: %s" % (r["subs"], ", ".join(
                "%d/%d" % (s[1], s[2]) for s in r["nodes"])))
        elif r["case"] == "publish->receive":
            out.append("| %d | publish -> receive (%d at %g/s, long poll) | | | %.1f | %.1f |" % (
                r["subs"], r["samples"], a.latency_rate, r["p50"], r["p99"]))
        else:
            out.append("| %d | Publish, %s | %.0f | %.0f | %.1f | %.1f |" % (
                r["subs"], r["case"], r["publish_per_s"], r["deliveries_per_s"], r["p50"],
                r["p99"]))
    out.append("")
    out.append("Raft entries whose apply took over 50 / over 100 ms, per node: " +
               "; ".join(slow) + ".")
    out.append("")
    out.append("%d clients on the leader, %g s per case after %g s warm-up, %d-byte messages "
               "with one attribute, enveloped delivery. Machine: %d CPUs (%s), load %s before, %s after; run took "
               "%.0f s; commit %s." % (a.clients, a.seconds, a.warmup, a.size, os.cpu_count(),
                                       cpu_model(), load_before, loadavg(),
                                       time.time() - started, git_head()))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5, help="measured seconds per case")
    ap.add_argument("--warmup", type=float, default=1, help="unmeasured seconds before each case")
    ap.add_argument("--clients", type=int, default=16, help="concurrent publishers")
    ap.add_argument("--subs", default="1,10,100", help="subscription counts")
    ap.add_argument("--size", type=int, default=100, help="message bytes")
    ap.add_argument("--latency-count", type=int, default=200, help="messages of the latency case")
    ap.add_argument("--latency-rate", type=float, default=20, help="their rate per second")
    ap.add_argument("--json", help="also write the rows to this file")
    a = ap.parse_args()
    a.subs = [int(x) for x in a.subs.split(",")]
    started, load_before = time.time(), loadavg()
    build_load()
    rows = bench(a)
    print(report(a, rows, started, load_before))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
