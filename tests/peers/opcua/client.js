// OPC UA client driven by tests/FlowEngine.Nodes.OpcUa.Tests: the node-opcua CLIENT (node-opcua 2.186.4) against
// FlowEngine's own OPC UA server. Usage: node client.js '<plan json>'
// Plan: { url, mode: "None"|"Sign"|"SignAndEncrypt", user?, password?, pki (folder for the client's own certificate
//         and trust list), trustServerCertificate? (path of a DER file put in the client's trusted list; without it the
//         client refuses unknown server certificates), steps: [...] }
// Steps, each answered by one line "STEP <json>" = {op, ok, result | error}:
//   {op:"browse", nodeId}                         -> [{browseName, nodeId, nodeClass, typeDefinition, referenceTypeId}]
//   {op:"read", nodeId, attributes?:[names]}      -> {Value: {value, dataType, statusCode, sourceTimestamp}, DataType: ...}
//   {op:"write", nodeId, dataType, value}         -> status name
//   {op:"translate", path}                        -> node id ("/1:Line1/1:Oven/1:Temperature" from Objects)
//   {op:"subscribe", nodeId, count, timeoutMs?, samplingInterval?, deadband?}
//        prints "SUBSCRIBED <json>" once the monitored item exists, then its result is the first <count> values
// Prints "CONNECTED" once the session is open, "FAILED <json>" (exit 2) when it cannot connect, "DONE" at the end.
const fs = require("fs");
const {
  OPCUAClient, OPCUACertificateManager, MessageSecurityMode, SecurityPolicy, AttributeIds, DataType,
  TimestampsToReturn, UserTokenType, NodeClass, makeBrowsePath, DataChangeFilter, DeadbandType, DataChangeTrigger,
} = require("node-opcua");

const plan = JSON.parse(process.argv[2]);
const print = (prefix, obj) => process.stdout.write(prefix + (obj === undefined ? "" : " " + JSON.stringify(obj)) + "\n");

function plain(value) {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return { buffer: value.toString("base64") };
  if (ArrayBuffer.isView(value)) return Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "object") {
    if (value.name !== undefined && value.value !== undefined && typeof value.value === "number") return value.name; // StatusCode, enums
    if (typeof value.toString === "function" && value.constructor && ["NodeId", "ExpandedNodeId", "QualifiedName"].includes(value.constructor.name)) return value.toString();
    if (value.text !== undefined || value.locale !== undefined) return value.text ?? null; // LocalizedText
    return JSON.parse(JSON.stringify(value));
  }
  return value;
}

function dataValue(dv) {
  return {
    value: plain(dv.value ? dv.value.value : null),
    dataType: dv.value ? DataType[dv.value.dataType] : null,
    arrayType: dv.value ? dv.value.arrayType : 0,
    statusCode: dv.statusCode.name,
    sourceTimestamp: dv.sourceTimestamp ? dv.sourceTimestamp.toISOString() : null,
  };
}

async function run(session, step) {
  switch (step.op) {
    case "browse": {
      const result = await session.browse(step.nodeId);
      if (result.statusCode.name !== "Good") throw new Error(result.statusCode.name);
      return result.references.map((r) => ({
        browseName: r.browseName.toString(), nodeId: r.nodeId.toString(), nodeClass: NodeClass[r.nodeClass],
        typeDefinition: r.typeDefinition.toString(), referenceTypeId: r.referenceTypeId.toString(),
      }));
    }
    case "read": {
      const names = step.attributes || ["Value"];
      const values = await session.read(names.map((n) => ({ nodeId: step.nodeId, attributeId: AttributeIds[n] })));
      const out = {};
      names.forEach((n, i) => { out[n] = dataValue(values[i]); });
      return out;
    }
    case "write": {
      const status = await session.write({
        nodeId: step.nodeId, attributeId: AttributeIds.Value,
        value: { value: { dataType: DataType[step.dataType], value: step.value } },
      });
      return status.name;
    }
    case "translate": {
      const result = await session.translateBrowsePath(makeBrowsePath("i=85", step.path));
      if (result.statusCode.name !== "Good") throw new Error(result.statusCode.name);
      return result.targets[0].targetId.toString();
    }
    case "subscribe": {
      const subscription = await session.createSubscription2({
        requestedPublishingInterval: 100, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 100, publishingEnabled: true,
      });
      const values = [];
      const filter = step.deadband ? new DataChangeFilter({ trigger: DataChangeTrigger.StatusValue, deadbandType: DeadbandType.Absolute, deadbandValue: step.deadband }) : null;
      const item = await subscription.monitor({ nodeId: step.nodeId, attributeId: AttributeIds.Value },
        { samplingInterval: step.samplingInterval ?? 0, queueSize: 100, discardOldest: true, filter }, TimestampsToReturn.Both);
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve(), step.timeoutMs || 20000);
        item.on("changed", (dv) => {
          values.push(dataValue(dv));
          if (values.length === 1) print("SUBSCRIBED", { nodeId: step.nodeId });
          if (values.length >= step.count) { clearTimeout(timer); resolve(); }
        });
        item.on("err", (e) => { clearTimeout(timer); reject(new Error(String(e))); });
      });
      await subscription.terminate();
      return values;
    }
    default:
      throw new Error("unknown op " + step.op);
  }
}

(async () => {
  const certificateManager = new OPCUACertificateManager({ rootFolder: plan.pki, automaticallyAcceptUnknownCertificate: false });
  await certificateManager.initialize();
  if (plan.trustServerCertificate) await certificateManager.trustCertificate(fs.readFileSync(plan.trustServerCertificate));
  const mode = MessageSecurityMode[plan.mode || "None"];
  const client = OPCUAClient.create({
    applicationName: "NodeOpcUaTestClient",
    endpointMustExist: false,
    securityMode: mode,
    securityPolicy: mode === MessageSecurityMode.None ? SecurityPolicy.None : SecurityPolicy.Basic256Sha256,
    clientCertificateManager: certificateManager,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    requestedSessionTimeout: 30000,
  });
  let session;
  try {
    await client.connect(plan.url);
    session = await client.createSession(plan.user
      ? { type: UserTokenType.UserName, userName: plan.user, password: plan.password }
      : { type: UserTokenType.Anonymous });
  } catch (e) {
    print("FAILED", { error: String(e && e.message || e) });
    try { await client.disconnect(); } catch (_) { /* already gone */ }
    process.exit(2);
  }
  print("CONNECTED");
  for (const step of plan.steps || []) {
    try {
      print("STEP", { op: step.op, ok: true, result: await run(session, step) });
    } catch (e) {
      print("STEP", { op: step.op, ok: false, error: String(e && e.message || e) });
    }
  }
  await session.close();
  await client.disconnect();
  print("DONE");
  process.exit(0);
})().catch((e) => { print("FAILED", { error: String(e && e.stack || e) }); process.exit(2); });
