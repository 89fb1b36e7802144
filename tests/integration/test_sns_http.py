"""SNS delivery to HTTP endpoints on a 3-node cluster, with boto3 and a small
HTTP receiver: the confirmation flow (SubscribeURL and ConfirmSubscription),
signed notifications verified with the certificate fetched from
SigningCertURL (SignatureVersion 1 and 2, by a standard RSA verifier), AWS's
headers, retries per DeliveryPolicy, the dead-letter queue when retries run
out, DeliveryPolicy validation, UnsubscribeURL, and per-subscription
metrics."""
import base64
import json
import os
import queue
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

check = Checks()


def client(node, service="sns"):
    return boto3.client(service, endpoint_url=node.url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 8, "mode": "standard"}))


def error(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
    raise AssertionError("no error from %s" % fn)


# --- signature verification, as a standard SNS message validator does ----

CERTS = {}


def string_to_sign(m):
    if m["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join("%s\n%s\n" % (k, m[k]) for k in keys if k in m).encode()


def verify(m):
    """Raises unless m's signature verifies with the certificate its
    SigningCertURL serves."""
    url = m["SigningCertURL"]
    check(url.endswith(".pem") and "/SimpleNotificationService-" in url, url)
    if url not in CERTS:
        with urllib.request.urlopen(url, timeout=10) as r:
            CERTS[url] = x509.load_pem_x509_certificate(r.read())
    digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}[m["SignatureVersion"]]
    CERTS[url].public_key().verify(base64.b64decode(m["Signature"]), string_to_sign(m),
                                   padding.PKCS1v15(), digest)
    tampered = dict(m, Message=m["Message"] + "!")
    try:
        CERTS[url].public_key().verify(base64.b64decode(m["Signature"]), string_to_sign(tampered),
                                       padding.PKCS1v15(), digest)
    except Exception:
        return
    raise AssertionError("a tampered message verified")


# --- the receiver ------------------------------------------------------------

class Receiver:
    """Records every POST per path; a path answers 500 for its first
    fail[path] requests (forever when -1), then 200."""

    def __init__(self):
        self.got = {}
        self.fail = {}
        self.events = queue.Queue()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    seen = outer.got.setdefault(self.path, [])
                    seen.append((time.time(), dict(self.headers), body))
                    left = outer.fail.get(self.path, 0)
                    if left > 0:
                        outer.fail[self.path] = left - 1
                    status = 500 if left != 0 else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if status == 200:
                    outer.events.put((self.path, dict(self.headers), body))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, path, mtype, timeout=30):
        """The next message of type mtype accepted on path (others on that
        path are kept for later)."""
        deadline = time.time() + timeout
        kept = []
        try:
            while time.time() < deadline:
                try:
                    p, headers, body = self.events.get(timeout=0.2)
                except queue.Empty:
                    continue
                m = json.loads(body) if headers.get("x-amz-sns-rawdelivery") != "true" else None
                if p == path and (m or {}).get("Type", "Raw") == mtype:
                    return headers, m, body
                kept.append((p, headers, body))
        finally:
            for k in kept:
                self.events.put(k)
        raise AssertionError("no %s on %s within %ss" % (mtype, path, timeout))

    def close(self):
        self.server.shutdown()


def subscription_arn(sns, topic, endpoint):
    for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]:
        if s["Endpoint"] == endpoint:
            return s["SubscriptionArn"]
    return None


def wait_confirmed(sns, topic, endpoint, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        arn = subscription_arn(sns, topic, endpoint)
        if arn and arn.startswith("arn:"):
            return arn
        time.sleep(0.1)
    raise AssertionError("%s not confirmed" % endpoint)


def confirm_flow(rx, sns, follower_sns, topic, path, via_url):
    endpoint = rx.url + path
    r = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint)
    check(r["SubscriptionArn"] == "pending confirmation", r)
    headers, m, _ = rx.next(path, "SubscriptionConfirmation")
    verify(m)
    check(headers["x-amz-sns-message-type"] == "SubscriptionConfirmation", headers)
    check(headers["x-amz-sns-topic-arn"] == topic and m["TopicArn"] == topic, m)
    check(headers["x-amz-sns-message-id"] == m["MessageId"], headers)
    check(headers["Content-Type"] in ("text/plain; charset=UTF-8", "application/json"), headers)
    check(m["Message"].startswith("You have chosen to subscribe to the topic " + topic), m)
    check(m["SubscribeURL"].startswith("http://") and "Action=ConfirmSubscription" in m["SubscribeURL"]
          and m["Token"] in m["SubscribeURL"], m)
    check(subscription_arn(sns, topic, endpoint) == "PendingConfirmation", "pending")
    if via_url:
        # An unsigned GET, as a browser or receiver would do it.
        with urllib.request.urlopen(m["SubscribeURL"], timeout=10) as resp:
            text = resp.read().decode()
        check(resp.status == 200 and "<SubscriptionArn>" in text, text)
    else:
        arn = follower_sns.confirm_subscription(TopicArn=topic, Token=m["Token"])["SubscriptionArn"]
        check(arn.startswith(topic + ":"), arn)
    return wait_confirmed(sns, topic, endpoint)


