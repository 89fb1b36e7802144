// @aws-sdk/client-sns v3 against the endpoints given on the command line
// (SNS client first, SQS client second): topics, subscriptions, Publish and
// PublishBatch fanned out to SQS queues (raw and enveloped, standard and
// FIFO), modelled errors as the SDK's exception classes. Exits non-zero on
// any mismatch.
import {
  SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand, PublishBatchCommand,
  ListTopicsCommand, ListSubscriptionsByTopicCommand, GetTopicAttributesCommand,
  SetSubscriptionAttributesCommand, TagResourceCommand, ListTagsForResourceCommand,
  DeleteTopicCommand, NotFoundException, InvalidParameterException,
} from "@aws-sdk/client-sns";
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand,
         ReceiveMessageCommand } from "@aws-sdk/client-sqs";

const [snsUrl, sqsUrl] = process.argv.slice(2);
const opts = (endpoint) => ({
  endpoint, region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
const sns = new SNSClient(opts(snsUrl));
const sqs = new SQSClient(opts(sqsUrl));
let checks = 0;
const check = (cond, what) => {
  if (!cond) throw new Error(`check failed: ${what}`);
  checks++;
};

async function queue(name, attrs = {}) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }));
  const url = QueueUrl.replace(new URL(QueueUrl).host, new URL(sqsUrl).host);
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return [url, a.Attributes.QueueArn];
}

async function drain(url, want) {
  const got = [];
  for (let i = 0; i < 20 && got.length < want; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
      MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"],
    }));
    got.push(...(r.Messages || []));
  }
  return got;
}

const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "js-events" }));
check(TopicArn === "arn:aws:sns:us-east-1:000000000000:js-events", TopicArn);
const [envUrl, envArn] = await queue("js-env");
const [rawUrl, rawArn] = await queue("js-raw");
await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: envArn }));
const raw = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: rawArn }));
await sns.send(new SetSubscriptionAttributesCommand({
  SubscriptionArn: raw.SubscriptionArn, AttributeName: "RawMessageDelivery", AttributeValue: "true",
}));
await sns.send(new SetSubscriptionAttributesCommand({
  SubscriptionArn: raw.SubscriptionArn, AttributeName: "FilterPolicy",
  AttributeValue: JSON.stringify({ kind: [{ prefix: "order" }] }),
}));
await sns.send(new TagResourceCommand({ ResourceArn: TopicArn, Tags: [{ Key: "sdk", Value: "js" }] }));
const tags = await sns.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn }));
check(tags.Tags.length === 1 && tags.Tags[0].Value === "js", JSON.stringify(tags.Tags));

const one = await sns.send(new PublishCommand({
  TopicArn, Message: "first", Subject: "js",
  MessageAttributes: { kind: { DataType: "String", StringValue: "order-created" } },
}));
check(one.MessageId.length === 36, one.MessageId);
const batch = await sns.send(new PublishBatchCommand({
  TopicArn, PublishBatchRequestEntries: [
    { Id: "a", Message: "second", MessageAttributes: { kind: { DataType: "String", StringValue: "refund" } } },
    { Id: "b", Message: "third", MessageAttributes: { kind: { DataType: "String", StringValue: "order-paid" } } },
  ],
}));
check(batch.Successful.length === 2 && (batch.Failed || []).length === 0, JSON.stringify(batch));

const env = await drain(envUrl, 3);
check(env.length === 3, `enveloped ${env.length}`);
const first = env.map((m) => JSON.parse(m.Body)).find((e) => e.Message === "first");
check(first && first.Type === "Notification" && first.MessageId === one.MessageId &&
      first.Subject === "js" && first.MessageAttributes.kind.Value === "order-created",
      JSON.stringify(first));
const rawGot = await drain(rawUrl, 2);
check(rawGot.map((m) => m.Body).sort().join() === "first,third", rawGot.map((m) => m.Body).join());
check(rawGot.every((m) => m.MessageAttributes.kind.DataType === "String"), "raw attributes");

const fifo = await sns.send(new CreateTopicCommand({
  Name: "js-orders.fifo", Attributes: { FifoTopic: "true", ContentBasedDeduplication: "true" },
}));
const [fifoUrl, fifoArn] = await queue("js-orders.fifo", { FifoQueue: "true" });
await sns.send(new SubscribeCommand({
  TopicArn: fifo.TopicArn, Protocol: "sqs", Endpoint: fifoArn,
  Attributes: { RawMessageDelivery: "true" },
}));
const seqs = [];
for (let i = 0; i < 5; i++) {
  const r = await sns.send(new PublishCommand({
    TopicArn: fifo.TopicArn, Message: `m${i}`, MessageGroupId: "g",
  }));
  seqs.push(r.SequenceNumber);
}
check(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), seqs.join());
const ordered = await drain(fifoUrl, 5);
check(ordered.map((m) => m.Body).join() === "m0,m1,m2,m3,m4", ordered.map((m) => m.Body).join());

const topics = await sns.send(new ListTopicsCommand({}));
check(topics.Topics.length === 2, JSON.stringify(topics.Topics));
const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
check(subs.Subscriptions.length === 2, JSON.stringify(subs.Subscriptions));
const attrs = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
check(attrs.Attributes.SubscriptionsConfirmed === "2", JSON.stringify(attrs.Attributes));

try {
  await sns.send(new PublishCommand({ TopicArn: TopicArn + "-missing", Message: "x" }));
  check(false, "publish to a missing topic");
} catch (e) {
  check(e instanceof NotFoundException && e.message === "Topic does not exist", `${e.name} ${e.message}`);
}
try {
  await sns.send(new PublishCommand({ TopicArn: fifo.TopicArn, Message: "x" }));
  check(false, "FIFO publish without a group");
} catch (e) {
  check(e instanceof InvalidParameterException, `${e.name} ${e.message}`);
}
await sns.send(new DeleteTopicCommand({ TopicArn }));
console.log(`${checks} passed, 0 failed`);
