// kafkajs against a cluster's Kafka listeners, as KafkajsTests runs it:
//   node roundtrip.js <brokers> <topic> <records>
// An idempotent producer (acks=all) sends <records> records, then a group of two consumers reads them; prints one
// JSON line: how many records were acknowledged and what each consumer read.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const [brokers, topic, count] = [process.argv[2].split(','), process.argv[3], Number(process.argv[4])];
const kafka = new Kafka({ clientId: 'kafkajs-compat', brokers, logLevel: logLevel.ERROR, retry: { retries: 10 } });

async function main() {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let acknowledged = 0;
  for (let start = 0; start < count; start += 100) {
    const messages = [];
    for (let i = start; i < Math.min(count, start + 100); i++) {
      messages.push({ key: `key-${i % 7}`, value: `${i}` });
    }
    // Resolves once every message of the send is acknowledged (and throws otherwise).
    await producer.send({ topic, acks: -1, messages });
    acknowledged += messages.length;
  }
  await producer.disconnect();

  const read = [[], []];
  const consumers = [0, 1].map(() => kafka.consumer({ groupId: `${topic}-group`, sessionTimeout: 10000, heartbeatInterval: 500 }));
  const done = new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`read ${read[0].length + read[1].length} of ${count} records in time`)), 60000);
    consumers.forEach(async (consumer, index) => {
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ partition, message }) => {
            read[index].push({ partition, offset: Number(message.offset), key: message.key.toString(), value: message.value.toString() });
            if (read[0].length + read[1].length >= count) {
              clearTimeout(deadline);
              resolve();
            }
          },
        });
      } catch (e) {
        reject(e);
      }
    });
  });
  try {
    await done;
  } finally {
    await Promise.all(consumers.map(c => c.disconnect()));
  }
  console.log(JSON.stringify({ acknowledged, read }));
}

main().catch(e => {
  console.error(e && e.stack || e);
  process.exit(1);
});
