// OPC UA test peer built on node-opcua 2.186.4 (npm). Binds 127.0.0.1 only.
// Based on /work/shared/peers/opcua-server.js, plus for the FlowEngine tests: Device/Level (AnalogItem, EURange 0..200,
// writable, for deadbands), Device/Multiply(a Double, b Double) -> Double, Types/<BuiltInType> (one writable variable
// per built-in scalar type, ns=1;s=Types.<Type>), Types/DoubleArray, Many/Item000..Item119 (for BrowseNext), and
// with OPCUA_BENCH_ITEMS=N a folder Bench with N Double variables ns=1;s=Bench.<i> that all change every second.
// Endpoint opc.tcp://127.0.0.1:<port>/UA/TestPeer (also advertised as opc.tcp://localhost:<port>/UA/TestPeer)
// Security: None, Basic256Sha256 Sign, Basic256Sha256 SignAndEncrypt. Users: anonymous + one user name/password.
// Client certificates are auto-accepted; the self-signed server certificate (SAN: localhost, 127.0.0.1,
// URI urn:testpeer:opcua) is created on first start under $OPCUA_PKI/server/own/certs/certificate.pem (~1 s).
// Env: OPCUA_PORT (default 4840), OPCUA_PKI (default /tmp/peers/opcua-pki),
//      OPCUA_USER / OPCUA_PASSWORD (default user1 / password1)
// Address space (namespace index 1 = urn:testpeer:opcua), under Objects/Device (ns=1;i=1000):
//   ns=1;s=Temperature Double  read-only, 20 + 5*sin(t), changes every 500 ms
//   ns=1;s=Counter     Int32   read-only, +1 per second
//   ns=1;s=Running     Boolean read-only, true
//   ns=1;s=Name        String  read-only, "Line-1 Press" (write -> BadNotWritable)
//   ns=1;s=Setpoint    Double  read/write, initially 42.5
//   ns=1;s=Message     String  read/write, initially "hello"
//   ns=1;s=Enabled     Boolean read/write, initially false
// Prints "OPCUA_READY <endpointUrl> ..." on stdout when listening.
const path = require("path");
const { resolveNodeId, coerceLocalizedText, coerceQualifiedName,
  OPCUAServer, OPCUACertificateManager, Variant, DataType, StatusCodes,
  MessageSecurityMode, SecurityPolicy, VariantArrayType,
} = require("node-opcua");

const port = parseInt(process.env.OPCUA_PORT || "4840", 10);
const pki = process.env.OPCUA_PKI || "/tmp/peers/opcua-pki";
const user = process.env.OPCUA_USER || "user1";
const password = process.env.OPCUA_PASSWORD || "password1";

