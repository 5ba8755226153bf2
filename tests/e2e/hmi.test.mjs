// Field technicians at the HMI (/ui), against the real host with adminAuth, in headless Chromium. Run: npm run test:e2e
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser, repoRoot } from "./host.mjs";
import { deploy, inject, login, startHmiHost } from "./hmi-host.mjs";
import { flows } from "./hmi-flows.mjs";

const WAIT = { timeout: 15000 };
let host;
let browser;
let admin;

before(async () => {
  host = await startHmiHost();
  browser = await launchBrowser();
  admin = await login(host.baseUrl, "admin");
  await deploy(host.baseUrl, admin, flows);
});

after(async () => {
  await browser?.close();
  await host?.stop();
});

/** A page logged in through the login form, showing the HMI live. */
async function openAs(username, viewport = { width: 1280, height: 800 }) {
  const page = await browser.newPage({ viewport });
  page.on("pageerror", (error) => console.error(`page error (${username}):`, error.message));
  await page.goto(host.baseUrl + "ui");
  await page.locator("form.login").waitFor(WAIT);
  await page.locator('form.login input[name="username"]').fill(username);
  await page.locator('form.login input[name="password"]').fill("password");
  await page.locator("form.login button[type=submit]").click();
  await live(page);
  return page;
}

async function live(page) {
  await page.locator(".connection.connected").waitFor(WAIT);
  await page.locator('[data-widget="gauge1"]').waitFor(WAIT);
}

async function audit(action) {
  const response = await fetch(host.baseUrl + "audit", { headers: { Authorization: `Bearer ${admin}` } });
  assert.equal(response.status, 200);
  const body = await response.json();
  const entries = Array.isArray(body) ? body : body.items ?? body.entries ?? [];
  return entries.filter((e) => e.action === action);
}

