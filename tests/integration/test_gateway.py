"""The gateway against a real 3-node cluster, with real clients:

- curl (HTTP/1.1, h2c by prior knowledge and by Upgrade, TLS with ALPN h2
  and http/1.1), nghttp and h2load (Debian's nghttp2-client) get correct
  answers from the admin endpoints and from signed SQS calls (awsJson and
  awsQuery);
- a request sent to a follower is served through the leader;
- unsigned, mis-signed, unknown-key, expired and otherwise bad requests are
  rejected with AWS's codes and statuses, on the leader and on a follower;
- with the leader killed (SIGKILL) under a steady boto3 SendMessage stream
  to every node, each request succeeds or gets a retryable error, none hangs
  past the forwarding bound, and a new leader serves within seconds.

nghttp and h2load cannot sign, but a SigV4 signature stays valid for 15
minutes and the gateway does not reject replays, so the test signs a request
in Python and hands the headers to them.
"""
import datetime
import hashlib
import hmac
import http.client
import json
import os
import signal
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import boto3  # noqa: E402
import botocore  # noqa: E402
import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402
from botocore.config import Config  # noqa: E402
import cluster  # noqa: E402
from cluster import Cluster  # noqa: E402

FORWARD_WAIT_S = 5.0  # SL_FORWARD_WAIT_MS in api/forward.h
JSON_CT = "application/x-amz-json-1.0"

checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


def run(cmd, timeout=30, stdin=None):
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, input=stdin)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


# --- SigV4, as botocore computes it (hmac/hashlib) -----------------------

def _sha256(b):
    return hashlib.sha256(b).hexdigest()


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _enc(s):
    return urllib.parse.quote(s, safe="-_.~")


def sign(method, url, body=b"", headers=None, key="test", secret="test", when=None,
         region="us-east-1", service="sqs", presign_expires=None):
    """Signs like an AWS SDK. Returns (url, headers) to send. With
    presign_expires the signature goes into the query string."""
    u = urllib.parse.urlsplit(url)
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    h = {k.lower(): v for k, v in (headers or {}).items()}
    h["host"] = u.netloc
    query = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
    if presign_expires is None:
        h["x-amz-date"] = amz_date
    signed = ";".join(sorted(h))
    if presign_expires is not None:
        query += [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", f"{key}/{scope}"),
                  ("X-Amz-Date", amz_date), ("X-Amz-Expires", str(presign_expires)),
                  ("X-Amz-SignedHeaders", signed)]
    cq = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted((k, v) for k, v in query))
    ch = "".join(f"{k}:{' '.join(h[k].split())}\n" for k in sorted(h))
    creq = "\n".join([method, u.path or "/", cq, ch, signed, _sha256(body)])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, _sha256(creq.encode())])
    k = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), amz_date[:8]), region), service),
              "aws4_request")
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    if presign_expires is not None:
        query.append(("X-Amz-Signature", sig))
        return (f"{u.scheme}://{u.netloc}{u.path or '/'}?"
                + "&".join(f"{_enc(k)}={_enc(v)}" for k, v in query)), h
    h["authorization"] = (f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, "
                          f"Signature={sig}")
    return url, h


def botocore_authorization(url, body, headers, when):
    """The Authorization header botocore's SigV4Auth computes at `when`."""
    req = botocore.awsrequest.AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    auth = botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), "sqs", "us-east-1")
    saved = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: when
    try:
        auth.add_auth(req)
    finally:
        botocore.auth.get_current_datetime = saved
    return req.headers["Authorization"]


