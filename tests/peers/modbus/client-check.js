// An outside Modbus TCP client (npm modbus-serial) that exercises a server under test and prints one JSON line with
// what it read, so a test can compare. Usage: node client-check.js <port> [unit]
// Expects the server to hold: holding[0..3] = 11, 22, 33, 44; input[0..1] = 500, 501; coils[0..3] = 1,0,1,1;
// discrete[0..2] = 0,1,1; a table size below 60000 (a read there must raise exception 02).
const ModbusRTU = require("modbus-serial");
const port = parseInt(process.argv[2], 10);
const unit = parseInt(process.argv[3] || "1", 10);

(async () => {
  const client = new ModbusRTU();
  await client.connectTCP("127.0.0.1", { port });
  client.setID(unit);
  client.setTimeout(3000);
  const out = {};
  out.fc1 = (await client.readCoils(0, 4)).data.slice(0, 4);
  out.fc2 = (await client.readDiscreteInputs(0, 3)).data.slice(0, 3);
  out.fc3 = (await client.readHoldingRegisters(0, 4)).data;
  out.fc4 = (await client.readInputRegisters(0, 2)).data;
  await client.writeCoil(10, true);
  out.fc5 = (await client.readCoils(10, 1)).data[0];
  await client.writeRegister(20, 0xBEEF);
  out.fc6 = (await client.readHoldingRegisters(20, 1)).data[0];
  await client.writeCoils(30, [true, false, true, true, false, true, true, true, true]);
  out.fc15 = (await client.readCoils(30, 9)).data.slice(0, 9);
  await client.writeRegisters(40, [1, 2, 65535]);
  out.fc16 = (await client.readHoldingRegisters(40, 3)).data;
  out.fc23 = await new Promise((resolve, reject) =>
    client.writeFC23(unit, 40, 4, 42, 2, [7, 8], (err, res) => (err ? reject(err) : resolve(res.data))));
  try {
    await client.readHoldingRegisters(60000, 1);
    out.exception = "none";
  } catch (e) {
    out.exception = e.modbusCode;
  }
  console.log(JSON.stringify(out));
  client.close(() => {});
})().catch((e) => { console.error("CLIENT_CHECK_FAILED", e && e.message); process.exit(1); });
