// Many Modbus TCP servers in one Node process, for tests/bench/ModbusBench: one modbus-serial ServerTCP per port,
// all on 127.0.0.1. Usage: node many-servers.js <port,port,...> [registers=100]
// Each server holds `registers` holding registers: hr[0] counts seconds, hr[i] = i otherwise; unit id 1.
// Prints "MANY_READY <count>" once every server listens.
const ModbusRTU = require("modbus-serial");

const ports = (process.argv[2] || "").split(",").filter(Boolean).map((p) => parseInt(p, 10));
const size = parseInt(process.argv[3] || "100", 10);
if (ports.length === 0) { console.error("usage: node many-servers.js <port,port,...> [registers]"); process.exit(2); }

let ready = 0;
const servers = ports.map((port) => {
  const holding = Array.from({ length: size }, (_, i) => i);
  setInterval(() => { holding[0] = (holding[0] + 1) & 0xffff; }, 1000);
  const vector = {
    getHoldingRegister: (a) => {
      if (a < 0 || a >= size) { const e = new Error("illegal address"); e.modbusErrorCode = 0x02; throw e; }
      return holding[a];
    },
    getMultipleHoldingRegisters: (a, n) => {
      if (a < 0 || a + n > size) { const e = new Error("illegal address"); e.modbusErrorCode = 0x02; throw e; }
      return holding.slice(a, a + n);
    },
  };
  const server = new ModbusRTU.ServerTCP(vector, { host: "127.0.0.1", port, unitID: 1 });
  server.on("initialized", () => { if (++ready === ports.length) console.log(`MANY_READY ${ready}`); });
  server.on("serverError", (e) => { console.error(`MANY_FAILED ${port} ${e.message}`); process.exit(1); });
  return server;
});

const stop = () => { servers.forEach((s) => s.close(() => {})); setTimeout(() => process.exit(0), 200); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