def send(method, url, body=b"", headers=None, timeout=10):
    """One HTTP/1.1 request, exactly these headers (plus Host and
    Content-Length). Returns (status, lowercased headers, body)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.netloc, timeout=timeout)
    try:
        conn.putrequest(method, u.path + ("?" + u.query if u.query else ""), skip_host=True,
                        skip_accept_encoding=True)
        hs = dict(headers or {})
        hs.setdefault("host", u.netloc)
        for k, v in hs.items():
            conn.putheader(k, v)
        conn.putheader("content-length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def sqs_json(op):
    return {"content-type": JSON_CT, "x-amz-target": "AmazonSQS." + op}


def client(node, timeout=15):
    return boto3.client("sqs", endpoint_url=node.url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"total_max_attempts": 1},  # no retries at all
                                      connect_timeout=2, read_timeout=timeout))


# --- real clients ---------------------------------------------------------

def curl(*args, timeout=20):
    """Runs curl; returns (http code, http version, body)."""
    rc, out, err = run(["curl", "-sS", "--max-time", "15", "-w", "\n@@%{http_code} %{http_version}"]
                       + list(args), timeout=timeout)
    check(rc == 0, f"curl {args}: rc {rc} {err}")
    body, _, tail = out.rpartition("\n@@")
    code, version = tail.split()
    return int(code), version, body


def curl_sqs(url, op, body, *args):
    return curl(*args, "--aws-sigv4", "aws:amz:us-east-1:sqs", "--user", "test:test",
                "-H", "content-type: " + JSON_CT, "-H", "x-amz-target: AmazonSQS." + op,
                "--data-binary", json.dumps(body), url + "/")


def h2load(*args):
    rc, out, err = run(["h2load"] + list(args), timeout=60)
    check(rc == 0, f"h2load {args}: rc {rc} {err}")
    m = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed", out)
    s = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    check(m is not None and s is not None, out)
    return {"total": int(m[1]), "done": int(m[2]), "ok": int(m[3]), "failed": int(m[4]),
            "2xx": int(s[1]), "4xx": int(s[3]), "5xx": int(s[4]), "out": out}


def protocols(c, leader, follower, cert, root):
    for n in (leader, follower):
        code, ver, body = curl("--http1.1", n.url + "/health")
        check((code, ver, json.loads(body)) == (200, "1.1", {"status": "ok"}), (code, ver, body))
        code, ver, body = curl("--http2-prior-knowledge", n.url + "/health")
        check((code, ver, json.loads(body)) == (200, "2", {"status": "ok"}), (code, ver, body))
        code, ver, body = curl("--http2", n.url + "/status")  # h2c by Upgrade
        check(code == 200 and ver == "2" and json.loads(body)["id"] == n.id, (code, ver, body))
        # TLS on the same port: ALPN picks h2 or http/1.1.
        code, ver, body = curl("-k", "--http2", n.https_url + "/health")
        check((code, ver, body) == (200, "2", '{"status":"ok"}'), (code, ver, body))
        code, ver, body = curl("-k", "--http1.1", n.https_url + "/health")
        check((code, ver, body) == (200, "1.1", '{"status":"ok"}'), (code, ver, body))
        code, ver, body = curl("--cacert", cert, "--http2", n.https_url + "/health")
        check((code, ver) == (200, "2"), "certificate verifies for 127.0.0.1")

    # Signed SQS calls (awsJson) from curl, every transport, leader and follower.
    urls = set()
    for n in (leader, follower):
        for flags in (["--http1.1"], ["--http2-prior-knowledge"], ["--http2"],
                      ["-k", "--http2"], ["-k", "--http1.1"]):
            base = n.https_url if "-k" in flags else n.url
            name = "curl-%d-%d" % (n.id, len(urls))
            code, ver, body = curl_sqs(base, "CreateQueue", {"QueueName": name}, *flags)
            check(code == 200 and ver == ("1.1" if "--http1.1" in flags else "2"), (flags, code, ver, body))
            url = json.loads(body)["QueueUrl"]
            # The queue URL names the node and the scheme the client used.
            check(url == f"{base}/000000000000/{name}", (url, base))
            urls.add(name)
    code, ver, body = curl_sqs(follower.url, "ListQueues", {"QueueNamePrefix": "curl-"}, "--http1.1")
    check(code == 200 and {u.rsplit("/", 1)[1] for u in json.loads(body)["QueueUrls"]} == urls, body)
    # awsQuery (form in, XML out) from curl.
    code, ver, body = curl("--http2-prior-knowledge", "--aws-sigv4", "aws:amz:us-east-1:sqs",
                           "--user", "test:test", "-H", "content-type: application/x-www-form-urlencoded",
                           "--data-binary", "Action=ListQueues&Version=2012-11-05&QueueNamePrefix=curl-",
                           follower.url + "/")
    check(code == 200 and body.count("<QueueUrl>") == len(urls) and "<RequestId>" in body, body)
    # An unsigned API call through curl: AWS's error, not a crash.
    code, ver, body = curl("--http2-prior-knowledge", "-H", "content-type: " + JSON_CT,
                           "-H", "x-amz-target: AmazonSQS.ListQueues", "-d", "{}", leader.url + "/")
    check(code == 403 and json.loads(body)["__type"] == "MissingAuthenticationToken", body)

    # nghttp: HTTP/2 only (prior knowledge, Upgrade with -u, TLS by ALPN).
    for n in (leader, follower):
        for args in ([n.url + "/health"], ["-u", n.url + "/health"], [n.https_url + "/health"]):
            rc, out, err = run(["nghttp", "-v"] + args)
            check(rc == 0 and ":status: 200" in out and '{"status":"ok"}' in out, (args, rc, out[-500:], err))
            if args[0].startswith("https"):
                check("The negotiated protocol: h2" in out, "nghttp negotiates h2 by ALPN")
    # A signed SQS call from nghttp (signature computed here, replayed by nghttp).
    body = json.dumps({"QueueNamePrefix": "curl-"}).encode()
    body_file = os.path.join(root, "list.json")
    with open(body_file, "wb") as f:
        f.write(body)
    for n in (leader, follower):
        _, h = sign("POST", n.url + "/", body, sqs_json("ListQueues"))
        hdrs = [a for k, v in h.items() if k != "host" for a in ("-H", f"{k}: {v}")]
        rc, out, err = run(["nghttp", "-v", "-d", body_file] + hdrs + [n.url + "/"])
        check(rc == 0 and ":status: 200" in out and out.count("/000000000000/curl-") == len(urls),
              (rc, out[-800:], err))

    # h2load: many requests over several connections, multiplexed.
    for n in (leader, follower):
        r = h2load("-n", "400", "-c", "4", "-m", "10", n.url + "/health")
        check(r["ok"] == 400 and r["2xx"] == 400, r["out"])
        r = h2load("--h1", "-n", "400", "-c", "4", n.url + "/health")
        check(r["ok"] == 400 and r["2xx"] == 400, r["out"])
        r = h2load("-n", "200", "-c", "2", "-m", "10", n.https_url + "/health")
        check(r["2xx"] == 200 and "Application protocol: h2" in r["out"], r["out"])
        # Signed SQS reads; on the follower each one is forwarded over the
        # pooled HTTP/2 connection to the leader.
        _, h = sign("POST", n.url + "/", body, sqs_json("ListQueues"))
        hdrs = [a for k, v in h.items() if k != "host" for a in ("-H", f"{k}: {v}")]
        r = h2load("-n", "300", "-c", "3", "-m", "10", "-d", body_file, *hdrs, n.url + "/")
        check(r["2xx"] == 300, r["out"])
        r = h2load("--h1", "-n", "100", "-c", "2", "-d", body_file, *hdrs, n.url + "/")
        check(r["2xx"] == 100, r["out"])

    # Malformed HTTP gets a 400 in AWS's shape, then the connection closes.
    with socket.create_connection(("127.0.0.1", int(leader.api_addr.rsplit(":", 1)[1])), timeout=5) as s:
        s.sendall(b"GET / HTTP/9.9 junk\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    check(data.startswith(b"HTTP/1.1 400") and b"MalformedHttpRequest" in data, data[:300])


# --- forwarding -------------------------------------------------------------

def forwarding(c, leader, follower):
    s, f = client(leader), client(follower)
    before_f, before_l = follower.metrics(), leader.metrics()
    u = f.create_queue(QueueName="via-follower", Attributes={"VisibilityTimeout": "7"})["QueueUrl"]
    check(u == follower.url + "/000000000000/via-follower", u)
    check(s.get_queue_url(QueueName="via-follower")["QueueUrl"] == leader.url + "/000000000000/via-follower",
          "the queue created through the follower is read back through the leader")
    a_l = s.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"]
    a_f = f.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"]
    check(a_l == a_f and a_l["VisibilityTimeout"] == "7", (a_l, a_f))
    sent = f.send_message(QueueUrl=u, MessageBody="through the leader")
    got = s.receive_message(QueueUrl=u, WaitTimeSeconds=2)["Messages"]
    check(got[0]["MessageId"] == sent["MessageId"] and got[0]["Body"] == "through the leader", got)
    check(sorted(x.rsplit("/", 1)[1] for x in f.list_queues(QueueNamePrefix="via")["QueueUrls"])
          == sorted(x.rsplit("/", 1)[1] for x in s.list_queues(QueueNamePrefix="via")["QueueUrls"]),
          "same listing on both")
    # The request id the follower gave the request comes back to the client.
    rid = f.list_queues()["ResponseMetadata"]["RequestId"]
    check(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", rid), rid)
    after_f, after_l = follower.metrics(), leader.metrics()
    check(after_f["sluice_gateway_forwarded_total"] >= before_f["sluice_gateway_forwarded_total"] + 5,
          ("the follower counted its forwards", before_f.get("sluice_gateway_forwarded_total"), after_f.get("sluice_gateway_forwarded_total")))
    check(after_l["sluice_gateway_forwarded_total"] == before_l["sluice_gateway_forwarded_total"],
          "the leader forwarded nothing")
    check(after_f["sluice_raft_is_leader"] == 0 and follower.status()["role"] == "follower",
          "the follower stayed a follower")
    check(after_f["sluice_proposer_commands_total"] == before_f["sluice_proposer_commands_total"],
          "the follower proposed nothing itself")
    check(after_l["sluice_proposer_commands_total"] >= before_l["sluice_proposer_commands_total"] + 2,
          "the leader proposed the follower's writes")
    check(after_f["sluice_fsm_commands_applied_total"] >= before_f["sluice_fsm_commands_applied_total"] + 2
          or follower.status()["state_index"] > 0, "the follower applied them by replication")
    # A client cannot claim to be a forwarding node.
    for n in (leader, follower):
        st, hs, body = send("POST", n.url + "/", b"{}", dict(sqs_json("ListQueues"), **{
            "x-sluice-forward": "v1 00000000-0000-4000-8000-000000000000 000000000000 us-east-1 sqs "
                                + "0" * 64}))
        check(st == 403 and json.loads(body)["__type"] == "AccessDenied", (n.id, st, body))


# --- authentication failures -------------------------------------------------

def rejected(n, st, hs, body, status, code, message=None):
    check(st == status, f"node {n.id}: {code}: HTTP {st} {body[:300]!r}")
    e = json.loads(body)
    check(e.get("__type") == code, f"node {n.id}: want {code}, got {e}")
    check(message is None or re.search(message, e.get("message", "")), (message, e))
    check(re.fullmatch(r"[0-9a-f-]{36}", hs.get("x-amzn-requestid", "")), hs)


def auth(n):
    url = n.url + "/"
    body = b'{"QueueNamePrefix":"auth"}'
    now = datetime.datetime.now(datetime.timezone.utc)
    # A correct signature works (positive control), also 10 minutes old.
    for age in (0, 600):
        _, h = sign("POST", url, body, sqs_json("ListQueues"), when=now - datetime.timedelta(seconds=age))
        st, hs, b = send("POST", url, body, h)
        check(st == 200 and "QueueUrls" not in json.loads(b), (age, st, b))
    # The scheme above is botocore's: same Authorization for the same time.
    _, h = sign("POST", url, body, sqs_json("ListQueues"), when=now)
    check(botocore_authorization(url, body, sqs_json("ListQueues"), now) == h["authorization"],
          "signer agrees with botocore")

    st, hs, b = send("POST", url, body, sqs_json("ListQueues"))
    rejected(n, st, hs, b, 403, "MissingAuthenticationToken", "missing Authentication Token")
    _, h = sign("POST", url, body, sqs_json("ListQueues"), secret="wrong")
    st, hs, b = send("POST", url, body, h)
    rejected(n, st, hs, b, 403, "SignatureDoesNotMatch", "does not match")
    _, h = sign("POST", url, body, sqs_json("ListQueues"))
    st, hs, b = send("POST", url, body.replace(b"auth", b"xxxx"), h)
    rejected(n, st, hs, b, 403, "SignatureDoesNotMatch", "does not match")  # body changed
    _, h = sign("POST", url, body, sqs_json("ListQueues"), key="AKIDNOBODY", secret="x")
    st, hs, b = send("POST", url, body, h)
    rejected(n, st, hs, b, 403, "InvalidClientTokenId", "security token included in the request is invalid")
    _, h = sign("POST", url, body, sqs_json("ListQueues"), when=now - datetime.timedelta(minutes=20))
    st, hs, b = send("POST", url, body, h)
    rejected(n, st, hs, b, 403, "SignatureDoesNotMatch", r"^Signature expired: \d{8}T\d{6}Z is now earlier than")
    _, h = sign("POST", url, body, sqs_json("ListQueues"), when=now + datetime.timedelta(minutes=20))
    st, hs, b = send("POST", url, body, h)
    rejected(n, st, hs, b, 403, "SignatureDoesNotMatch", "^Signature not yet current")
    _, h = sign("POST", url, body, sqs_json("ListQueues"))
    h["authorization"] = h["authorization"].split(", Signature=")[0]
    st, hs, b = send("POST", url, body, h)
    rejected(n, st, hs, b, 400, "IncompleteSignature")
    # Presigned query strings: valid, and past X-Amz-Expires.
    purl, h = sign("POST", url, body, sqs_json("ListQueues"), presign_expires=300)
    st, hs, b = send("POST", purl, body, h)
    check(st == 200, (st, b))
    purl, h = sign("POST", url, body, sqs_json("ListQueues"), presign_expires=60,
                   when=now - datetime.timedelta(minutes=5))
    st, hs, b = send("POST", purl, body, h)
    rejected(n, st, hs, b, 400, "RequestExpired", "Request has expired")
    # awsQuery requests get the same errors as XML.
    form = b"Action=ListQueues&Version=2012-11-05"
    st, hs, b = send("POST", url, form, {"content-type": "application/x-www-form-urlencoded"})
    check(st == 403 and b"<Code>MissingAuthenticationToken</Code>" in b and b"<RequestId>" in b, (st, b))
    _, h = sign("POST", url, form, {"content-type": "application/x-www-form-urlencoded"},
                when=now - datetime.timedelta(minutes=20))
    st, hs, b = send("POST", url, form, h)
    check(st == 403 and b"<Code>SignatureDoesNotMatch</Code>" in b and b"Signature expired" in b, (st, b))
    # And what boto3 makes of them.
    bad = boto3.client("sqs", endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="nope", config=Config(retries={"total_max_attempts": 1}))
    try:
        bad.list_queues()
        check(False, "accepted a wrong secret")
    except botocore.exceptions.ClientError as e:
        check(e.response["Error"]["Code"] == "SignatureDoesNotMatch"
              and e.response["ResponseMetadata"]["HTTPStatusCode"] == 403, e.response)


# --- the leader killed under load -------------------------------------------------

CONN_ERRORS = (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError,
               botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectTimeoutError)


def leader_killed(c, leader):
    url = client(leader).create_queue(QueueName="stream")["QueueUrl"]
    records, lock = [], threading.Lock()
    stop_at = [float("inf")]
    threads_per_node = 2
    clients = [(n, client(n)) for n in c.nodes for _ in range(threads_per_node)]

    def worker(i, node, sqs):
        seq = 0
        while time.time() < stop_at[0]:
            seq += 1
            t0 = time.time()
            outcome, detail = "ok", None
            try:
                sqs.send_message(QueueUrl=url, MessageBody=f"w{i}-{seq}")
            except botocore.exceptions.ClientError as e:
                outcome = "error"
                detail = (e.response["ResponseMetadata"].get("HTTPStatusCode"), e.response["Error"].get("Code"))
            except CONN_ERRORS as e:
                outcome, detail = "conn", type(e).__name__
            except Exception as e:  # noqa: BLE001 - any other failure is a finding
                outcome, detail = "other", repr(e)
            t1 = time.time()
            with lock:
                records.append((node.id, t0, t1, outcome, detail))
            if outcome != "ok":
                time.sleep(0.05)

    threads = [threading.Thread(target=worker, args=(i, n, s), daemon=True) for i, (n, s) in enumerate(clients)]
    for t in threads:
        t.start()
    time.sleep(2.5)
    killed_at = time.time()
    leader.kill()
    new = c.wait_leader(timeout=10, exclude={leader.id})
    elected_in = time.time() - killed_at
    stop_at[0] = killed_at + FORWARD_WAIT_S + 3
    for t in threads:
        t.join(timeout=30)
    check(not any(t.is_alive() for t in threads), "a client thread hung")

    live = {n.id for n in c.nodes if n.alive()}
    counts = {}
    for node_id, t0, t1, outcome, detail in records:
        key = (outcome, detail if outcome != "ok" else None, "dead" if node_id == leader.id else "live")
        counts[key] = counts.get(key, 0) + 1
    print("leader %d killed; node %d elected in %.2fs; outcomes:" % (leader.id, new.id, elected_in))
    for k, v in sorted(counts.items(), key=lambda kv: -kv[1]):
        print("   ", v, k)
    ok = [r for r in records if r[3] == "ok"]
    check(len([r for r in ok if r[1] < killed_at]) > 20, "a steady stream before the kill")

    def acceptable(r):
        node_id, t0, t1, outcome, detail = r
        if outcome == "ok":
            return True
        if outcome == "error":  # the service's retryable error, nothing else
            return detail == (503, "ServiceUnavailable")
        # A connection error only from the killed node, never a read timeout.
        return (outcome == "conn" and node_id == leader.id and t1 >= killed_at - 0.1
                and detail != "ReadTimeoutError")
    bad = [r for r in records if not acceptable(r)]
    check(not bad, f"{len(bad)} requests neither succeeded nor failed retryably: {bad[:5]}")
    # None hangs: every answer within the forwarding wait plus slack (the
    # client's own read timeout is 15 s); only a connection to the killed
    # node may fail otherwise, and it fails at once.
    slow = [r for r in records if r[2] - r[1] > FORWARD_WAIT_S + 3 and not (r[0] == leader.id and r[3] == "conn")]
    check(not slow, f"requests past the bound: {slow[:5]}")
    worst = max(r[2] - r[1] for r in records if r[0] in live)
    check(worst <= FORWARD_WAIT_S + 3, worst)
    # Service resumes: a request sent after the kill succeeds within seconds on every live node.
    for node_id in live:
        after = [r for r in ok if r[0] == node_id and r[1] >= killed_at]
        check(after, f"node {node_id} served nothing after the kill")
        first = min(r[2] for r in after) - killed_at
        check(first < 5.0, f"node {node_id} first served {first:.2f}s after the kill")
        print("    node %d: first success %.2fs after the kill" % (node_id, first))
    # Every acknowledged send is in the queue; ambiguous ones may or may not be.
    ambiguous = len([r for r in records if r[3] != "ok" and r[2] >= killed_at - 0.1])
    n_msgs = int(client(new).get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                 ["Attributes"]["ApproximateNumberOfMessages"])
    check(len(ok) <= n_msgs <= len(ok) + ambiguous, (len(ok), n_msgs, ambiguous))
    print("    %d acknowledged, %d in the queue, %d ambiguous, worst latency on live nodes %.2fs"
          % (len(ok), n_msgs, ambiguous, worst))
    # The killed node comes back and catches up.
    leader.start()
    sts = c.wait_converged()
    check(len({st["digest"] for st in sts}) == 1 and len(sts) == 3, "replicas agree after the restart")


def no_quorum(c):
    """With two of three nodes gone, nothing can commit: the survivor
    answers 503 ServiceUnavailable within the bound, first as the leader
    that loses its quorum, then as a node that knows no leader."""
    leader = c.wait_leader()
    url = client(leader).create_queue(QueueName="alone")["QueueUrl"]
    for n in c.nodes:
        if n is not leader:
            n.kill()
    sqs = client(leader)
    for attempt in range(2):
        t0 = time.time()
        try:
            sqs.send_message(QueueUrl=url, MessageBody="nobody to replicate to")
            check(False, "a write committed without a quorum")
        except botocore.exceptions.ClientError as e:
            took = time.time() - t0
            check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 503
                  and e.response["Error"]["Code"] == "ServiceUnavailable", e.response)
            check(took <= FORWARD_WAIT_S + 3, f"answered after {took:.2f}s")
            print("    without a quorum, try %d: 503 %s after %.2fs (%s)" % (
                attempt + 1, e.response["Error"]["Code"], took, e.response["Error"]["Message"]))
    st = leader.status()
    check(st["role"] != "leader", st["role"])
    try:
        leader.get("/health")
        check(False, "healthy without a leader")
    except cluster.HttpError as e:
        check(e.status == 503, e)


def leader_frozen(c):
    """A leader paused with SIGSTOP answers nothing; a follower's forward to
    it moves to the new leader (same request id) instead of waiting out the
    forward timeout."""
    leader = c.wait_leader()
    follower = next(n for n in c.nodes if n is not leader and n.alive())
    sqs = client(follower, timeout=40)
    url = sqs.create_queue(QueueName="frozen")["QueueUrl"]
    leader.proc.send_signal(signal.SIGSTOP)
    try:
        t0 = time.time()
        try:
            sqs.send_message(QueueUrl=url, MessageBody="through the new leader")
            outcome = "ok"
        except botocore.exceptions.ClientError as e:
            outcome = e.response["Error"]["Code"]
        took = time.time() - t0
        print("    leader frozen: %s after %.2fs" % (outcome, took))
        check(took <= FORWARD_WAIT_S + 3, f"a forward to a frozen leader took {took:.2f}s")
        check(outcome in ("ok", "ServiceUnavailable"), outcome)
    finally:
        leader.proc.send_signal(signal.SIGCONT)
    got = client(c.wait_leader()).receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages", [])
    check(outcome != "ok" or [m["Body"] for m in got] == ["through the new leader"], got)


def make_cert(root):
    cert, key = os.path.join(root, "cert.pem"), os.path.join(root, "key.pem")
    rc, out, err = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"])
    check(rc == 0, err)
    return cert, key


def main():
    c = Cluster(3)
    try:
        cert, key = make_cert(c.root)
        for n in c.nodes:
            n.extra_args = ["--tls-cert", cert, "--tls-key", key]
        leader = c.start()
        follower = next(n for n in c.nodes if n is not leader)
        for n in c.nodes:  # every node knows the leader before the tests
            deadline = time.time() + 10
            while n.status().get("leader_id") != leader.id and time.time() < deadline:
                time.sleep(0.05)
        t = time.time()
        protocols(c, leader, follower, cert, c.root)
        print("protocols: %.1fs" % (time.time() - t))
        forwarding(c, leader, follower)
        for n in (leader, follower):
            auth(n)
        t = time.time()
        leader_frozen(c)
        print("leader frozen: %.1fs" % (time.time() - t))
        t = time.time()
        leader_killed(c, c.wait_leader())
        print("leader kill: %.1fs" % (time.time() - t))
        t = time.time()
        no_quorum(c)
        print("no quorum: %.1fs" % (time.time() - t))
    except BaseException:
        c.dump_logs()
        raise
    finally:
        c.cleanup()
    print(f"{checks} passed, 0 failed")


if __name__ == "__main__":
    main()
