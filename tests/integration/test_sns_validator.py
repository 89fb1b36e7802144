"""A standard SNS message validator, the npm sns-validator, accepts what a
3-node cluster serving TLS sends an HTTP endpoint: the
SubscriptionConfirmation and Notifications of SignatureVersion 1 and 2
topics, with the certificate fetched over https from SigningCertURL (its
host pattern option set to the cluster's address), and refuses them
tampered with."""
import json
import os
import queue
import ssl
import subprocess
import sys
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading

sys.path.insert(0, os.path.dirname(__file__))
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from cluster import Checks, run_cluster_test  # noqa: E402

JS = os.path.join(os.path.dirname(__file__), "js")
check = Checks()


def make_cert(root):
    cert, key = os.path.join(root, "tls.pem"), os.path.join(root, "tls.key")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, text=True)
    check(r.returncode == 0, r.stderr)
    return cert, key


class Receiver:
    def __init__(self):
        self.messages = queue.Queue()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.messages.put(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, n, timeout=20):
        out = []
        deadline = time.time() + timeout
        while len(out) < n and time.time() < deadline:
            try:
                out.append(self.messages.get(timeout=0.2))
            except queue.Empty:
                pass
        check(len(out) == n, "received %d of %d messages" % (len(out), n))
        return out


def body(c):
    if not os.path.isdir(os.path.join(JS, "node_modules", "sns-validator")):
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=JS, check=True)
    cert, key = make_cert(c.root)
    for n in c.nodes:
        n.extra_args = ["--tls-cert", cert, "--tls-key", key]
    leader = c.start()
    rx = Receiver()
    try:
        sns = boto3.client("sns", endpoint_url=leader.https_url, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test", verify=cert,
                           config=Config(retries={"max_attempts": 8, "mode": "standard"}))
        tls = ssl.create_default_context(cafile=cert)
        got = []
        for name, attrs in (("v1", {}), ("v2", {"SignatureVersion": "2"})):
            topic = sns.create_topic(Name=name, Attributes=attrs)["TopicArn"]
            sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=rx.url + name)
            conf = rx.take(1)[0]
            check(conf["Type"] == "SubscriptionConfirmation", conf)
            check(conf["SigningCertURL"].startswith(leader.https_url + "/"), conf)
            urllib.request.urlopen(conf["SubscribeURL"], context=tls, timeout=10).read()
            deadline = time.time() + 10
            while time.time() < deadline and not any(
                    s["SubscriptionArn"].startswith("arn:")
                    for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]):
                time.sleep(0.1)
            sns.publish(TopicArn=topic, Message="with subject", Subject="hello")
            sns.publish(TopicArn=topic, Message="line one\nline \"two\" / \u00e9")
            got.append(conf)
            got.extend(rx.take(2))
        path = os.path.join(c.root, "messages.json")
        with open(path, "w") as f:
            json.dump(got, f)
        host = r"^127\.0\.0\.1:%d$" % int(leader.api_addr.rsplit(":", 1)[1])
        r = subprocess.run(["node", "sns_validate.mjs", path, host], cwd=JS, capture_output=True,
                           text=True, timeout=120,
                           env=dict(os.environ, NODE_EXTRA_CA_CERTS=cert))
        print(r.stdout.strip(), r.stderr.strip())
        check(r.returncode == 0, "sns-validator refused: %s" % r.stdout)
        summary = json.loads(r.stdout)
        check(summary["valid"] == 6 and summary["versions"] == {"1": 3, "2": 3}, summary)
    finally:
        rx.server.shutdown()


def main():
    run_cluster_test(body, check)


if __name__ == "__main__":
    main()