def deliveries(rx, sns, topic, sub_arn, path, version):
    mids = []
    for i in range(3):
        mids.append(sns.publish(TopicArn=topic, Message="order %d \u00e9" % i, Subject="new order",
                                MessageAttributes={"kind": {"DataType": "String",
                                                            "StringValue": "order"}})["MessageId"])
    seen = {}
    for _ in range(3):
        headers, m, _ = rx.next(path, "Notification")
        verify(m)
        check(m["SignatureVersion"] == version, m)
        check(headers["x-amz-sns-message-type"] == "Notification", headers)
        check(headers["x-amz-sns-subscription-arn"] == sub_arn, headers)
        check(headers["x-amz-sns-topic-arn"] == topic, headers)
        check(headers["x-amz-sns-message-id"] == m["MessageId"], headers)
        check(headers["Content-Type"] == "text/plain; charset=UTF-8", headers)
        check(headers["User-Agent"] == "Amazon Simple Notification Service Agent", headers)
        check(m["Subject"] == "new order" and m["Message"].startswith("order "), m)
        check(m["MessageAttributes"] == {"kind": {"Type": "String", "Value": "order"}}, m)
        check(m["UnsubscribeURL"].endswith("?Action=Unsubscribe&SubscriptionArn=" + sub_arn), m)
        seen[m["MessageId"]] = m
    check(sorted(seen) == sorted(mids), "every publish delivered")
    return list(seen.values())[0]


def retries_then_success(rx, sns, topic):
    path = "/flaky"
    rx.fail[path] = 0
    sub = confirm_flow(rx, sns, sns, topic, path, via_url=True)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy",
                                    AttributeValue=json.dumps({"healthyRetryPolicy": {
                                        "numRetries": 3, "minDelayTarget": 1,
                                        "maxDelayTarget": 1, "backoffFunction": "linear"}}))
    with rx.lock:
        rx.got.pop(path, None)
        rx.fail[path] = 2
    mid = sns.publish(TopicArn=topic, Message="try again")["MessageId"]
    headers, m, _ = rx.next(path, "Notification", timeout=30)
    verify(m)
    check(m["MessageId"] == mid, m)
    with rx.lock:
        attempts = [t for t, _, b in rx.got[path] if json.loads(b).get("MessageId") == mid]
    check(len(attempts) == 3, "two failures then success: %d attempts" % len(attempts))
    # Each retry waited the policy's one second (FSM and wall clocks agree
    # closely on one machine).
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    check(all(0.8 <= g <= 5 for g in gaps), gaps)


def dead_letter(rx, c, sns, sqs, topic):
    path = "/dead"
    dlq = sqs.create_queue(QueueName="http-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sub = confirm_flow(rx, sns, sns, topic, path, via_url=True)
    check(error(sns.set_subscription_attributes, SubscriptionArn=sub,
                AttributeName="RedrivePolicy", AttributeValue='{"deadLetterTargetArn":"nope"}')[0]
          == "InvalidParameter", "bad redrive policy")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                    AttributeValue=json.dumps({"deadLetterTargetArn": dlq_arn}))
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy",
                                    AttributeValue=json.dumps({"healthyRetryPolicy": {
                                        "numRetries": 2, "minDelayTarget": 1,
                                        "maxDelayTarget": 1}}))
    rx.fail[path] = -1
    mid = sns.publish(TopicArn=topic, Message="never delivered")["MessageId"]
    deadline = time.time() + 30
    msgs = []
    while time.time() < deadline and not msgs:
        msgs = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=2).get("Messages", [])
    check(len(msgs) == 1, "message in the dead-letter queue")
    body = json.loads(msgs[0]["Body"])
    check(body["MessageId"] == mid and body["Message"] == "never delivered", body)
    verify(body)
    with rx.lock:
        tries = [1 for _, _, b in rx.got[path] if json.loads(b).get("MessageId") == mid]
    check(len(tries) == 3, "1 attempt + 2 retries before the DLQ: %d" % len(tries))
    # Per-subscription metrics on the leader that performed the attempts.
    leader = c.wait_leader()
    _, text = leader.get("/metrics")
    text = text.decode()
    line = [x for x in text.splitlines()
            if x.startswith("sluice_delivery_dead_lettered_total{") and sub in x]
    check(line and float(line[0].rsplit(" ", 1)[1]) >= 1, line)
    check(any(x.startswith("sluice_delivery_attempts_total{") and sub in x
              for x in text.splitlines()), "attempts metric")


