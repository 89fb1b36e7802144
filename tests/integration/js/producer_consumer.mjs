// A producer with @aws-sdk/client-sqs v3 and a consumer built on the
// sqs-consumer library, against the endpoints given on the command line
// (producer first, consumer second). Exits non-zero unless every message
// arrives exactly once and the SDK's MD5 checks pass.
import { SQSClient, CreateQueueCommand, SendMessageCommand, SendMessageBatchCommand,
         GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { Consumer } from "sqs-consumer";

const [producerUrl, consumerUrl] = process.argv.slice(2);
const opts = (endpoint) => ({
  endpoint, region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
const producer = new SQSClient(opts(producerUrl));
const consumerClient = new SQSClient(opts(consumerUrl));

const { QueueUrl } = await producer.send(new CreateQueueCommand({ QueueName: "js-jobs" }));
const total = 200;
const sent = new Set();
for (let i = 0; i < total / 2; i++) {
  const body = `single-${i}`;
  await producer.send(new SendMessageCommand({
    QueueUrl, MessageBody: body,
    MessageAttributes: { index: { DataType: "Number", StringValue: String(i) } },
  }));
  sent.add(body);
}
for (let b = 0; b < total / 20; b++) {
  const Entries = [];
  for (let j = 0; j < 10; j++) {
    const body = `batch-${b}-${j}`;
    Entries.push({ Id: `e${j}`, MessageBody: body });
    sent.add(body);
  }
  const r = await producer.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
  if ((r.Failed || []).length) throw new Error(`batch failed: ${JSON.stringify(r.Failed)}`);
}

const received = new Map();
await new Promise((resolve, reject) => {
  const consumer = Consumer.create({
    queueUrl: QueueUrl.replace(new URL(QueueUrl).host, new URL(consumerUrl).host),
    sqs: consumerClient,
    batchSize: 10,
    waitTimeSeconds: 1,
    messageAttributeNames: ["All"],
    handleMessage: async (m) => {
      received.set(m.Body, (received.get(m.Body) || 0) + 1);
      if (received.size === total) {
        consumer.stop();
        resolve();
      }
      return m;
    },
  });
  consumer.on("error", (e) => reject(e));
  consumer.on("processing_error", (e) => reject(e));
  consumer.start();
  setTimeout(() => reject(new Error(`timed out with ${received.size}/${total}`)), 60000);
});

const dup = [...received.entries()].filter(([, n]) => n > 1);
const missing = [...sent].filter((b) => !received.has(b));
// Give the consumer's last deletes a moment, then the queue must be empty.
await new Promise((r) => setTimeout(r, 1500));
const attrs = await consumerClient.send(new GetQueueAttributesCommand({
  QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
}));
const left = Number(attrs.Attributes.ApproximateNumberOfMessages) +
             Number(attrs.Attributes.ApproximateNumberOfMessagesNotVisible);
const failed = (dup.length ? 1 : 0) + (missing.length ? 1 : 0) + (left ? 1 : 0);
console.log(`received ${received.size}/${total}, duplicates ${dup.length}, missing ${missing.length}, left ${left}`);
console.log(`${3 - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
