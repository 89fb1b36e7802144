#!/usr/bin/env python3
"""Gateway overhead: h2load against cheap requests on a 1-node and a 3-node
cluster, over HTTP/1.1 (h2load --h1) and HTTP/2 (h2c, prior knowledge), at
several concurrencies, side by side with nghttpd (nghttp2's own HTTP/2
server, serving a static file) as the reference.

    python3 tests/bench/bench_gateway.py [--seconds 2] [--levels 1,16,64]

Targets, cheapest first:
  health      GET /health: the HTTP server and the admin router, nothing else
  ping        POST /admin/ping (16-byte body): a replicated write (Raft commit,
              fsync'd log, RocksDB apply), on the leader
  sqs         POST / AmazonSQS.ListQueues (awsJson), SigV4-signed: signature
              check, codec, registry, and the read barrier SQS reads take
              (one Raft round); the signature is made once and replayed, which
              SigV4 allows for 15 minutes
  sqs-fwd     the same sent to a follower (3-node only): forwarded to the
              leader over the follower's pooled HTTP/2 connection
Each run: h2load -c N -m 1 (N connections, one request at a time on each),
one h2load thread, --warm-up-time 0.5s, then --seconds of measurement;
percentiles come from h2load's per-request --log-file. Every process (the
nodes and h2load) shares the machine's cores. Prints a Markdown table.
"""
import argparse
import datetime
import hashlib
import hmac
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from cluster import Cluster, free_ports  # noqa: E402


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def signed_headers(url, body):
    """SigV4 headers for AmazonSQS.ListQueues at url (key test/test)."""
    host = url.split("://", 1)[1].rstrip("/")
    now = datetime.datetime.now(datetime.timezone.utc)
    amz = now.strftime("%Y%m%dT%H%M%SZ")
    h = {"content-type": "application/x-amz-json-1.0", "host": host, "x-amz-date": amz,
         "x-amz-target": "AmazonSQS.ListQueues"}
    signed = ";".join(sorted(h))
    creq = "\n".join(["POST", "/", "", "".join(f"{k}:{h[k]}\n" for k in sorted(h)), signed,
                      hashlib.sha256(body).hexdigest()])
    scope = f"{amz[:8]}/us-east-1/sqs/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(creq.encode()).hexdigest()])
    k = b"AWS4test"
    for part in (amz[:8], "us-east-1", "sqs", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = f"AWS4-HMAC-SHA256 Credential=test/{scope}, SignedHeaders={signed}, Signature={sig}"
    del h["host"]
    return h


def h2load(url, proto, conns, seconds, tmp, body=None, headers=None):
    logf = os.path.join(tmp, "h2load.log")
    if os.path.exists(logf):
        os.unlink(logf)
    cmd = ["h2load", "-c", str(conns), "-m", "1", "-t", "1", "-D", f"{int(seconds * 1000)}ms",
           "--warm-up-time", "500ms", "--log-file", logf]
    if proto == "h1":
        cmd.append("--h1")
    if body is not None:
        path = os.path.join(tmp, "body")
        with open(path, "wb") as f:
            f.write(body)
        cmd += ["-d", path]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    cmd.append(url)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd}: {p.stderr}{p.stdout}")
    # Percentiles over the logged requests; h2load logs one request at the
    # end of the warm-up with status 0, which is left out. Failures come
    # from h2load's own summary.
    lat = []
    with open(logf) as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) >= 3 and parts[1] != "0":
                lat.append(int(parts[2]) / 1000.0)
    lat.sort()
    m = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", p.stdout)
    rps = float(m[3]) if m else len(lat) / seconds
    fails = re.search(r"requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed", p.stdout)
    codes = re.search(r"status codes: \d+ 2xx, \d+ 3xx, (\d+) 4xx, (\d+) 5xx", p.stdout)
    bad = int(fails[1]) + int(codes[1]) + int(codes[2])

    def pct(q):
        return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
    return {"rps": rps, "p50": pct(0.50), "p99": pct(0.99), "n": len(lat), "bad": bad}


def wait_port(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--levels", default="1,16,64")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    tmp = tempfile.mkdtemp(prefix="sluice-bench-gw-")
    rows = []

    def measure(setup, target, proto, url, **kw):
        for n in levels:
            r = h2load(url, proto, n, args.seconds, tmp, **kw)
            log(f"{setup:9} {target:8} {proto} c={n:<3} {r['rps']:9.0f} req/s  p50 {r['p50']:.3f} ms  "
                f"p99 {r['p99']:.3f} ms  non-2xx {r['bad']}")
            rows.append((setup, target, proto, n, r))

    ping_body = b"0123456789abcdef"
    sqs_body = b"{}"
    try:
        # Reference: nghttpd serving the same 15 bytes as /health, h2c.
        if shutil.which("nghttpd"):
            docroot = os.path.join(tmp, "www")
            os.makedirs(docroot)
            with open(os.path.join(docroot, "health"), "w") as f:
                f.write('{"status":"ok"}')
            port = free_ports(1)[0]
            ref = subprocess.Popen(["nghttpd", "--no-tls", "-d", docroot, str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_port(port)
                measure("nghttpd", "static", "h2", f"http://127.0.0.1:{port}/health")
            finally:
                ref.terminate()
                ref.wait()
        else:
            log("reference skipped: nghttpd not found (apt-get install nghttp2-server)")

        for size in (1, 3):
            c = Cluster(size)
            try:
                leader = c.start()
                setup = f"{size}-node"
                for proto in ("h1", "h2"):
                    measure(setup, "health", proto, leader.url + "/health")
                for proto in ("h1", "h2"):
                    measure(setup, "ping", proto, leader.url + "/admin/ping", body=ping_body)
                for proto in ("h1", "h2"):
                    measure(setup, "sqs", proto, leader.url + "/", body=sqs_body,
                            headers=signed_headers(leader.url, sqs_body))
                if size > 1:
                    follower = next(n for n in c.nodes if n is not leader)
                    for proto in ("h1", "h2"):
                        measure(setup, "sqs-fwd", proto, follower.url + "/", body=sqs_body,
                                headers=signed_headers(follower.url, sqs_body))
            finally:
                c.cleanup()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print("| setup | target | protocol | connections | req/s | p50 ms | p99 ms |")
    print("|---|---|---|---:|---:|---:|---:|")
    for setup, target, proto, n, r in rows:
        note = f" ({r['bad']} non-2xx)" if r["bad"] else ""
        print(f"| {setup} | {target} | {'HTTP/1.1' if proto == 'h1' else 'HTTP/2'} | {n} | "
              f"{r['rps']:.0f}{note} | {r['p50']:.2f} | {r['p99']:.2f} |")
    if any(r["bad"] for *_, r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