def deleted_while_retrying(rx, c, sns, topic):
    """A subscription deleted while its message waits for a retry gets no
    more attempts; the message is recorded undeliverable with the reason."""
    path = "/gone"
    sub = confirm_flow(rx, sns, sns, topic, path, via_url=True)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy",
                                    AttributeValue=json.dumps({"healthyRetryPolicy": {
                                        "numRetries": 3, "minDelayTarget": 1,
                                        "maxDelayTarget": 1}}))
    rx.fail[path] = -1
    with rx.lock:
        rx.got.pop(path, None)
    sns.publish(TopicArn=topic, Message="for a deleted subscription")
    deadline = time.time() + 10
    while not rx.got.get(path) and time.time() < deadline:
        time.sleep(0.05)
    sns.unsubscribe(SubscriptionArn=sub)
    time.sleep(3.5)
    with rx.lock:
        tries = [b for _, _, b in rx.got.get(path, []) if b"for a deleted subscription" in b]
    check(len(tries) == 1, "attempts after the unsubscribe: %d" % (len(tries) - 1))
    deadline = time.time() + 10
    while True:
        leader = c.wait_leader()
        records = json.loads(leader.get("/admin/outbox")[1])["undeliverable"]
        mine = [r for r in records if r["ref"] == sub and "deleted" in r["reason"]]
        if mine or time.time() > deadline:
            break
        time.sleep(0.1)
    check(len(mine) == 1 and mine[0]["attempts"] == 1 and
          mine[0]["reason"] == "abandoned after 1 attempt: the subscription was deleted", records)


def policy_validation(sns, topic, sub):
    bad = [
        {"healthyRetryPolicy": {"numRetries": 101}},
        {"healthyRetryPolicy": {"minDelayTarget": 30, "maxDelayTarget": 10}},
        {"healthyRetryPolicy": {"backoffFunction": "cubic"}},
        {"healthyRetryPolicy": {"numRetries": 100, "minDelayTarget": 60, "maxDelayTarget": 60}},
        {"healthyRetryPolicy": {"numRetries": 2, "numNoDelayRetries": 3}},
        {"throttlePolicy": {"maxReceivesPerSecond": 0}},
        {"requestPolicy": {"headerContentType": "image/png"}},
    ]
    for p in bad:
        code, msg = error(sns.set_subscription_attributes, SubscriptionArn=sub,
                          AttributeName="DeliveryPolicy", AttributeValue=json.dumps(p))
        check(code == "InvalidParameter" and msg.startswith("Invalid parameter: DeliveryPolicy"),
              (p, code, msg))
    code, _ = error(sns.set_topic_attributes, TopicArn=topic, AttributeName="DeliveryPolicy",
                    AttributeValue='{"http":{"defaultHealthyRetryPolicy":{"numRetries":-1}}}')
    check(code == "InvalidParameter", "topic policy")
    # The topic's policy applies unless the subscription overrides it.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(
        {"http": {"defaultHealthyRetryPolicy": {"numRetries": 5, "minDelayTarget": 2,
                                                "maxDelayTarget": 4},
                  "defaultRequestPolicy": {"headerContentType": "application/json"}}}))


def content_type_and_raw(rx, sns, topic, sub, path):
    mid = sns.publish(TopicArn=topic, Message="typed")["MessageId"]
    headers, m, _ = rx.next(path, "Notification")
    check(m["MessageId"] == mid and headers["Content-Type"] == "application/json", headers)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                                    AttributeValue="true")
    sns.publish(TopicArn=topic, Message="just the text")
    headers, _, body = rx.next(path, "Raw")
    check(body == b"just the text" and headers["x-amz-sns-rawdelivery"] == "true", headers)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                                    AttributeValue="false")