(async () => {
  const t0 = Date.now();
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: path.join(pki, "server"),
    automaticallyAcceptUnknownCertificate: true, // trust any client cert (test only)
  });
  const userCertificateManager = new OPCUACertificateManager({
    rootFolder: path.join(pki, "user"),
    automaticallyAcceptUnknownCertificate: true,
  });
  const server = new OPCUAServer({
    host: "127.0.0.1",            // listen address
    hostname: "127.0.0.1",        // name used in endpoint URLs
    alternateHostname: ["localhost", "127.0.0.1"], // also advertised; both end up in the certificate SAN
    serverInfo: { applicationUri: "urn:testpeer:opcua", productUri: "urn:testpeer", applicationName: { text: "TestPeer" } },
    port,
    resourcePath: "/UA/TestPeer",
    buildInfo: { productName: "TestPeer", buildNumber: "1", buildDate: new Date() },
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    allowAnonymous: true,
    userManager: { isValidUser: (u, p) => u === user && p === password },
    serverCertificateManager,
    userCertificateManager,
    registerServerMethod: 1, // HIDDEN: no LDS / mDNS
  });
  await server.initialize();

  const addressSpace = server.engine.addressSpace;
  const ns = addressSpace.getOwnNamespace(); // index 1, uri = applicationUri
  const device = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: "Device" });

  // ns=1;s=Temperature : Double, changes every 500 ms (sine)
  let t = 0;
  const temperature = ns.addVariable({
    componentOf: device, browseName: "Temperature", nodeId: "s=Temperature", dataType: "Double", minimumSamplingInterval: 100,
    value: { get: () => new Variant({ dataType: DataType.Double, value: 20 + 5 * Math.sin(t / 10) }) },
  });
  setInterval(() => { t++; temperature.touchValue(); }, 500);

  // ns=1;s=Counter : Int32, +1 every second
  let counter = 0;
  const counterVar = ns.addVariable({
    componentOf: device, browseName: "Counter", nodeId: "s=Counter", dataType: "Int32", minimumSamplingInterval: 100,
    value: { get: () => new Variant({ dataType: DataType.Int32, value: counter }) },
  });
  setInterval(() => { counter++; counterVar.touchValue(); }, 1000);

  // ns=1;s=Running : Boolean (read-only, true)
  ns.addVariable({
    componentOf: device, browseName: "Running", nodeId: "s=Running", dataType: "Boolean",
    accessLevel: "CurrentRead", userAccessLevel: "CurrentRead",
    value: new Variant({ dataType: DataType.Boolean, value: true }),
  });

  // ns=1;s=Name : String (read-only)
  ns.addVariable({
    componentOf: device, browseName: "Name", nodeId: "s=Name", dataType: "String",
    accessLevel: "CurrentRead", userAccessLevel: "CurrentRead",
    value: new Variant({ dataType: DataType.String, value: "Line-1 Press" }),
  });

  // ns=1;s=Setpoint : Double, writable (CurrentRead|CurrentWrite)
  let setpoint = 42.5;
  ns.addVariable({
    componentOf: device, browseName: "Setpoint", nodeId: "s=Setpoint", dataType: "Double", minimumSamplingInterval: 100,
    accessLevel: "CurrentRead | CurrentWrite", userAccessLevel: "CurrentRead | CurrentWrite",
    value: {
      get: () => new Variant({ dataType: DataType.Double, value: setpoint }),
      set: (v) => { setpoint = v.value; return StatusCodes.Good; },
    },
  });

  // ns=1;s=Message : String, writable
  let message = "hello";
  ns.addVariable({
    componentOf: device, browseName: "Message", nodeId: "s=Message", dataType: "String", minimumSamplingInterval: 100,
    accessLevel: "CurrentRead | CurrentWrite", userAccessLevel: "CurrentRead | CurrentWrite",
    value: {
      get: () => new Variant({ dataType: DataType.String, value: message }),
      set: (v) => { message = v.value; return StatusCodes.Good; },
    },
  });

  // ns=1;s=Enabled : Boolean, writable (plain value, no getter)
  ns.addVariable({
    componentOf: device, browseName: "Enabled", nodeId: "s=Enabled", dataType: "Boolean",
    accessLevel: "CurrentRead | CurrentWrite", userAccessLevel: "CurrentRead | CurrentWrite",
    value: new Variant({ dataType: DataType.Boolean, value: false }),
  });

  // Level : AnalogItem with EURange 0..200 (a percent deadband needs the range), writable
  let level = 0;
  ns.addAnalogDataItem({
    componentOf: device, browseName: "Level", nodeId: "s=Level", dataType: "Double", minimumSamplingInterval: 50,
    engineeringUnitsRange: { low: 0, high: 200 },
    accessLevel: "CurrentRead | CurrentWrite", userAccessLevel: "CurrentRead | CurrentWrite",
    value: {
      get: () => new Variant({ dataType: DataType.Double, value: level }),
      set: (v) => { level = v.value; return StatusCodes.Good; },
    },
  });

  // Multiply(a, b) -> a * b
  const multiply = ns.addMethod(device, {
    browseName: "Multiply", nodeId: "s=Multiply",
    inputArguments: [
      { name: "a", dataType: DataType.Double },
      { name: "b", dataType: DataType.Double },
    ],
    outputArguments: [{ name: "product", dataType: DataType.Double }],
  });
  multiply.bindMethod((inputArguments, context, callback) => {
    const product = inputArguments[0].value * inputArguments[1].value;
    callback(null, { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.Double, value: product }] });
  });

  // Types/<Type>: one writable scalar variable per built-in type
  const types = ns.addFolder(addressSpace.rootFolder.objects, { browseName: "Types", nodeId: "s=Types" });
  const initial = {
    Boolean: true, SByte: -8, Byte: 200, Int16: -1600, UInt16: 60000, Int32: -123456, UInt32: 4000000000,
    Int64: [0, 1234567], UInt64: [1, 2], Float: 1.5, Double: 3.25, String: "text", DateTime: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    Guid: "72962B91-FA75-4AE6-8D28-B404DC7DAF63", ByteString: Buffer.from([1, 2, 3]), XmlElement: "<a>1</a>",
    NodeId: resolveNodeId("ns=1;s=Temperature"), StatusCode: StatusCodes.BadNotWritable,
    QualifiedName: coerceQualifiedName({ namespaceIndex: 1, name: "Qn" }), LocalizedText: coerceLocalizedText({ locale: "en", text: "Hello" }),
  };
  for (const [typeName, value] of Object.entries(initial)) {
    ns.addVariable({
      componentOf: types, browseName: typeName, nodeId: `s=Types.${typeName}`, dataType: typeName,
      accessLevel: "CurrentRead | CurrentWrite", userAccessLevel: "CurrentRead | CurrentWrite",
      value: new Variant({ dataType: DataType[typeName], arrayType: VariantArrayType.Scalar, value }),
    });
  }
  ns.addVariable({
    componentOf: types, browseName: "DoubleArray", nodeId: "s=Types.DoubleArray", dataType: "Double", valueRank: 1, arrayDimensions: [0],
    accessLevel: "CurrentRead | CurrentWrite", userAccessLevel: "CurrentRead | CurrentWrite",
    value: new Variant({ dataType: DataType.Double, arrayType: 1, value: new Float64Array([1.5, 2.5, 3.5]) }),
  });

  // Many/Item000..Item119: more children than one Browse call returns when the client pages
  const many = ns.addFolder(addressSpace.rootFolder.objects, { browseName: "Many", nodeId: "s=Many" });
  for (let i = 0; i < 120; i++) {
    const name = `Item${String(i).padStart(3, "0")}`;
    ns.addVariable({ componentOf: many, browseName: name, nodeId: `s=Many.${name}`, dataType: "Int32", value: new Variant({ dataType: DataType.Int32, value: i }) });
  }

  // Bench: N variables that all change every second
  const benchItems = parseInt(process.env.OPCUA_BENCH_ITEMS || "0", 10);
  if (benchItems > 0) {
    const bench = ns.addFolder(addressSpace.rootFolder.objects, { browseName: "Bench", nodeId: "s=Bench" });
    const benchVars = [];
    let tick = 0;
    for (let i = 0; i < benchItems; i++) {
      benchVars.push(ns.addVariable({
        componentOf: bench, browseName: `B${i}`, nodeId: `s=Bench.${i}`, dataType: "Double", minimumSamplingInterval: 100,
        value: { get: () => new Variant({ dataType: DataType.Double, value: tick + i / 100000 }) },
      }));
    }
    setInterval(() => { tick++; for (const v of benchVars) v.touchValue(); }, 1000);
  }

  await server.start();
  const url = server.getEndpointUrl();
  console.log(`OPCUA_READY ${url} ns1=${ns.namespaceUri} startup_ms=${Date.now() - t0}`);
  for (const ep of server.endpoints) {
    for (const d of ep.endpointDescriptions()) {
      console.log(`  endpoint ${d.endpointUrl} mode=${MessageSecurityMode[d.securityMode]} policy=${d.securityPolicyUri.split("#")[1]} tokens=${d.userIdentityTokens.map(x => x.policyId).join(",")}`);
    }
  }
  const stop = async () => { await server.shutdown(0); process.exit(0); };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
})().catch((e) => { console.error("OPCUA_FAILED", e); process.exit(1); });