describe("the HMI", () => {
  test("a value message moves a gauge on every open page, with its alarm band", async (t) => {
    const first = await openAs("olivia");
    const second = await openAs("victor");
    try {
      await inject(host.baseUrl, admin, "inj42");
      for (const page of [first, second]) await page.locator('[data-widget="gauge1"][data-value="42"][data-band="normal"]').waitFor(WAIT);
      await inject(host.baseUrl, admin, "inj85");
      for (const page of [first, second]) {
        await page.locator('[data-widget="gauge1"][data-value="85"][data-band="hi"]').waitFor(WAIT);
        assert.equal(await page.locator('[data-widget="gauge1"] .gauge-value').textContent(), "85.0");
      }
      // A figure, not a check: from the inject request leaving the test to the gauge changing on the page
      // (inject HTTP call + flow + hub + drawing). Reported in the test output.
      const delays = [];
      for (let i = 0; i < 10; i++) {
        const target = i % 2 === 0 ? "42" : "85";
        const changed = first.evaluate((value) => new Promise((resolve) => {
          const gauge = document.querySelector('[data-widget="gauge1"]');
          const observer = new MutationObserver(() => {
            if (gauge.dataset.value === value) { observer.disconnect(); resolve(Date.now()); }
          });
          observer.observe(gauge, { attributes: true });
        }), target);
        await new Promise((r) => setTimeout(r, 50)); // the observer is in place
        const sent = Date.now();
        await inject(host.baseUrl, admin, target === "42" ? "inj42" : "inj85");
        delays.push((await changed) - sent);
      }
      delays.sort((a, b) => a - b);
      t.diagnostic(`value message to gauge on the page: median ${delays[5]} ms, max ${delays[9]} ms (10 samples)`);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test("a button press reaches a flow with the operator's name and is in the audit trail", async () => {
    const page = await openAs("olivia");
    try {
      const button = page.locator('[data-widget="btn1"] button');
      assert.equal(await button.isEnabled(), true);
      await button.click();
      // btn1 → change (payload = msg._client.user) → text1: the flow saw who pressed.
      await page.locator('[data-widget="text1"] .value', { hasText: "olivia" }).waitFor(WAIT);
      const entries = await audit("hmi.action");
      assert.ok(entries.some((e) => e.user === "olivia" && JSON.stringify(e).includes("btn1")), JSON.stringify(entries));
    } finally {
      await page.close();
    }
  });

  test("an operator acknowledges an alarm and its state changes on every page", async () => {
    await inject(host.baseUrl, admin, "inj85");
    const operator = await openAs("olivia");
    const viewer = await openAs("victor");
    try {
      const alarm = (page, state) => page.locator(`.alarm[data-state="${state}"]`, { hasText: "TT-101" });
      await alarm(operator, "UNACK").waitFor(WAIT);
      await alarm(viewer, "UNACK").waitFor(WAIT);
      assert.equal(await alarm(viewer, "UNACK").locator('[data-command="acknowledge"]').isDisabled(), true, "a viewer cannot acknowledge");
      await alarm(operator, "UNACK").locator('[data-command="acknowledge"]').click();
      await alarm(operator, "ACKED").waitFor(WAIT);
      await alarm(viewer, "ACKED").waitFor(WAIT);
      assert.match(await alarm(viewer, "ACKED").textContent(), /acknowledged by olivia/);
      const entries = await audit("hmi.alarm.acknowledge");
      assert.ok(entries.some((e) => e.user === "olivia"), JSON.stringify(entries));
    } finally {
      await operator.close();
      await viewer.close();
    }
  });

  test("a viewer's controls are disabled and a forged request is refused by the server", async () => {
    const page = await openAs("victor");
    try {
      assert.equal(await page.locator('[data-widget="btn1"] button').isDisabled(), true);
      assert.equal(await page.locator('[data-widget="switch1"] button').isDisabled(), true);
      assert.equal(await page.locator('[data-widget="slider1"] input').isDisabled(), true);
      assert.match(await page.locator(".user").textContent(), /victor \(view only\)/);
      const before = await page.locator('[data-widget="text1"] .value').textContent();
      // The viewer's own token, sent by hand as a script on the page would.
      const statuses = await page.evaluate(async () => {
        const token = localStorage.getItem("flowengine-hmi-token");
        const post = (path, body) => fetch(path, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.status);
        return [await post("/ui/api/widgets/btn1/action", { value: null }), await post("/ui/api/alarms/acknowledge", { id: "x" }),
          await fetch("/ui/api/widgets/btn1/action", { method: "POST", body: "{}" }).then((r) => r.status)];
      });
      assert.deepEqual(statuses, [401, 401, 401]);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await page.locator('[data-widget="text1"] .value').textContent(), before, "nothing reached the flow");
    } finally {
      await page.close();
    }
  });

  test("a page shows a lost connection plainly and catches up after a runtime restart", async () => {
    const page = await openAs("olivia");
    try {
      await inject(host.baseUrl, admin, "inj85");
      await page.locator('[data-widget="gauge1"][data-value="85"]').waitFor(WAIT);
      await host.restart({
        whileDown: async () => {
          await page.locator(".offline-banner").waitFor({ state: "visible", ...WAIT });
          assert.equal(await page.locator(".connection").textContent(), "offline");
        },
      });
      // Flows restart from flows.json; the page reconnects on its own, with the login it had.
      await page.locator(".offline-banner").waitFor({ state: "hidden", timeout: 30000 });
      await page.locator(".connection.connected").waitFor(WAIT);
      admin = await login(host.baseUrl, "admin");
      await inject(host.baseUrl, admin, "inj42");
      await page.locator('[data-widget="gauge1"][data-value="42"]').waitFor(WAIT);
    } finally {
      await page.close();
    }
  });

  test("screenshots at 800x480 and at desktop size for the README", async () => {
    const images = join(repoRoot, "docs/images");
    mkdirSync(images, { recursive: true });
    for (const [name, viewport] of [["hmi-800x480.png", { width: 800, height: 480 }], ["hmi-desktop.png", { width: 1280, height: 800 }]]) {
      const page = await openAs("olivia", viewport);
      try {
        await inject(host.baseUrl, admin, "inj85");
        await page.locator('[data-widget="gauge1"][data-value="85"]').waitFor(WAIT);
        await page.locator('[data-widget="chart1"] polyline').first().waitFor(WAIT);
        // Touch targets: every control of the page is at least 40 px high (48 px by design; borders aside).
        const heights = await page.locator(".page button, .page input, .page select").evaluateAll((nodes) => nodes.map((n) => n.getBoundingClientRect().height));
        assert.ok(heights.length > 5 && heights.every((h) => h >= 40), JSON.stringify(heights));
        // Nothing wider than the screen at 800 px: no sideways scrolling on a panel.
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
        await page.screenshot({ path: join(images, name), fullPage: false });
      } finally {
        await page.close();
      }
    }
  });
});
