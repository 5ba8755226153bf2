// Independent Sparkplug B peer for tests/FlowEngine.Nodes.Mqtt.Tests/Sparkplug: Eclipse Tahu's sparkplug-payload
// (protobufjs, its own copy of the schema) decodes and encodes, mqtt.js talks to the broker.
//   SPARKPLUG_PORT  broker port on 127.0.0.1
//   SPARKPLUG_FILTER  subscription (default spBv1.0/#)
// stdout: "SPARKPLUG_PEER_READY" once subscribed, then one JSON line per received message:
//   {"topic": "...", "payload": {...decoded...}}  or  {"topic": "...", "error": "..."} when it does not decode.
// stdin: one JSON line per message to publish: {"topic": "...", "payload": {...}} (encoded by Tahu) or
//   {"topic": "...", "raw": "<hex>"} (sent as is).
const mqtt = require("mqtt");
const readline = require("readline");
const sparkplug = require("sparkplug-payload").get("spBv1.0");

const port = Number(process.env.SPARKPLUG_PORT || 1883);
const filter = process.env.SPARKPLUG_FILTER || "spBv1.0/#";

// Longs become numbers (exact below 2^53) and byte arrays become hex, so the test reads plain JSON.
function plain(value) {
  if (value === null || value === undefined) return value;
  if (typeof value === "object" && typeof value.toNumber === "function" && "low" in value && "high" in value) return value.toNumber();
  if (value instanceof Uint8Array) return { hex: Buffer.from(value).toString("hex") };
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: "tahu-peer-" + process.pid, reconnectPeriod: 500 });
client.on("connect", () => {
  client.subscribe(filter, { qos: 1 }, (err) => {
    if (err) {
      console.error("subscribe failed: " + err.message);
      process.exit(2);
    }
    console.log("SPARKPLUG_PEER_READY");
  });
});
client.on("error", (err) => console.error("mqtt error: " + err.message));
client.on("message", (topic, message) => {
  if (topic.startsWith("spBv1.0/STATE/")) {
    console.log(JSON.stringify({ topic, state: message.toString("utf8") }));
    return;
  }
  try {
    console.log(JSON.stringify({ topic, payload: plain(sparkplug.decodePayload(message)) }));
  } catch (err) {
    console.log(JSON.stringify({ topic, error: String(err && err.message) }));
  }
});

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  const request = JSON.parse(line);
  const body = request.raw !== undefined ? Buffer.from(request.raw, "hex") : Buffer.from(sparkplug.encodePayload(request.payload));
  client.publish(request.topic, body, { qos: 1 }, (err) => {
    console.log(JSON.stringify({ published: request.topic, error: err ? err.message : null }));
  });
});
