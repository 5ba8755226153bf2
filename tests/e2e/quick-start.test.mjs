// The README's first quick-start command, `npm start`, run exactly as written (root package.json) with only PORT set
// to a free port, then what a person sees in headless Chromium: the editor with the quick-start flow and its debug
// output, and the HMI page at /ui with a live gauge and a heater boost switch that heats the simulated oven.
// Run: node --test tests/e2e/quick-start.test.mjs (part of npm run test:e2e).
//
// `npm start` keeps its data in .flowengine/ in the repository root. A developer's own .flowengine/ is moved aside
// for the run (so the test sees a first start, seeded from examples/quick-start/flows.json) and put back afterwards,
// whatever happens. npm runs in its own process group; the whole group (npm → dotnet run → flowengine) is ended at the
// end and the test checks that none of it is left.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { launchBrowser, repoRoot } from "./host.mjs";

// The first start builds the host in Release (dotnet run -c Release): minutes on a busy 2-core CI machine.
const FIRST_START_TIMEOUT_MS = 8 * 60_000;
const WAIT = { timeout: 30_000 };
const userDir = join(repoRoot, ".flowengine");
const asideDir = join(repoRoot, ".flowengine.moved-aside-by-quick-start-test");
const example = JSON.parse(readFileSync(join(repoRoot, "examples/quick-start/flows.json"), "utf8"));
const tab = example.find((n) => n.type === "tab");
const byName = (name) => example.find((n) => n.name === name);
const INJECT = byName("reading every 2 s").id;
const GAUGE = byName("oven gauge").id;
const CHART = byName("oven chart").id;
const LAMP = byName("above limit lamp").id;
const BOOST = byName("heater boost").id;

async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.listen(0, "127.0.0.1", resolve).on("error", reject));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Moves a developer's .flowengine/ aside; answers a function that puts it back (after removing the test's own). */
function moveUserDirAside() {
  if (existsSync(asideDir)) {
    throw new Error(`${asideDir} exists: an earlier run of this test was stopped before it could put .flowengine back. ` +
      "Move it back to .flowengine (or delete it) and run the test again.");
  }
  const hadOwn = existsSync(userDir);
  if (hadOwn) renameSync(userDir, asideDir);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    rmSync(userDir, { recursive: true, force: true });
    if (hadOwn) renameSync(asideDir, userDir);
  };
}

/** The processes of a process group, as `ps` lists them (pid and command line). */
function groupMembers(pgid) {
  const lines = execFileSync("ps", ["-eo", "pid=,pgid=,args="], { encoding: "utf8" }).split("\n");
  return lines.map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/)).filter((m) => m && Number(m[2]) === pgid)
    .map((m) => `${m[1]} ${m[3]}`);
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    if (error.code === "ESRCH") return false;
    throw error;
  }
}

