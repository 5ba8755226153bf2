// Loopback Siemens S7 PLC for tests/FlowEngine.Nodes.S7.Tests: node-snap7's S7Server (Snap7, built from bundled C++).
// Env: S7_PORT (required by the tests; default 1102). Prints "S7_READY 127.0.0.1:<port>" when listening.
// Memory (big-endian, S7 layout; Snap7 accepts any rack/slot and grants the PDU size the client asks for, up to 4096):
//   DB1 (64 B) changes every 500 ms: DBD0 REAL 20+5*sin, DBW4 INT counter, DBX6.0 true, DBX6.1 toggles,
//       DBD8 DINT 123456, DBB12 STRING[20] 'Line-1 Press'.
//   DB2 (256 B) writable scratch, zero at start.
//   DB3 (64 B) fixed values of every type: B0 BYTE 0xA5, B1 CHAR 'Z', W2 WORD 0xBEEF, W4 INT -1234, D6 DWORD 0xDEADBEEF,
//       D10 DINT -123456789, D14 REAL 3.25, 18 LREAL 1234.5678, 26 STRING[10] 'Hello', B38 bits 0xA5,
//       40 INT[5] 1,-2,3,-4,5.
//   DB4 (1000 B) byte i = i % 251 (for PDU splitting).
//   MK 256 B (MB0 = 0x3C), PE 64 B (PE0 = 0xA5, PEW2 = 0x1234), PA 64 B, TM 64 B (T0 = 0x1234), CT 64 B (C0 = 0x0042).
//   DB99 does not exist (reads and writes answer "object does not exist").
const snap7 = require("node-snap7");

const port = parseInt(process.env.S7_PORT || "1102", 10);
const srv = new snap7.S7Server();

const db1 = Buffer.alloc(64);
const db2 = Buffer.alloc(256);
const db3 = Buffer.alloc(64);
const db4 = Buffer.alloc(1000);
const mk = Buffer.alloc(256);
const pe = Buffer.alloc(64);
const pa = Buffer.alloc(64);
const tm = Buffer.alloc(64);
const ct = Buffer.alloc(64);

let t = 0;
function fillDb1() {
  db1.writeFloatBE(20 + 5 * Math.sin(t / 10), 0);
  db1.writeInt16BE(t % 32768, 4);
  db1[6] = 0x01 | ((t % 2) << 1);
  db1.writeInt32BE(123456, 8);
  const s = "Line-1 Press";
  db1[12] = 20; db1[13] = s.length; db1.write(s, 14, "latin1");
}
fillDb1();

db3[0] = 0xa5;
db3.write("Z", 1, "latin1");
db3.writeUInt16BE(0xbeef, 2);
db3.writeInt16BE(-1234, 4);
db3.writeUInt32BE(0xdeadbeef, 6);
db3.writeInt32BE(-123456789, 10);
db3.writeFloatBE(3.25, 14);
db3.writeDoubleBE(1234.5678, 18);
db3[26] = 10; db3[27] = 5; db3.write("Hello", 28, "latin1");
db3[38] = 0xa5;
[1, -2, 3, -4, 5].forEach((v, i) => db3.writeInt16BE(v, 40 + 2 * i));
for (let i = 0; i < db4.length; i++) db4[i] = i % 251;
mk[0] = 0x3c;
pe[0] = 0xa5; pe.writeUInt16BE(0x1234, 2);
tm.writeUInt16BE(0x1234, 0);
ct.writeUInt16BE(0x0042, 0);

srv.RegisterArea(srv.srvAreaDB, 1, db1);
srv.RegisterArea(srv.srvAreaDB, 2, db2);
srv.RegisterArea(srv.srvAreaDB, 3, db3);
srv.RegisterArea(srv.srvAreaDB, 4, db4);
srv.RegisterArea(srv.srvAreaMK, mk);
srv.RegisterArea(srv.srvAreaPE, pe);
srv.RegisterArea(srv.srvAreaPA, pa);
srv.RegisterArea(srv.srvAreaTM, tm);
srv.RegisterArea(srv.srvAreaCT, ct);

if (process.env.S7_LOG) srv.on("event", (ev) => console.log(srv.EventText(ev)));

if (!srv.SetParam(srv.LocalPort, port)) { console.error("S7_FAILED SetParam LocalPort"); process.exit(1); }
srv.StartTo("127.0.0.1", (err) => {
  if (err) { console.error("S7_FAILED", err, srv.ErrorText ? srv.ErrorText(err) : ""); process.exit(1); }
  console.log(`S7_READY 127.0.0.1:${port}`);
  setInterval(() => { t++; fillDb1(); srv.SetArea(srv.srvAreaDB, 1, db1); }, 500);
});

const stop = () => srv.Stop(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
