"""Amazon SNS through the unmodified boto3 client against a 3-node cluster:
every topic, subscription and publish operation and the errors a user can
hit, as AWS words them, with clients on the leader and on followers."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import boto3  # noqa: E402
import botocore  # noqa: E402
from botocore.config import Config  # noqa: E402
from cluster import SLUICED, Checks, free_ports, run_cluster_test  # noqa: E402

check = Checks()


def client(node, service="sns", key="test", secret="test", region="us-east-1"):
    return boto3.client(service, endpoint_url=node.url, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 8, "mode": "standard"}))


def error(fn, *args, **kwargs):
    """(code, message, HTTP status) of the error fn raises."""
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        return (e.response["Error"]["Code"], e.response["Error"].get("Message", ""),
                e.response["ResponseMetadata"]["HTTPStatusCode"])
    raise AssertionError("no error from %s" % fn)


def topics(s, f):
    arn = s.create_topic(Name="orders", Attributes={"DisplayName": "Orders"},
                         Tags=[{"Key": "team", "Value": "payments"}])["TopicArn"]
    check(arn == "arn:aws:sns:us-east-1:000000000000:orders", arn)
    # Same name and attributes (or none): the same topic, from any node.
    check(f.create_topic(Name="orders")["TopicArn"] == arn, "idempotent create")
    check(f.create_topic(Name="orders", Attributes={"DisplayName": "Orders"})["TopicArn"] == arn,
          "idempotent create with attributes")
    check(error(s.create_topic, Name="orders", Attributes={"DisplayName": "Other"})
          == ("InvalidParameter", "Invalid parameter: Attributes Reason: Topic already exists "
              "with different attributes", 400), "different attributes")
    check(error(s.create_topic, Name="bad name!")[:2]
          == ("InvalidParameter", "Invalid parameter: Topic Name"), "bad name")
    check(error(s.create_topic, Name="x" * 257)[0] == "InvalidParameter", "long name")
    check(error(s.create_topic, Name="plain", Attributes={"FifoTopic": "true"})[1].startswith(
        "Invalid parameter: Fifo Topic names must end with .fifo"), "fifo name")
    check(error(s.create_topic, Name="n.fifo")[0] == "InvalidParameter", "fifo suffix alone")
    check(error(s.create_topic, Name="y", Attributes={"Colour": "blue"})[0] == "InvalidParameter",
          "unknown attribute")
    a = f.get_topic_attributes(TopicArn=arn)["Attributes"]
    check(a["DisplayName"] == "Orders" and a["TopicArn"] == arn and a["Owner"] == "000000000000",
          a)
    check(a["SubscriptionsConfirmed"] == "0" and a["SubscriptionsPending"] == "0", a)
    policy = json.loads(a["Policy"])
    check(policy["Statement"][0]["Resource"] == arn, policy)
    check("EffectiveDeliveryPolicy" in a and "FifoTopic" not in a, a)
    f.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="New")
    check(s.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "New", "set")
    check(error(s.set_topic_attributes, TopicArn=arn, AttributeName="Colour",
                AttributeValue="x")[:2] == ("InvalidParameter", "Invalid parameter: AttributeName"),
          "unknown attribute name")
    check(error(s.set_topic_attributes, TopicArn=arn, AttributeName="FifoTopic",
                AttributeValue="true")[0] == "InvalidParameter", "FifoTopic is fixed")
    check(error(s.set_topic_attributes, TopicArn=arn, AttributeName="ContentBasedDeduplication",
                AttributeValue="true")[1]
          == "Invalid parameter: ContentBasedDeduplication Reason: Content based deduplication "
             "can only be set for FIFO topics", "content dedup on standard")
    check(error(s.set_topic_attributes, TopicArn=arn, AttributeName="SignatureVersion",
                AttributeValue="3")[0] == "InvalidParameter", "signature version")
    missing = arn + "-missing"
    check(error(f.get_topic_attributes, TopicArn=missing) == ("NotFound", "Topic does not exist",
                                                             404), "missing topic")
    check(error(f.set_topic_attributes, TopicArn=missing, AttributeName="DisplayName",
                AttributeValue="x")[0] == "NotFound", "set on missing")
    check(error(f.get_topic_attributes, TopicArn="not-an-arn")[0] == "InvalidParameter",
          "bad arn")

    fifo = s.create_topic(Name="seq.fifo", Attributes={"FifoTopic": "true",
                                                      "ContentBasedDeduplication": "true"})
    fa = f.get_topic_attributes(TopicArn=fifo["TopicArn"])["Attributes"]
    check(fa["FifoTopic"] == "true" and fa["ContentBasedDeduplication"] == "true", fa)

    # ListTopics pages by 100 with NextToken.
    for i in range(105):
        s.create_topic(Name="page-%03d" % i)
    page = f.list_topics()
    check(len(page["Topics"]) == 100 and "NextToken" in page, len(page["Topics"]))
    rest = f.list_topics(NextToken=page["NextToken"])
    check(len(rest["Topics"]) == 107 - 100 and "NextToken" not in rest, rest)
    listed = {t["TopicArn"] for t in page["Topics"] + rest["Topics"]}
    check(arn in listed and fifo["TopicArn"] in listed and len(listed) == 107, len(listed))
    pages = list(f.get_paginator("list_topics").paginate())
    check(sum(len(p["Topics"]) for p in pages) == 107, "paginator")
    for i in range(105):
        f.delete_topic(TopicArn="arn:aws:sns:us-east-1:000000000000:page-%03d" % i)
    check(len(s.list_topics()["Topics"]) == 2, "deleted")
    # Deleting a topic that does not exist is not an error.
    s.delete_topic(TopicArn=missing)
    # Other accounts see their own topics only.
    other = client(NODE[1], key="AKIDOTHER", secret="secretother")
    check(other.list_topics()["Topics"] == [], "account isolation")
    # Topics and subscriptions live in the region of the request.
    eu = client(NODE[1], region="eu-west-1")
    check(eu.list_topics()["Topics"] == [], "region isolation")
    eu_arn = eu.create_topic(Name="orders")["TopicArn"]
    check(eu_arn == "arn:aws:sns:eu-west-1:000000000000:orders", eu_arn)
    eu.subscribe(TopicArn=eu_arn, Protocol="email", Endpoint="eu@example.com")
    check([t["TopicArn"] for t in eu.list_topics()["Topics"]] == [eu_arn], "eu topics")
    check([x["TopicArn"] for x in eu.list_subscriptions()["Subscriptions"]] == [eu_arn],
          "eu subscriptions")
    eu.delete_topic(TopicArn=eu_arn)
    return arn, fifo["TopicArn"]


def tags_and_policies(s, f, arn):
    check(f.list_tags_for_resource(ResourceArn=arn)["Tags"]
          == [{"Key": "team", "Value": "payments"}], "tags at create")
    s.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"},
                                          {"Key": "team", "Value": "core"}])
    tags = {t["Key"]: t["Value"] for t in f.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    check(tags == {"env": "prod", "team": "core"}, tags)
    f.untag_resource(ResourceArn=arn, TagKeys=["env"])
    check(s.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "core"}],
          "untag")
    too_many = [{"Key": "k%d" % i, "Value": "v"} for i in range(50)]
    check(error(s.tag_resource, ResourceArn=arn, Tags=too_many)[0] == "TagLimitExceeded",
          "tag limit")
    missing = arn + "-missing"
    check(error(s.tag_resource, ResourceArn=missing, Tags=[{"Key": "a", "Value": "b"}])
          == ("ResourceNotFound", "Resource does not exist", 404), "tag missing")
    check(error(s.list_tags_for_resource, ResourceArn=missing)[0] == "ResourceNotFound",
          "list tags missing")

    s.add_permission(TopicArn=arn, Label="pub", AWSAccountId=["111111111111"],
                     ActionName=["Publish"])
    policy = json.loads(f.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    stmt = [st for st in policy["Statement"] if st["Sid"] == "pub"]
    check(len(stmt) == 1 and stmt[0]["Action"] == ["SNS:Publish"] and
          stmt[0]["Principal"]["AWS"] == ["arn:aws:iam::111111111111:root"], policy)
    check(error(s.add_permission, TopicArn=arn, Label="pub", AWSAccountId=["111111111111"],
                ActionName=["Publish"])[:2]
          == ("InvalidParameter", "Invalid parameter: Statement already exists"), "dup label")
    f.remove_permission(TopicArn=arn, Label="pub")
    policy = json.loads(s.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    check(all(st["Sid"] != "pub" for st in policy["Statement"]), policy)
    check(error(s.add_permission, TopicArn=missing, Label="x", AWSAccountId=["1"],
                ActionName=["Publish"])[0] == "NotFound", "permission on missing")

    dpp = json.dumps({"Name": "p", "Description": "", "Version": "2021-06-01", "Statement": []})
    check(f.get_data_protection_policy(ResourceArn=arn).get("DataProtectionPolicy", "") == "",
          "no policy yet")
    s.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy=dpp)
    check(f.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"] == dpp, "dpp")
    check(error(s.put_data_protection_policy, ResourceArn=arn, DataProtectionPolicy="{")[0]
          == "InvalidParameter", "bad dpp")
    check(error(s.get_data_protection_policy, ResourceArn=missing)[0] == "NotFound",
          "dpp missing")


def subscriptions(s, f, arn, fifo_arn):
    sqs = client(NODE[0], "sqs")
    q = sqs.create_queue(QueueName="subq")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    sub = f.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    check(sub.startswith(arn + ":"), sub)
    # The same endpoint again: the same subscription.
    check(s.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"] == sub,
          "idempotent subscribe")
    check(error(s.subscribe, TopicArn=arn, Protocol="sqs", Endpoint=qarn,
                Attributes={"RawMessageDelivery": "true"})[1]
          == "Invalid parameter: Attributes Reason: Subscription already exists with different "
             "attributes", "different attributes")
    pending = s.subscribe(TopicArn=arn, Protocol="https", Endpoint="https://example.com/hook")
    check(pending["SubscriptionArn"] == "pending confirmation", pending)
    mail = s.subscribe(TopicArn=arn, Protocol="email", Endpoint="ops@example.com",
                       ReturnSubscriptionArn=True)["SubscriptionArn"]
    check(mail.startswith(arn + ":"), mail)
    a = f.get_topic_attributes(TopicArn=arn)["Attributes"]
    check(a["SubscriptionsConfirmed"] == "1" and a["SubscriptionsPending"] == "2", a)

    by_topic = f.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    check(len(by_topic) == 3, by_topic)
    mine = [x for x in by_topic if x["Protocol"] == "sqs"][0]
    check(mine == {"SubscriptionArn": sub, "Owner": "000000000000", "Protocol": "sqs",
                   "Endpoint": qarn, "TopicArn": arn}, mine)
    check(sum(x["SubscriptionArn"] == "PendingConfirmation" for x in by_topic) == 2, by_topic)
    check(len(s.list_subscriptions()["Subscriptions"]) == 3, "list all")
    check(error(f.list_subscriptions_by_topic, TopicArn=arn + "-missing")[0] == "NotFound",
          "list by missing topic")

    sa = f.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    check(sa["Protocol"] == "sqs" and sa["Endpoint"] == qarn and sa["TopicArn"] == arn and
          sa["PendingConfirmation"] == "false" and sa["RawMessageDelivery"] == "false" and
          sa["ConfirmationWasAuthenticated"] == "true" and sa["Owner"] == "000000000000", sa)
    ma = s.get_subscription_attributes(SubscriptionArn=mail)["Attributes"]
    check(ma["PendingConfirmation"] == "true", ma)
    s.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                                  AttributeValue="true")
    s.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                  AttributeValue='{"kind":["a"]}')
    sa = f.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    check(sa["RawMessageDelivery"] == "true" and sa["FilterPolicy"] == '{"kind":["a"]}' and
          sa["FilterPolicyScope"] == "MessageAttributes", sa)
    check(error(s.set_subscription_attributes, SubscriptionArn=sub,
                AttributeName="RawMessageDelivery", AttributeValue="yes")[1]
          == "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [yes]. "
             "Must be true or false.", "raw value")
    check(error(s.set_subscription_attributes, SubscriptionArn=mail,
                AttributeName="RawMessageDelivery", AttributeValue="true")[1]
          == "Invalid parameter: Attributes Reason: Delivery protocol [email] does not support "
             "raw message delivery.", "raw on email")
    code, msg, _ = error(s.set_subscription_attributes, SubscriptionArn=sub,
                         AttributeName="FilterPolicy", AttributeValue='{"a":[{"numeric":[">"]}]}')
    check(code == "InvalidParameter" and msg.startswith("Invalid parameter: FilterPolicy:"), msg)
    code, msg, _ = error(s.set_subscription_attributes, SubscriptionArn=sub,
                         AttributeName="FilterPolicy",
                         AttributeValue=json.dumps({"k%d" % i: ["v"] for i in range(6)}))
    check(msg == "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys",
          msg)
    check(error(s.set_subscription_attributes, SubscriptionArn=sub,
                AttributeName="FilterPolicyScope", AttributeValue="Everything")[0]
          == "InvalidParameter", "scope value")
    check(error(s.set_subscription_attributes, SubscriptionArn=sub, AttributeName="Colour",
                AttributeValue="x")[:2]
          == ("InvalidParameter", "Invalid parameter: AttributeName"), "sub attribute name")
    gone = arn + ":00000000-0000-4000-8000-000000000000"
    check(error(f.get_subscription_attributes, SubscriptionArn=gone)
          == ("NotFound", "Subscription does not exist", 404), "missing subscription")
    check(error(f.set_subscription_attributes, SubscriptionArn=gone,
                AttributeName="RawMessageDelivery", AttributeValue="true")[0] == "NotFound",
          "set on missing subscription")

    check(error(s.subscribe, TopicArn=arn, Protocol="carrier-pigeon", Endpoint="x")[1]
          == "Invalid parameter: Amazon SNS does not support this protocol string: "
             "carrier-pigeon", "protocol")
    check(error(s.subscribe, TopicArn=arn, Protocol="http", Endpoint="ftp://x")[1]
          == "Invalid parameter: Endpoint must match the specified protocol", "endpoint")
    check(error(s.subscribe, TopicArn=arn, Protocol="email", Endpoint="nobody")[1]
          == "Invalid parameter: Email address", "email")
    check(error(s.subscribe, TopicArn=arn + "-missing", Protocol="sqs", Endpoint=qarn)
          == ("NotFound", "Topic does not exist", 404), "subscribe to missing topic")
    check(error(s.subscribe, TopicArn=fifo_arn, Protocol="https",
                Endpoint="https://example.com/")[1]
          == "Invalid parameter: Invalid protocol type: https", "fifo topics take sqs only")
    check(error(s.subscribe, TopicArn=arn, Protocol="sqs",
                Endpoint="arn:aws:sqs:us-east-1:000000000000:q.fifo")[1]
          == "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be "
             "subscribed to standard SNS topics", "fifo queue on standard topic")
    check(error(s.subscribe, TopicArn=arn, Protocol="sqs", Endpoint=qarn + "x",
                Attributes={"Colour": "x"})[0] == "InvalidParameter", "bad attribute")

    check(error(f.confirm_subscription, TopicArn=arn, Token="nope")[:2]
          == ("InvalidParameter", "Invalid parameter: Token"), "bad token")
    check(error(f.confirm_subscription, TopicArn=arn + "-missing", Token="nope")[0] == "NotFound",
          "confirm on missing topic")

    f.unsubscribe(SubscriptionArn=mail)
    s.unsubscribe(SubscriptionArn=mail)  # again: not an error
    check(error(s.get_subscription_attributes, SubscriptionArn=mail)[0] == "NotFound",
          "unsubscribed")
    check(error(s.unsubscribe, SubscriptionArn="garbage")[0] == "InvalidParameter", "bad arn")
    a = f.get_topic_attributes(TopicArn=arn)["Attributes"]
    check(a["SubscriptionsConfirmed"] == "1" and a["SubscriptionsPending"] == "1", a)
    return sub


def publishing(s, f, arn, fifo_arn):
    r = f.publish(TopicArn=arn, Message="hello", Subject="hi",
                  MessageAttributes={"n": {"DataType": "Number", "StringValue": "1"},
                                     "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    check(len(r["MessageId"]) == 36 and "SequenceNumber" not in r, r)
    r = s.publish(TargetArn=arn, Message="via target")
    check(len(r["MessageId"]) == 36, r)
    check(error(s.publish, TopicArn=arn, Message="")[:2]
          == ("InvalidParameter", "Invalid parameter: Empty message"), "empty")
    check(error(s.publish, TopicArn=arn, Message="x" * 262145)[:2]
          == ("InvalidParameter", "Invalid parameter: Message too long"), "too long")
    s.publish(TopicArn=arn, Message="x" * 262144)
    check(error(s.publish, TopicArn=arn, Message="x" * 262100,
                MessageAttributes={"big": {"DataType": "String", "StringValue": "y" * 100}})[1]
          == "Invalid parameter: Message too long", "attributes count in the size")
    check(error(s.publish, TopicArn=arn, Message="x", Subject="a\nb")[1]
          == "Invalid parameter: Subject", "subject")
    check(error(s.publish, TopicArn=arn, Message="x", Subject="s" * 100)[1]
          == "Invalid parameter: Subject", "long subject")
    check(error(s.publish, TopicArn=arn, Message="not json", MessageStructure="json")[1]
          == "Invalid parameter: Message Structure - JSON message body failed to parse",
          "structure parse")
    check(error(s.publish, TopicArn=arn, Message='{"sqs":"x"}', MessageStructure="json")[1]
          == "Invalid parameter: Message Structure - No default entry in JSON message body",
          "structure default")
    check(error(s.publish, TopicArn=arn, Message="x",
                MessageAttributes={"a": {"DataType": "Colour", "StringValue": "x"}})
          == ("ParameterValueInvalid", "The message attribute 'a' has an invalid message "
              "attribute type, the set of supported type prefixes is Binary, Number, and "
              "String.", 400), "attribute type")
    check(error(s.publish, TopicArn=arn, Message="x",
                MessageAttributes={"a": {"DataType": "Number", "StringValue": "ten"}})[:2]
          == ("ParameterValueInvalid", "Could not cast message attribute 'a' value to number."),
          "number")
    check(error(s.publish, TopicArn=arn, Message="x",
                MessageAttributes={"a": {"DataType": "String.Array", "StringValue": "[1,"}})[0]
          == "ParameterValueInvalid", "string array")
    check(error(s.publish, TopicArn=arn, Message="x",
                MessageAttributes={"AWS.x": {"DataType": "String", "StringValue": "v"}})[0]
          == "ParameterValueInvalid", "reserved name")
    check(error(s.publish, TopicArn=arn, Message="x",
                MessageAttributes={".a": {"DataType": "String", "StringValue": "v"}})[1]
          == "Invalid message attribute name starting with character '.' was found.", "dot")
    check(error(s.publish, TopicArn=arn, Message="x",
                MessageAttributes={"a..b": {"DataType": "String", "StringValue": "v"}})[1]
          == "Message attribute name can not have successive '.' character.", "dots")
    check(error(s.publish, TopicArn=arn, Message="x",
                MessageAttributes={"a b": {"DataType": "String", "StringValue": "v"}})[1]
          == "Invalid non-alphanumeric character '#x20' was found in the message attribute "
             "name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
          "space")
    check(error(s.publish, TopicArn=arn, Message="x",
                MessageAttributes={"a": {"DataType": "Binary", "StringValue": "v"}})[1]
          == "The message attribute 'a' with type 'Binary' must use field 'Binary'.",
          "binary field")
    many = {"a%d" % i: {"DataType": "String", "StringValue": "v"} for i in range(11)}
    check(error(s.publish, TopicArn=arn, Message="x", MessageAttributes=many)[0]
          == "InvalidParameter", "too many attributes")
    check(error(s.publish, TopicArn=arn, Message="x", MessageDeduplicationId="d")[1]
          == "Invalid parameter: MessageDeduplicationId Reason: The request includes "
             "MessageDeduplicationId parameter that is not valid for this topic type",
          "dedup on standard")
    check(error(s.publish, TopicArn=arn + "-missing", Message="x")
          == ("NotFound", "Topic does not exist", 404), "missing topic")
    check(error(s.publish, Message="x")[0] == "InvalidParameter", "no target")
    check(error(s.publish, TopicArn=arn, TargetArn=arn, Message="x")[0] == "InvalidParameter",
          "two targets")

    check(error(f.publish, TopicArn=fifo_arn, Message="x")[1]
          == "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
          "fifo group")
    one = f.publish(TopicArn=fifo_arn, Message="x", MessageGroupId="g")
    two = s.publish(TopicArn=fifo_arn, Message="x", MessageGroupId="g")
    check(one["MessageId"] == two["MessageId"] and
          one["SequenceNumber"] == two["SequenceNumber"], (one, two))
    three = s.publish(TopicArn=fifo_arn, Message="x", MessageGroupId="g",
                      MessageDeduplicationId="other")
    check(len(three["SequenceNumber"]) == 20 and three["SequenceNumber"] > one["SequenceNumber"],
          three)

    r = f.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
        {"Id": "ok1", "Message": "one"},
        {"Id": "bad", "Message": ""},
        {"Id": "ok2", "Message": "two", "Subject": "s"}])
    check(sorted(e["Id"] for e in r["Successful"]) == ["ok1", "ok2"], r)
    check(r["Failed"] == [{"Id": "bad", "Code": "InvalidParameter",
                           "Message": "Invalid parameter: Empty message", "SenderFault": True}],
          r["Failed"])
    r = s.publish_batch(TopicArn=fifo_arn, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "m1", "MessageGroupId": "g"},
        {"Id": "b", "Message": "m2", "MessageGroupId": "g"}])
    seqs = [e["SequenceNumber"] for e in r["Successful"]]
    check(len(seqs) == 2 and seqs[0] < seqs[1], r)
    check(error(s.publish_batch, TopicArn=arn, PublishBatchRequestEntries=[])[0]
          == "EmptyBatchRequest", "empty batch")
    check(error(s.publish_batch, TopicArn=arn, PublishBatchRequestEntries=[
        {"Id": "e%d" % i, "Message": "m"} for i in range(11)])[0]
          == "TooManyEntriesInBatchRequest", "too many")
    check(error(s.publish_batch, TopicArn=arn, PublishBatchRequestEntries=[
        {"Id": "same", "Message": "m"}, {"Id": "same", "Message": "n"}])[0]
          == "BatchEntryIdsNotDistinct", "duplicate ids")
    check(error(s.publish_batch, TopicArn=arn, PublishBatchRequestEntries=[
        {"Id": "no spaces", "Message": "m"}])[0] == "InvalidBatchEntryId", "bad id")
    check(error(s.publish_batch, TopicArn=arn, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "x" * 200000}, {"Id": "b", "Message": "y" * 100000}])[0]
          == "BatchRequestTooLong", "batch too long")
    check(error(s.publish_batch, TopicArn=arn + "-missing", PublishBatchRequestEntries=[
        {"Id": "a", "Message": "m"}])[0] == "NotFound", "batch to missing topic")


def mobile(s, f, c):
    app = s.create_platform_application(Name="app1", Platform="GCM", Attributes={
        "PlatformCredential": "key", "EventEndpointCreated": ""})["PlatformApplicationArn"]
    check(app == "arn:aws:sns:us-east-1:000000000000:app/GCM/app1", app)
    check(error(s.create_platform_application, Name="a", Platform="PIGEON",
                Attributes={"PlatformCredential": "k"})[:2]
          == ("InvalidParameter", "Invalid parameter: Platform"), "platform")
    check(error(s.create_platform_application, Name="a", Platform="GCM", Attributes={})[0]
          == "InvalidParameter", "credential required")
    check(error(s.create_platform_application, Name="a", Platform="APNS",
                Attributes={"PlatformCredential": "k"})[0] == "InvalidParameter",
          "APNS needs a principal")
    a = f.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"]
    check(a.get("Enabled") == "true" and "PlatformCredential" not in a, a)
    f.set_platform_application_attributes(PlatformApplicationArn=app,
                                          Attributes={"SuccessFeedbackSampleRate": "50"})
    check(s.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"][
        "SuccessFeedbackSampleRate"] == "50", "set app attributes")
    apps = f.list_platform_applications()["PlatformApplications"]
    check([x["PlatformApplicationArn"] for x in apps] == [app], apps)
    ep = s.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1",
                                    CustomUserData="alice")["EndpointArn"]
    check(ep.startswith("arn:aws:sns:us-east-1:000000000000:endpoint/GCM/app1/"), ep)
    check(f.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1",
                                     CustomUserData="alice")["EndpointArn"] == ep,
          "same token, same endpoint")
    check(error(s.create_platform_endpoint, PlatformApplicationArn=app, Token="device-1",
                CustomUserData="bob")[0] == "InvalidParameter", "same token, other data")
    e = f.get_endpoint_attributes(EndpointArn=ep)["Attributes"]
    check(e == {"CustomUserData": "alice", "Enabled": "true", "Token": "device-1"}, e)
    eps = s.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
    check([x["EndpointArn"] for x in eps] == [ep], eps)
    r = s.publish(TargetArn=ep, Message="push")
    check(len(r["MessageId"]) == 36, r)
    s.set_endpoint_attributes(EndpointArn=ep, Attributes={"Enabled": "false"})
    check(error(s.publish, TargetArn=ep, Message="push")[:2]
          == ("EndpointDisabled", "Endpoint is disabled"), "disabled endpoint")
    check(error(s.set_endpoint_attributes, EndpointArn=ep, Attributes={"Enabled": "maybe"})[0]
          == "InvalidParameter", "Enabled value")
    s.delete_endpoint(EndpointArn=ep)
    s.delete_endpoint(EndpointArn=ep)  # again: not an error
    check(error(f.get_endpoint_attributes, EndpointArn=ep)[:2]
          == ("NotFound", "Endpoint does not exist"), "deleted endpoint")
    check(error(f.publish, TargetArn=ep, Message="push")[0] == "NotFound", "publish to deleted")
    ep2 = s.create_platform_endpoint(PlatformApplicationArn=app, Token="device-2")["EndpointArn"]
    s.delete_platform_application(PlatformApplicationArn=app)
    check(error(f.get_endpoint_attributes, EndpointArn=ep2)[0] == "NotFound",
          "endpoints go with their application")
    check(error(f.get_platform_application_attributes, PlatformApplicationArn=app)[0]
          == "NotFound", "deleted application")
    check(error(f.create_platform_endpoint, PlatformApplicationArn=app, Token="t")[0]
          == "NotFound", "endpoint of a missing application")

    s.set_sms_attributes(attributes={"DefaultSMSType": "Transactional", "MonthlySpendLimit": "5"})
    check(f.get_sms_attributes()["attributes"] == {"DefaultSMSType": "Transactional",
                                                   "MonthlySpendLimit": "5"}, "sms attributes")
    check(f.get_sms_attributes(attributes=["DefaultSMSType"])["attributes"]
          == {"DefaultSMSType": "Transactional"}, "selected sms attributes")
    check(error(s.set_sms_attributes, attributes={"DefaultSMSType": "Loud"})[0]
          == "InvalidParameter", "sms type")
    check(error(s.set_sms_attributes, attributes={"DefaultSenderID": "123"})[0]
          == "InvalidParameter", "sender id needs a letter")
    check(f.check_if_phone_number_is_opted_out(phoneNumber="+15555550100")["isOptedOut"] is False,
          "not opted out")
    check(error(f.check_if_phone_number_is_opted_out, phoneNumber="555")[0] == "InvalidParameter",
          "bad number")
    s.opt_in_phone_number(phoneNumber="+15555550100")
    check(f.list_phone_numbers_opted_out()["phoneNumbers"] == [], "opted-out list")
    check(f.get_sms_sandbox_account_status()["IsInSandbox"] is True, "sandbox")
    s.create_sms_sandbox_phone_number(PhoneNumber="+15555550101", LanguageCode="en-US")
    nums = f.list_sms_sandbox_phone_numbers()["PhoneNumbers"]
    check(nums == [{"PhoneNumber": "+15555550101", "Status": "Pending"}], nums)
    check(error(s.verify_sms_sandbox_phone_number, PhoneNumber="+15555550101",
                OneTimePassword="000000")[0] in ("VerificationException", "Verification"),
          "wrong code")
    otp = None
    for n in c.nodes:
        with open(n.log_path) as fh:
            for line in fh:
                if "one-time password for +15555550101 is " in line:
                    otp = line.split(" is ")[1].split()[0]
    check(otp is not None, "the code is in the leader's log")
    s.verify_sms_sandbox_phone_number(PhoneNumber="+15555550101", OneTimePassword=otp)
    check(f.list_sms_sandbox_phone_numbers()["PhoneNumbers"][0]["Status"] == "Verified",
          "verified")
    s.delete_sms_sandbox_phone_number(PhoneNumber="+15555550101")
    check(error(s.delete_sms_sandbox_phone_number, PhoneNumber="+15555550101")[0]
          == "ResourceNotFound", "deleted sandbox number")
    check(f.list_origination_numbers()["PhoneNumbers"] == [], "no origination numbers")
    r = s.publish(PhoneNumber="+15555550102", Message="sms")
    check(len(r["MessageId"]) == 36, r)
    # An sms subscription gets nothing, and that is on record with the reason.
    topic = s.create_topic(Name="texts")["TopicArn"]
    sub = s.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550103")["SubscriptionArn"]
    s.publish(TopicArn=topic, Message="hello")
    for _ in range(50):  # each node's own state: wait for this one to apply it
        records = json.loads(NODE[1].get("/admin/outbox")[1])["undeliverable"]
        mine = [r for r in records if r.get("ref") == sub]
        if mine:
            break
        time.sleep(0.1)
    check(len(mine) == 1 and mine[0]["reason"] == "delivery to sms endpoints is not supported"
          and mine[0]["target"] == "+15555550103", records)
    check(error(s.publish, PhoneNumber="12", Message="sms")[0] == "InvalidParameter", "phone")


def auth(node):
    bad = client(node, key="test", secret="wrong")
    check(error(bad.list_topics)[0] == "SignatureDoesNotMatch", "bad signature")
    unknown = client(node, key="nobody", secret="x")
    check(error(unknown.list_topics)[0] == "InvalidClientTokenId", "unknown key")


NODE = []


def body(c):
    leader = c.start()
    follower = next(n for n in c.nodes if n is not leader)
    NODE[:] = [leader, follower]
    s, f = client(leader), client(follower)
    arn, fifo_arn = topics(s, f)
    tags_and_policies(s, f, arn)
    subscriptions(s, f, arn, fifo_arn)
    publishing(s, f, arn, fifo_arn)
    mobile(s, f, c)
    # Deleting a topic removes its subscriptions.
    s.delete_topic(TopicArn=arn)
    check(all(x["TopicArn"] != arn for x in f.list_subscriptions()["Subscriptions"]),
          "subscriptions deleted with their topic")
    auth(follower)
    no_auth()
    sts = c.wait_converged()
    check(len({st["digest"] for st in sts}) == 1, "replicas agree")


def no_auth():
    """A node run with --auth none (development): SNS and SQS are both
    reachable, told apart by the credential scope the SDK signs with."""
    root = tempfile.mkdtemp(prefix="sluice-noauth-")
    raft, api = free_ports(2)
    proc = subprocess.Popen([SLUICED, "--id", "1", "--data-dir", os.path.join(root, "data"),
                             "--auth", "none", "--raft-addr", "127.0.0.1:%d" % raft,
                             "--api-addr", "127.0.0.1:%d" % api,
                             "--members", "1=127.0.0.1:%d/127.0.0.1:%d" % (raft, api)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        kw = dict(endpoint_url="http://127.0.0.1:%d" % api, region_name="eu-west-1",
                  aws_access_key_id="anything", aws_secret_access_key="anything",
                  config=Config(retries={"max_attempts": 10, "mode": "standard"}))
        sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
        arn = None
        for _ in range(50):
            try:
                arn = sns.create_topic(Name="dev")["TopicArn"]
                break
            except (botocore.exceptions.EndpointConnectionError,
                    botocore.exceptions.ClientError):
                time.sleep(0.2)
        check(arn == "arn:aws:sns:eu-west-1:000000000000:dev", arn)
        url = sqs.create_queue(QueueName="devq")["QueueUrl"]
        check(url.endswith("/000000000000/devq"), url)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


def main():
    run_cluster_test(body, check)


if __name__ == "__main__":
    main()