def unsubscribe_via_url(rx, sns, topic, sub, path, notification):
    with urllib.request.urlopen(notification["UnsubscribeURL"], timeout=10) as resp:
        text = resp.read().decode()
    check(resp.status == 200 and "UnsubscribeResponse" in text, text)
    check(subscription_arn(sns, topic, rx.url + path) is None, "unsubscribed")
    sns.publish(TopicArn=topic, Message="after unsubscribe")
    time.sleep(1.5)
    with rx.lock:
        late = [b for _, _, b in rx.got.get(path, []) if b"after unsubscribe" in b]
    check(not late, "nothing delivered after unsubscribing")


def throttled(rx, sns, topic):
    path = "/slow"
    sub = confirm_flow(rx, sns, sns, topic, path, via_url=True)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy",
                                    AttributeValue=json.dumps(
                                        {"throttlePolicy": {"maxReceivesPerSecond": 1}}))
    t0 = time.time()
    for i in range(3):
        sns.publish(TopicArn=topic, Message="throttled %d" % i)
    # The topic's other subscriber is not held back by the throttled one.
    for _ in range(3):
        rx.next("/v2", "Notification", timeout=5)
    check(time.time() - t0 < 1.5, "unthrottled subscriber delayed %.1fs" % (time.time() - t0))
    times = []
    for _ in range(3):
        rx.next(path, "Notification")
        times.append(time.time())
    # One a second at most: three deliveries span more than one second.
    check(times[-1] - times[0] >= 1.0, times)
    sns.unsubscribe(SubscriptionArn=sub)


def email_without_relay(c, sns):
    """No --smtp-url: the confirmation email ends undeliverable, with the
    reason in the log and the subscription's metric."""
    topic = sns.create_topic(Name="mail")["TopicArn"]
    r = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="someone@example.com")
    check(r["SubscriptionArn"] == "pending confirmation", r)
    deadline = time.time() + 15
    while time.time() < deadline:
        leader = c.wait_leader()
        lines = [x for x in leader.get("/metrics")[1].decode().splitlines()
                 if x.startswith("sluice_delivery_undeliverable_total{") and topic + ":" in x]
        if lines and float(lines[0].rsplit(" ", 1)[1]) >= 1:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("email not recorded undeliverable")
    check(any("no SMTP relay is configured" in open(n.log_path, errors="replace").read()
              for n in c.nodes), "reason logged")
    # Kept with its reason in the replicated state, readable on any node.
    deadline = time.time() + 10
    while True:  # a follower may apply it a moment later
        records = json.loads(c.nodes[0].get("/admin/outbox")[1])["undeliverable"]
        mine = [r for r in records if r["target"] == "someone@example.com"]
        if mine or time.time() > deadline:
            break
        time.sleep(0.1)
    check(len(mine) == 1 and mine[0]["service"] == "sns" and
          "failed permanently after 1 attempt: no SMTP relay is configured" in mine[0]["reason"],
          records)
    # Dead-lettered messages are not kept as undeliverable.
    check(not [r for r in records if r["target"].endswith("/dead")], records)


def body(c):
    rx = Receiver()
    try:
        leader = c.start()
        follower = next(n for n in c.nodes if n is not leader)
        sns, fsns = client(leader), client(follower)
        sqs = client(leader, "sqs")
        v1 = sns.create_topic(Name="web")["TopicArn"]
        v2 = sns.create_topic(Name="web2", Attributes={"SignatureVersion": "2"})["TopicArn"]

        sub1 = confirm_flow(rx, fsns, fsns, v1, "/v1", via_url=True)
        first = deliveries(rx, sns, v1, sub1, "/v1", "1")
        sub2 = confirm_flow(rx, sns, fsns, v2, "/v2", via_url=False)
        deliveries(rx, fsns, v2, sub2, "/v2", "2")

        retries_then_success(rx, sns, v1)
        dead_letter(rx, c, sns, sqs, v1)
        deleted_while_retrying(rx, c, sns, v1)
        policy_validation(sns, v2, sub2)
        content_type_and_raw(rx, sns, v2, sub2, "/v2")
        throttled(rx, sns, v2)
        email_without_relay(c, sns)
        unsubscribe_via_url(rx, sns, v1, sub1, "/v1", first)

        # The certificate is the same on every node.
        url = first["SigningCertURL"]
        path = url[url.index("/SimpleNotificationService-"):]
        pems = {n.get(path)[1] for n in c.nodes}
        check(len(pems) == 1 and pems.pop().startswith(b"-----BEGIN CERTIFICATE-----"), "cert")
        sts = c.wait_converged()
        check(len({st["digest"] for st in sts}) == 1, "replicas agree")
    finally:
        rx.close()


def main():
    run_cluster_test(body, check)


if __name__ == "__main__":
    main()
