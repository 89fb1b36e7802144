"""SNS email and email-json subscriptions through an SMTP relay
(sluiced --smtp-url) on a 3-node cluster: the confirmation email carries
the SubscribeURL that confirms the subscription, notifications arrive with
the subject and AWS's unsubscribe footer (email) or as the signed JSON
(email-json), sent from --smtp-from. The relay is a minimal SMTP server
written here."""
import base64
import json
import os
import re
import socketserver
import sys
import threading
import time
import urllib.request
from email import message_from_bytes
from email.header import decode_header, make_header

sys.path.insert(0, os.path.dirname(__file__))
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from cluster import Checks, run_cluster_test  # noqa: E402

check = Checks()
FROM = "sns@sluice.test"


class Relay:
    """Accepts mail (RFC 5321, the commands libcurl sends) and keeps
    (envelope sender, recipients, message) for each."""

    def __init__(self):
        self.mails = []
        self.lock = threading.Lock()
        outer = self

        class Session(socketserver.StreamRequestHandler):
            def reply(self, line):
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self):
                sender, rcpts = None, []
                self.reply("220 relay.test ESMTP")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode(errors="replace").strip()
                    verb = cmd.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 relay.test")
                    elif verb == "MAIL":
                        sender, rcpts = re.search(r"<(.*)>", cmd).group(1), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        rcpts.append(re.search(r"<(.*)>", cmd).group(1))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = []
                        while True:
                            d = self.rfile.readline()
                            if d in (b".\r\n", b""):
                                break
                            data.append(d[1:] if d.startswith(b"..") else d)
                        with outer.lock:
                            outer.mails.append((sender, rcpts, b"".join(data)))
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("250 OK")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Session)
        self.url = "smtp://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, rcpt, pred, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for sender, rcpts, data in self.mails:
                    msg = message_from_bytes(data)
                    if rcpt in rcpts and pred(msg):
                        return sender, msg
            time.sleep(0.1)
        raise AssertionError("no matching mail to %s" % rcpt)


def text(msg):
    """The body with the SMTP line ends (CRLF) as \\n."""
    return msg.get_payload(decode=True).decode().replace("\r\n", "\n")


def verify(m):
    with urllib.request.urlopen(m["SigningCertURL"], timeout=10) as r:
        cert = x509.load_pem_x509_certificate(r.read())
    keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    sts = "".join("%s\n%s\n" % (k, m[k]) for k in keys if k in m).encode()
    cert.public_key().verify(base64.b64decode(m["Signature"]), sts, padding.PKCS1v15(),
                             hashes.SHA1())


def confirm(sns, relay, topic, protocol, addr):
    r = sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=addr)
    check(r["SubscriptionArn"] == "pending confirmation", r)
    sender, msg = relay.wait(addr, lambda m: "Confirmation" in m["Subject"])
    check(sender == FROM and msg["From"] == FROM and msg["To"] == addr, (sender, msg["From"]))
    check(msg["Subject"] == "AWS Notification - Subscription Confirmation", msg["Subject"])
    body = text(msg)
    if protocol == "email-json":
        link = json.loads(body)["SubscribeURL"]
    else:
        check("You have chosen to subscribe to the topic" in body and topic in body, body)
        link = re.search(r"(http://\S+Action=ConfirmSubscription\S+)", body).group(1)
    with urllib.request.urlopen(link, timeout=10) as resp:
        check(resp.status == 200, resp.status)
    deadline = time.time() + 10
    while time.time() < deadline:
        subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        arn = [s["SubscriptionArn"] for s in subs if s["Endpoint"] == addr]
        if arn and arn[0].startswith("arn:"):
            return arn[0]
        time.sleep(0.1)
    raise AssertionError("%s not confirmed" % addr)


def body(c):
    relay = Relay()
    try:
        for n in c.nodes:
            n.extra_args = ["--smtp-url", relay.url, "--smtp-from", FROM]
        leader = c.start()
        sns = boto3.client("sns", endpoint_url=leader.url, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test",
                           config=Config(retries={"max_attempts": 8, "mode": "standard"}))
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        plain = confirm(sns, relay, topic, "email", "ops@example.com")
        confirm(sns, relay, topic, "email-json", "bot@example.com")

        mid = sns.publish(TopicArn=topic, Message="disk full on db-1", Subject="Alarm")["MessageId"]
        _, msg = relay.wait("ops@example.com", lambda m: m["Subject"] == "Alarm")
        b = text(msg)
        check(b.startswith("disk full on db-1\n"), b)
        check("please click or visit the link below to unsubscribe:" in b and
              "Action=Unsubscribe&SubscriptionArn=" + plain in b, b)
        check(msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8",
              msg.get_content_type())
        _, msg = relay.wait("bot@example.com", lambda m: m["Subject"] == "Alarm")
        m = json.loads(text(msg))
        check(m["Type"] == "Notification" and m["MessageId"] == mid and
              m["Message"] == "disk full on db-1", m)
        verify(m)
        # A subject beyond ASCII is an encoded word; the body is UTF-8.
        sns.publish(TopicArn=topic, Message="caf\u00e9\r\nline two", Subject="r\u00e9sum\u00e9")
        _, msg = relay.wait("ops@example.com",
                            lambda m: str(make_header(decode_header(m["Subject"]))) == "r\u00e9sum\u00e9")
        check(text(msg).startswith("caf\u00e9\nline two\n"), text(msg))
        # Without a subject AWS's default one is used.
        sns.publish(TopicArn=topic, Message="no subject")
        relay.wait("ops@example.com", lambda m: m["Subject"] == "AWS Notification Message")
    finally:
        relay.server.shutdown()


def main():
    run_cluster_test(body, check)


if __name__ == "__main__":
    main()
