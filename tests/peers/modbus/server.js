// Modbus TCP server for FlowEngine's Modbus tests, on npm modbus-serial's ServerTCP. Listens on 127.0.0.1 only.
// Env: MODBUS_PORT (required: the fixture passes a free port), MODBUS_UNIT (default 1; other unit ids get no reply),
//      MODBUS_SIZE (entries per table, default 1000; addresses beyond raise exception 02 Illegal Data Address).
// Tables (0-based):  coil[i] = i is even    discrete[i] = i is a multiple of 3    holding[i] = i    input[i] = 1000 + i
// Special holding registers:
//   100..109  refuse writes with exception 04 (Server Device Failure), like a PLC protecting its program data
//   800..899  answer reads after (address - 800) × 10 ms, so responses to pipelined requests come back out of order
//             and a poll can be made slower than its interval
// Prints "MODBUS_PEER_READY 127.0.0.1:<port>" when listening, and "REQ unit=U fc=F addr=A qty=Q" for every request
// frame received, so tests can count the requests a client really sent.
const ModbusRTU = require("modbus-serial");

const port = parseInt(process.env.MODBUS_PORT || "", 10);
if (!port) { console.error("MODBUS_PORT is required"); process.exit(2); }
const unitID = parseInt(process.env.MODBUS_UNIT || "1", 10);
const size = parseInt(process.env.MODBUS_SIZE || "1000", 10);

const coils = [], discrete = [], holding = [], input = [];
for (let i = 0; i < size; i++) {
  coils.push(i % 2 === 0);
  discrete.push(i % 3 === 0);
  holding.push(i);
  input.push((1000 + i) & 0xffff);
}

function inRange(address) {
  if (address < 0 || address >= size) {
    const error = new Error(`address ${address} is outside 0..${size - 1}`);
    error.modbusErrorCode = 0x02;
    throw error;
  }
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const vector = {
  getCoil: (a) => { inRange(a); return coils[a]; },
  getDiscreteInput: (a) => { inRange(a); return discrete[a]; },
  getInputRegister: (a) => { inRange(a); return input[a]; },
  getHoldingRegister: (a) => {
    inRange(a);
    if (a >= 800 && a < 900) return delay((a - 800) * 10).then(() => holding[a]);
    return holding[a];
  },
  setCoil: (a, value) => { inRange(a); coils[a] = !!value; },
  setRegister: (a, value) => {
    inRange(a);
    if (a >= 100 && a < 110) {
      const error = new Error(`holding ${a} is write-protected`);
      error.modbusErrorCode = 0x04;
      throw error;
    }
    holding[a] = value & 0xffff;
  },
};

const server = new ModbusRTU.ServerTCP(vector, { host: "127.0.0.1", port, unitID, debug: false });

// Count request frames as they arrive (MBAP header: tid, protocol, length, unit; then function code and fields).
server._server.on("connection", (socket) => {
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const length = pending.readUInt16BE(4);
      if (pending.length < 6 + length) break;
      const unit = pending[6], fc = pending[7];
      const addr = length >= 4 ? pending.readUInt16BE(8) : -1;
      const qty = length >= 6 ? pending.readUInt16BE(10) : -1;
      console.log(`REQ unit=${unit} fc=${fc} addr=${addr} qty=${qty}`);
      pending = pending.subarray(6 + length);
    }
  });
});

server.on("initialized", () => console.log(`MODBUS_PEER_READY 127.0.0.1:${port}`));
server.on("socketError", (e) => console.error("socketError", e.message));
server.on("serverError", (e) => { console.error("MODBUS_PEER_FAILED", e.message); process.exit(1); });
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