/** `npm start` in the repository root, in a process group of its own, with PORT set. */
function startNpm(port) {
  const child = spawn("npm", ["start"], {
    cwd: repoRoot,
    env: { ...process.env, PORT: String(port) },
    detached: true, // its own process group (and session), so the whole tree can be ended at once
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pgid = child.pid;
  let output = "";
  const keep = (chunk) => { output = (output + chunk).slice(-200_000); };
  child.stdout.setEncoding("utf8").on("data", keep);
  child.stderr.setEncoding("utf8").on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  // Whatever ends this test process, the group must not stay behind holding the port.
  const emergency = () => { if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL"); };
  process.once("exit", emergency);
  return {
    pgid,
    log: () => output,
    exited,
    /** Resolves with the base URL once the host says it is running; rejects if npm ends first or after the timeout. */
    ready() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start did not serve in ${FIRST_START_TIMEOUT_MS / 60_000} min:\n${output}`)), FIRST_START_TIMEOUT_MS);
        const look = () => {
          const match = /Server now running at (http:\/\/\S+)/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1].endsWith("/") ? match[1] : match[1] + "/");
          }
        };
        child.stdout.on("data", look);
        child.stderr.on("data", look);
        exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`npm start ended (${code ?? signal}) before serving:\n${output}`)); });
      });
    },
    /** Ends the whole group: SIGTERM (the host shuts down cleanly), SIGKILL for anything still there after 30 s. */
    async stop() {
      const before = groupMembers(pgid);
      let forced = [];
      if (groupAlive(pgid)) {
        process.kill(-pgid, "SIGTERM");
        if (!(await waitUntil(() => !groupAlive(pgid), 30_000))) {
          forced = groupMembers(pgid);
          process.kill(-pgid, "SIGKILL");
          await waitUntil(() => !groupAlive(pgid), 10_000);
        }
      }
      await exited;
      process.removeListener("exit", emergency);
      return { before, forced, left: groupMembers(pgid) };
    },
  };
}

async function waitUntil(condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return condition();
}

/** The admin API answers 503 until the flows are loaded. */
async function waitForFlows(baseUrl) {
  const loaded = await waitUntil(async () => {
    const response = await fetch(baseUrl + "flows").catch(() => null);
    return response !== null && response.status === 200;
  }, 60_000);
  assert.ok(loaded, "GET /flows did not answer 200 within 60 s of the server starting");
}

test("npm start, as the README writes it, serves the quick-start flow in the editor and its HMI page", { timeout: FIRST_START_TIMEOUT_MS + 5 * 60_000 }, async (t) => {
  let run;
  let browser;
  let port;
  const restoreUserDir = moveUserDirAside();
  // An interrupted run (Ctrl-C, a CI job's timeout) skips the finally below: end the group and put .flowengine back here.
  const onSignal = (signal) => {
    if (run && groupAlive(run.pgid)) process.kill(-run.pgid, "SIGKILL");
    restoreUserDir();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    port = await freePort();
    const started = Date.now();
    run = startNpm(port);
    const baseUrl = await run.ready();
    await waitForFlows(baseUrl);
    t.diagnostic(`npm start: serving after ${((Date.now() - started) / 1000).toFixed(1)} s (including the Release build that dotnet run does when sources changed)`);
    assert.equal(baseUrl, `http://127.0.0.1:${port}/`, "the host listens on PORT");
    assert.match(run.log(), /Seeded the flows file from .*examples\/quick-start\/flows\.json/, "a first start seeds .flowengine/flows.json");
    assert.ok(existsSync(join(userDir, "flows.json")), ".flowengine/flows.json was written");
    browser = await launchBrowser();

    await t.test("the editor shows the quick-start tab with its nodes, and the debug sidebar receives readings", async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.on("pageerror", (error) => console.error("editor page error:", error.message));
      try {
        await page.goto(baseUrl);
        await page.locator(".tab", { hasText: tab.label }).waitFor(WAIT);
        await page.locator("g.node .node-label").first().waitFor(WAIT);
        const labels = await page.locator("g.node .node-label").allTextContents();
        const expected = example.filter((n) => n.z === tab.id).map((n) => n.name);
        assert.deepEqual([...labels].sort(), [...expected].sort(), "every node of the tab, by its name, on the canvas");

        await page.locator(".connection.connected").waitFor(WAIT);
        // A widget node's status under it shows what it last received: the gauge's reading.
        await page.locator(`g.node[data-node="${GAUGE}"] .status-text`, { hasText: /^\d+(\.\d)?$/ }).waitFor(WAIT);

        await page.locator(".debug-clear").click();
        const injected = page.waitForResponse((r) => r.url().endsWith(`/inject/${INJECT}`));
        await page.locator(`g.node[data-node="${INJECT}"] [data-button="inject"]`).click();
        assert.equal((await injected).status(), 200);
        const reading = page.locator(".debug-message", { hasText: "fahrenheit" }).first();
        await reading.waitFor(WAIT);
        assert.match(await reading.textContent(), /reading/);
        assert.match(await reading.textContent(), /celsius/);
      } finally {
        await page.close();
      }
    });

    await t.test("the HMI page at /ui shows the oven live, and the heater boost switch heats it above the limit", async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on("pageerror", (error) => console.error("HMI page error:", error.message));
      try {
        await page.goto(baseUrl + "ui");
        await page.locator(".connection.connected").waitFor(WAIT);
        await page.locator(".tab", { hasText: "Oven" }).waitFor(WAIT);
        await page.locator("section.group h2", { hasText: "Oven temperature" }).waitFor(WAIT);
        await page.locator("section.group h2", { hasText: "Operator" }).waitFor(WAIT);

        const gauge = page.locator(`[data-widget="${GAUGE}"]`);
        await gauge.waitFor(WAIT);
        await page.waitForFunction((id) => document.querySelector(`[data-widget="${id}"]`)?.dataset.value, GAUGE, WAIT);
        const first = await gauge.getAttribute("data-value");
        assert.ok(Number(first) >= 20 && Number(first) <= 23, `a normal reading (20..23 °C) on the gauge, not ${first}`);
        assert.equal(await gauge.getAttribute("data-band"), "normal");
        assert.equal(await gauge.locator(".gauge-unit").textContent(), "°C");
        // The value changes as readings come (every 2 s): wait for a different one.
        await page.waitForFunction(([id, value]) => {
          const shown = document.querySelector(`[data-widget="${id}"]`)?.dataset.value;
          return shown && shown !== value;
        }, [GAUGE, first], WAIT);
        assert.equal(await page.locator(`[data-widget="${LAMP}"]`).getAttribute("data-on"), "false", "below the limit the lamp is off");
        const points = async () => Number(await page.locator(`[data-widget="${CHART}"] [data-points]`).getAttribute("data-points"));
        const pointsBefore = await points();
        assert.ok(pointsBefore >= 2, `the chart holds the readings so far (${pointsBefore} points)`);

        // The operator turns the heater boost on: the next readings are 6 °C hotter, above the 24 °C limit.
        const toggle = page.locator(`[data-widget="${BOOST}"] button[role="switch"]`);
        assert.equal(await toggle.getAttribute("aria-checked"), "false");
        assert.equal(await toggle.isEnabled(), true, "without adminAuth everyone may operate the page");
        await toggle.click();
        await page.locator(`[data-widget="${BOOST}"] button[role="switch"][aria-checked="true"]`).waitFor(WAIT);
        await page.locator(`[data-widget="${GAUGE}"][data-band="hi"]`).waitFor(WAIT);
        const hot = Number(await gauge.getAttribute("data-value"));
        assert.ok(hot >= 26 && hot <= 29, `a boosted reading (26..29 °C) on the gauge, not ${hot}`);
        await page.locator(`[data-widget="${LAMP}"][data-on="true"]`).waitFor(WAIT);
        assert.equal(await page.locator(`[data-widget="${LAMP}"] .led-text`).textContent(), "ON");
        assert.ok(await points() > pointsBefore, "the chart keeps adding readings");
        const audit = await (await fetch(baseUrl + "audit")).json();
        assert.ok(audit.entries.some((e) => e.action === "hmi.action" && e.node === BOOST && e.value === true),
          `the switch is in the audit trail: ${JSON.stringify(audit.entries)}`);

        // Off again: readings fall back below the limit and the lamp goes out.
        await toggle.click();
        await page.locator(`[data-widget="${BOOST}"] button[role="switch"][aria-checked="false"]`).waitFor(WAIT);
        await page.locator(`[data-widget="${GAUGE}"][data-band="normal"]`).waitFor(WAIT);
        await page.locator(`[data-widget="${LAMP}"][data-on="false"]`).waitFor(WAIT);
      } finally {
        await page.close();
      }
    });
  } finally {
    try {
      await browser?.close();
      if (run) {
        const { before, forced, left } = await run.stop();
        t.diagnostic(`ended process group ${run.pgid}: ${before.length} processes (${before.map((p) => p.split(" ").slice(1, 3).join(" ")).join("; ")})`);
        assert.deepEqual(forced, [], "every process of npm start ends on SIGTERM within 30 s");
        assert.deepEqual(left, [], "no process of npm start is left");
        const answered = await fetch(`http://127.0.0.1:${port}/`).then(() => "something answers", () => "nothing");
        assert.equal(answered, "nothing", "nothing listens on PORT any more");
      }
    } finally {
      restoreUserDir();
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
    }
  }
});
