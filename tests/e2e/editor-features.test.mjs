// A person's sessions with groups, link wires, subflows, search, the info sidebar and read-only mode, against the real
// host in headless Chromium. Run: node --test tests/e2e/editor-features.test.mjs
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { deployFlows, getFlows, launchBrowser, repoRoot, startHost } from "./host.mjs";
import { boxSelect, centre, deployWithButton, dragFromPalette, dragMouse, menu, nodePosition, openEditor } from "./editor-session.mjs";

const tab = "e2e0000000000001";
let host;
let browser;
let page;
let hubAvailable = false;

before(async () => {
  host = await startHost();
  browser = await launchBrowser();
  const negotiate = await fetch(host.baseUrl + "comms/negotiate?negotiateVersion=1", { method: "POST" }).catch(() => null);
  hubAvailable = negotiate?.ok === true;
});

after(async () => {
  await browser?.close();
  await host?.stop();
});

beforeEach(async () => {
  await deployFlows(host.baseUrl, [{ id: tab, type: "tab", label: "Flow 1", disabled: false, info: "" }]);
  await page?.close();
  page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  page.on("pageerror", (error) => console.error("page error:", error.message));
});

async function screenshot(name) {
  await page.locator(".notification").evaluateAll((notes) => notes.forEach((n) => n.remove()));
  mkdirSync(join(repoRoot, "docs/images"), { recursive: true });
  await page.screenshot({ path: join(repoRoot, "docs/images", name) });
}

describe("editor features", () => {
  test("a person groups two nodes, names the group, moves it with its nodes, deploys, then ungroups", async () => {
    await openEditor(page, host.baseUrl);
    const inject = await dragFromPalette(page, "inject", 200, 160);
    const debug = await dragFromPalette(page, "debug", 420, 160);
    await boxSelect(page, 100, 100, 560, 220);
    assert.equal(await page.locator("g.node.selected").count(), 2);
    await menu(page, "group");
    const group = page.locator("g.group");
    assert.equal(await group.count(), 1);
    assert.equal(await page.locator("g.group.selected").count(), 1, "the new group is selected");
    // The box encloses both nodes.
    const box = await group.locator(".group-body").boundingBox();
    for (const id of [inject, debug]) {
      const node = await page.locator(`g.node[data-node="${id}"] .node-body`).boundingBox();
      assert.ok(node.x > box.x && node.y > box.y && node.x + node.width < box.x + box.width && node.y + node.height < box.y + box.height, `${id} inside the group`);
    }

    // Double-click on the group's empty area: its dialog; the name is drawn as the label.
    const inside = { x: box.x + box.width / 2, y: box.y + 6 };
    await page.mouse.dblclick(inside.x, inside.y);
    await page.locator('.group-dialog input[name="name"]').fill("sensors");
    await page.locator(".group-dialog button.primary").click();
    assert.equal(await page.locator("g.group .group-label").textContent(), "sensors");

    // Dragging the group moves its nodes with it (and they stay on the grid).
    const before = [await nodePosition(page, inject), await nodePosition(page, debug)];
    const start = await group.locator(".group-body").boundingBox();
    await dragMouse(page, { x: start.x + start.width / 2, y: start.y + 6 }, { x: start.x + start.width / 2 + 100, y: start.y + 6 + 60 });
    const moved = [await nodePosition(page, inject), await nodePosition(page, debug)];
    for (let i = 0; i < 2; i++) {
      assert.equal(moved[i].x, before[i].x + 100);
      assert.equal(moved[i].y, before[i].y + 60);
    }
    const end = await group.locator(".group-body").boundingBox();
    assert.ok(Math.abs(end.x - start.x - 100) < 2 && Math.abs(end.y - start.y - 60) < 2, "the box moved by the same amount");

    await screenshot("editor-group.png");
    await deployWithButton(page);
    let flows = await getFlows(host.baseUrl);
    const deployed = flows.find((n) => n.type === "group");
    assert.equal(deployed.name, "sensors");
    assert.deepEqual([...deployed.nodes].sort(), [inject, debug].sort());
    assert.equal(flows.find((n) => n.id === inject).g, deployed.id);

    // Ungroup: the box goes, the nodes stay where they are.
    await page.mouse.click(end.x + end.width / 2, end.y + 6);
    await page.keyboard.press("Control+Shift+U");
    assert.equal(await page.locator("g.group").count(), 0);
    assert.equal(await page.locator("g.node").count(), 2);
    assert.deepEqual(await nodePosition(page, inject), moved[0]);
    await deployWithButton(page);
    flows = await getFlows(host.baseUrl);
    assert.equal(flows.filter((n) => n.type === "group").length, 0);
    assert.equal(flows.find((n) => n.id === inject).g, undefined);
  });

  test("a person adds a flow, renames and disables it, drags it first, deploys, then deletes it with its nodes", async () => {
    await openEditor(page, host.baseUrl);
    await page.locator(".tab-add").click();
    assert.equal(await page.locator(".tab.active").textContent(), "Flow 2");
    const inject = await dragFromPalette(page, "inject", 200, 120);
    await page.locator(".tab.active").dblclick();
    await page.locator('.tab-dialog input[name="label"]').fill("Line 2");
    await page.locator('.tab-dialog input[name="enabled"]').uncheck();
    await page.locator(".tab-dialog button.primary").click();
    const line2 = page.locator(".tab", { hasText: "Line 2" });
    assert.equal(await line2.evaluate((b) => b.classList.contains("disabled")), true);
    await line2.dragTo(page.locator(".tab", { hasText: "Flow 1" }));
    assert.deepEqual(await page.locator(".tabs .tab").allTextContents(), ["Line 2", "Flow 1"]);

    await deployWithButton(page);
    let flows = await getFlows(host.baseUrl);
    const tabs = flows.filter((n) => n.type === "tab");
    assert.deepEqual(tabs.map((t) => t.label), ["Line 2", "Flow 1"]);
    assert.equal(tabs[0].disabled, true);
    assert.equal(flows.find((n) => n.id === inject).z, tabs[0].id);

    await line2.dblclick();
    await page.locator(".tab-dialog button", { hasText: "Delete" }).click();
    assert.deepEqual(await page.locator(".tabs .tab").allTextContents(), ["Flow 1"]);
    await deployWithButton(page);
    flows = await getFlows(host.baseUrl);
    assert.deepEqual(flows.filter((n) => n.type === "tab").map((t) => t.label), ["Flow 1"]);
    assert.equal(flows.some((n) => n.id === inject), false, "the flow's nodes went with it");
    // The last flow stays.
    await page.locator(".tab", { hasText: "Flow 1" }).dblclick();
    await page.locator(".tab-dialog button", { hasText: "Delete" }).click();
    assert.match(await page.locator(".tab-dialog .form-error").textContent(), /last flow/);
  });

  test("the function dialog has On Start, On Message and On Stop tabs", async () => {
    await openEditor(page, host.baseUrl);
    const fn = await dragFromPalette(page, "function", 240, 140);
    await page.locator(`g.node[data-node="${fn}"] .node-body`).dblclick();
    assert.deepEqual(await page.locator(".edit-dialog .code-tab").allTextContents(), ["On Start", "On Message", "On Stop"]);
    assert.equal(await page.locator('.edit-dialog textarea[name="func"]').isVisible(), true, "On Message is shown first");
    assert.equal(await page.locator('.edit-dialog textarea[name="initialize"]').isVisible(), false);
    await page.locator(".edit-dialog .code-tab", { hasText: "On Start" }).click();
    await page.locator('.edit-dialog textarea[name="initialize"]').fill("context.set('count', 0);");
    assert.ok(await page.locator('.edit-dialog .code-tab-panel[data-tab="initialize"] .hl-string').count() > 0, "highlighted");
    await page.locator(".edit-dialog .code-tab", { hasText: "On Stop" }).click();
    await page.locator('.edit-dialog textarea[name="finalize"]').fill("node.log('bye');");
    await page.locator(".edit-dialog button.primary").click();
    await deployWithButton(page);
    const deployed = (await getFlows(host.baseUrl)).find((n) => n.id === fn);
    assert.equal(deployed.initialize, "context.set('count', 0);");
    assert.equal(deployed.finalize, "node.log('bye');");
  });

  test("a person imports a flow file: the preview counts its nodes before anything is added", async () => {
    await openEditor(page, host.baseUrl);
    await page.locator(".import-button").click();
    const file = JSON.stringify([
      { id: "f100000000000001", type: "tab", label: "From file", disabled: false, info: "" },
      { id: "f100000000000002", type: "inject", z: "f100000000000001", name: "file inject", props: [{ p: "payload" }], payload: "", payloadType: "date", repeat: "", crontab: "", once: false, x: 140, y: 80, wires: [["f100000000000003"]] },
      { id: "f100000000000003", type: "debug", z: "f100000000000001", name: "file debug", active: true, tosidebar: true, complete: "payload", targetType: "msg", x: 360, y: 80, wires: [] },
    ]);
    await page.locator(".import-file").setInputFiles({ name: "flows.json", mimeType: "application/json", buffer: Buffer.from(file) });
    await page.locator(".import-preview", { hasText: "2 nodes to import in 1 new flow" }).waitFor();
    assert.equal(await page.locator(".tab", { hasText: "From file" }).count(), 0, "nothing is added before Import");
    await page.locator(".import-dialog button.primary").click();
    assert.equal(await page.locator(".tab.active").textContent(), "From file");
    assert.equal(await page.locator("g.node").count(), 2);
    assert.equal(await page.locator("g.wire").count(), 1);
    assert.equal(await page.locator('g.node[data-x="140"][data-y="80"] .node-label').textContent(), "file inject");
  });

  test("deploying 'modified nodes' leaves an untouched node running with its state", async () => {
    const counter = "a100000000000002";
    await deployFlows(host.baseUrl, [
      { id: tab, type: "tab", label: "Flow 1", disabled: false, info: "" },
      { id: "a100000000000001", type: "inject", z: tab, name: "tick", props: [{ p: "payload" }], payload: "", payloadType: "date", repeat: "", crontab: "", once: false, onceDelay: 0.1, topic: "", x: 140, y: 80, wires: [[counter]] },
      // On Start sets the count to 0: a restarted node would start again from 0.
      { id: counter, type: "function", z: tab, name: "counter", func: "context.set('count', (context.get('count') || 0) + 1);\nreturn msg;", outputs: 1, timeout: 0, noerr: 0, initialize: "context.set('count', 0);", finalize: "", libs: [], x: 340, y: 80, wires: [[]] },
      { id: "a100000000000003", type: "debug", z: tab, name: "other", active: true, tosidebar: true, console: false, tostatus: false, complete: "payload", targetType: "msg", x: 340, y: 180, wires: [] },
    ]);
    const count = async () => {
      const context = await (await fetch(host.baseUrl + `context/node/${counter}`)).json();
      const entry = context.memory?.count ?? context.count;
      return entry === undefined ? undefined : Number(entry.msg ?? entry);
    };
    for (let i = 0; i < 2; i++) assert.equal((await fetch(host.baseUrl + "inject/a100000000000001", { method: "POST" })).status, 200);
    for (let i = 0; i < 100 && (await count()) !== 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await count(), 2);

    await openEditor(page, host.baseUrl);
    await page.locator('g.node[data-node="a100000000000003"] .node-body').dblclick();
    await page.locator('.edit-dialog input[name="name"]').fill("renamed");
    await page.locator(".edit-dialog button.primary").click();
    await page.locator(".deploy-menu-button").click();
    await page.locator('[data-deploy="nodes"]').click();
    await deployWithButton(page);
    assert.equal(await count(), 2, "the untouched function node kept its context: it was not restarted");

    // The same change with a full deploy restarts every node: On Start sets the count back to 0.
    await page.locator('g.node[data-node="a100000000000003"] .node-body').dblclick();
    await page.locator('.edit-dialog input[name="name"]').fill("renamed again");
    await page.locator(".edit-dialog button.primary").click();
    await page.locator(".deploy-menu-button").click();
    await page.locator('[data-deploy="full"]').click();
    await deployWithButton(page);
    for (let i = 0; i < 50 && (await count()) !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await count(), 0, "a full deploy restarted it");
  });

  test("a person splits a wire with a junction and the message still goes through", async (t) => {
    await deployFlows(host.baseUrl, [
      { id: tab, type: "tab", label: "Flow 1", disabled: false, info: "" },
      { id: "a200000000000001", type: "inject", z: tab, name: "go", props: [{ p: "payload" }, { p: "topic", vt: "str" }], payload: "through the junction", payloadType: "str", repeat: "", crontab: "", once: false, onceDelay: 0.1, topic: "", x: 140, y: 100, wires: [["a200000000000002"]] },
      { id: "a200000000000002", type: "debug", z: tab, name: "end", active: true, tosidebar: true, console: false, tostatus: false, complete: "payload", targetType: "msg", x: 540, y: 100, wires: [] },
    ]);
    await openEditor(page, host.baseUrl);
    const hit = await page.locator("g.wire .wire-hit").boundingBox();
    await page.mouse.click(hit.x + hit.width / 2, hit.y + hit.height / 2);
    assert.equal(await page.locator("g.wire.selected").count(), 1);
    await menu(page, "junction");
    const junction = page.locator("g.node.junction");
    assert.equal(await junction.count(), 1);
    assert.equal(await page.locator("g.wire").count(), 2);
    const id = await junction.getAttribute("data-node");
    await deployWithButton(page);
    const flows = await getFlows(host.baseUrl);
    assert.deepEqual(flows.find((n) => n.id === "a200000000000001").wires, [[id]]);
    assert.deepEqual(flows.find((n) => n.id === id).wires, [["a200000000000002"]]);
    if (!hubAvailable) { t.skip("no comms hub in this host build"); return; }
    await page.locator(".connection.connected").waitFor({ timeout: 15000 });
    await page.locator('g.node[data-node="a200000000000001"] [data-button="inject"]').click();
    await page.locator(".debug-message", { hasText: "through the junction" }).waitFor({ timeout: 10000 });
  });

  test("hovering a link node shows its virtual wires", async () => {
    await deployFlows(host.baseUrl, [
      { id: tab, type: "tab", label: "Flow 1", disabled: false, info: "" },
      { id: "f000000000000001", type: "link out", z: tab, name: "to sink", mode: "link", links: ["f000000000000002"], x: 160, y: 100, wires: [] },
      { id: "f000000000000002", type: "link in", z: tab, name: "sink", links: ["f000000000000001"], x: 460, y: 260, wires: [] },
      { id: "f000000000000003", type: "debug", z: tab, name: "unrelated", active: true, tosidebar: true, complete: "payload", targetType: "msg", x: 460, y: 100, wires: [] },
    ]);
    await openEditor(page, host.baseUrl);
    assert.equal(await page.locator(".link-wire").count(), 0, "no virtual wire without hover");
    await page.locator('g.node[data-node="f000000000000001"] .node-body').hover();
    assert.equal(await page.locator(".link-wire").count(), 1);
    await page.locator('g.node[data-node="f000000000000003"] .node-body').hover();
    assert.equal(await page.locator(".link-wire").count(), 0, "hovering another node hides it");
    await page.locator('g.node[data-node="f000000000000002"] .node-body').hover();
    assert.equal(await page.locator(".link-wire").count(), 1, "hovering the link in shows the same wire");
  });

  test("a person turns a node into a subflow, edits the template in its tab, sets an instance property and deploys", async (t) => {
    await deployFlows(host.baseUrl, [
      { id: tab, type: "tab", label: "Flow 1", disabled: false, info: "" },
      { id: "a000000000000001", type: "inject", z: tab, name: "go", props: [{ p: "payload" }], payload: "", payloadType: "date", repeat: "", crontab: "", once: false, onceDelay: 0.1, topic: "", x: 140, y: 120, wires: [["a000000000000002"]] },
      { id: "a000000000000002", type: "change", z: tab, name: "greet", rules: [{ t: "set", p: "payload", pt: "msg", to: "GREETING", tot: "env" }], x: 340, y: 120, wires: [["a000000000000003"]] },
      { id: "a000000000000003", type: "debug", z: tab, name: "out", active: true, tosidebar: true, console: false, tostatus: false, complete: "payload", targetType: "msg", x: 540, y: 120, wires: [] },
    ]);
    await openEditor(page, host.baseUrl);
    await page.locator('g.node[data-node="a000000000000002"] .node-body').click();
    await menu(page, "subflow");
    assert.equal(await page.locator('g.node[data-node="a000000000000002"]').count(), 0, "the change node left the flow");
    const instance = page.locator('g.node[data-type^="subflow:"]');
    assert.equal(await instance.count(), 1);
    assert.equal(await page.locator("g.wire").count(), 2, "inject → instance → debug");
    const instanceId = await instance.getAttribute("data-node");

    // The instance's dialog opens the template in its own tab: the change node, an input and an output.
    await instance.locator(".node-body").dblclick();
    await page.locator(".subflow-dialog .edit-template").click();
    await page.locator(".tab.subflow-tab.active", { hasText: "Subflow 1" }).waitFor();
    assert.equal(await page.locator("g.node").count(), 1);
    assert.equal(await page.locator('g.node[data-node="a000000000000002"]').count(), 1);
    assert.equal(await page.locator(".subflow-port.subflow-in").count(), 1);
    assert.equal(await page.locator(".subflow-port.subflow-out").count(), 1);
    assert.equal(await page.locator("g.subflow-wire").count(), 2);
    await screenshot("editor-subflow.png");
    // The template's name and a property with its default.
    await page.locator(".subflow-properties").click();
    await page.locator('.subflow-dialog input[name="name"]').fill("greeter");
    await page.locator(".subflow-dialog .env-add").click();
    await page.locator('.subflow-dialog input[name="env-name"]').fill("GREETING");
    await page.locator('.subflow-dialog input[name="env-value"]').fill("hello");
    await page.locator(".subflow-dialog button.primary").click();
    await page.locator(".tab.subflow-tab.active", { hasText: "greeter" }).waitFor();

    // Back on the flow: the instance overrides the property.
    await page.locator(".tab", { hasText: "Flow 1" }).click();
    assert.equal(await page.locator(`g.node[data-node="${instanceId}"] .node-label`).textContent(), "greeter");
    await page.locator(`g.node[data-node="${instanceId}"] .node-body`).dblclick();
    const value = page.locator('.subflow-dialog .env-entry input[name="env-value"]');
    assert.equal(await value.inputValue(), "hello", "the template's default is shown");
    await value.fill("hello from the subflow instance");
    await page.locator(".subflow-dialog button.primary").click();

    await deployWithButton(page);
    const flows = await getFlows(host.baseUrl);
    const template = flows.find((n) => n.type === "subflow");
    assert.equal(template.name, "greeter");
    assert.deepEqual(template.env, [{ name: "GREETING", type: "str", value: "hello" }]);
    assert.deepEqual(template.in[0].wires, [{ id: "a000000000000002" }]);
    assert.deepEqual(template.out[0].wires, [{ id: "a000000000000002", port: 0 }]);
    assert.equal(flows.find((n) => n.id === "a000000000000002").z, template.id);
    const deployedInstance = flows.find((n) => n.id === instanceId);
    assert.equal(deployedInstance.type, `subflow:${template.id}`);
    assert.deepEqual(deployedInstance.env, [{ name: "GREETING", type: "str", value: "hello from the subflow instance" }]);
    assert.deepEqual(deployedInstance.wires, [["a000000000000003"]]);
    assert.deepEqual(flows.find((n) => n.id === "a000000000000001").wires, [[instanceId]]);

    if (!hubAvailable) { t.skip("no comms hub in this host build: the message cannot be read in the debug sidebar"); return; }
    await page.locator(".connection.connected").waitFor({ timeout: 15000 });
    await page.locator('g.node[data-node="a000000000000001"] [data-button="inject"]').click();
    await page.locator(".debug-message", { hasText: "hello from the subflow instance" }).waitFor({ timeout: 10000 });
  });

  test("ctrl-f finds a node by a property value on another flow and shows it", async () => {
    await deployFlows(host.baseUrl, [
      { id: tab, type: "tab", label: "Flow 1", disabled: false, info: "" },
      { id: "e2e0000000000002", type: "tab", label: "Flow 2", disabled: false, info: "" },
      { id: "b000000000000001", type: "debug", z: tab, name: "first", active: true, tosidebar: true, complete: "payload", targetType: "msg", x: 200, y: 100, wires: [] },
      { id: "b000000000000002", type: "change", z: "e2e0000000000002", name: "", rules: [{ t: "set", p: "payload", pt: "msg", to: "needle-value-42", tot: "str" }], x: 300, y: 200, wires: [[]] },
    ]);
    await openEditor(page, host.baseUrl);
    await page.locator("svg.canvas").click({ position: { x: 700, y: 500 } });
    await page.keyboard.press("Control+f");
    await page.locator(".search-input").fill("needle-value");
    assert.equal(await page.locator(".search-count").textContent(), "1 found");
    const result = page.locator(".search-result");
    assert.match(await result.textContent(), /change.*Flow 2/);
    await result.click();
    assert.ok(await page.locator(".tab.active", { hasText: "Flow 2" }).count() === 1, "the other flow opens");
    assert.equal(await page.locator('g.node.selected[data-node="b000000000000002"]').count(), 1);
    assert.equal(await page.locator(".search").isHidden(), true);
    // By type and by name too.
    await page.keyboard.press("Control+f");
    await page.locator(".search-input").fill("debug");
    assert.equal(await page.locator(".search-count").textContent(), "1 found");
    await page.locator(".search-input").fill("first");
    assert.match(await page.locator(".search-result").first().textContent(), /first/);
  });

  test("the info sidebar shows the selected node's properties and help, or the flow", async () => {
    await deployFlows(host.baseUrl, [
      { id: tab, type: "tab", label: "Flow 1", disabled: false, info: "" },
      { id: "c000000000000001", type: "change", z: tab, name: "scale", rules: [{ t: "set", p: "payload", pt: "msg", to: "7", tot: "num" }], x: 300, y: 200, wires: [[]] },
    ]);
    const declarations = await (await fetch(host.baseUrl + "nodes/declarations")).json();
    const change = (Array.isArray(declarations) ? declarations : declarations.nodes ?? []).find((d) => d.type === "change");
    await openEditor(page, host.baseUrl);
    await page.locator('[data-sidebar="info"]').click();
    assert.match(await page.locator(".info-title").textContent(), /Flow: Flow 1/);
    assert.equal(await page.locator('.info-table tr[data-key="nodes"] td').textContent(), "1");
    await page.locator('g.node[data-node="c000000000000001"] .node-body').click();
    assert.match(await page.locator(".info-title").textContent(), /scale \(change\)/);
    assert.equal(await page.locator('.info-table tr[data-key="id"] td').textContent(), "c000000000000001");
    assert.match(await page.locator('.info-table tr[data-key="rules"] td').textContent(), /"to":"7"/);
    if (change?.help) assert.equal(await page.locator(".info-help").textContent(), change.help);
    await page.locator('[data-sidebar="debug"]').click();
    assert.equal(await page.locator(".info").isHidden(), true);
    assert.equal(await page.locator(".debug").isVisible(), true);
  });
});

describe("a viewer (read-only permissions)", () => {
  test("cannot add, edit, move, delete, group or deploy", async (t) => {
    // Node-RED's documented example hash of the password "password" (bcrypt, cost 8).
    const hash = "$2a$08$zZWtXTja0fB1pzD4sHCMyOCMYz2Z6dNbM6tl8sJogENOMcxWV9DN.";
    const secured = await startHost({ adminAuth: { type: "credentials", users: [
      { username: "admin", password: hash, permissions: "*" },
      { username: "viewer", password: hash, permissions: "read" },
    ] } });
    const context = await browser.newContext({ viewport: { width: 1400, height: 800 } });
    try {
      const token = (await (await fetch(secured.baseUrl + "auth/token", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ client_id: "node-red-admin", grant_type: "password", scope: "*", username: "admin", password: "password" }) })).json()).access_token;
      if (!token) { t.skip("this host build has no adminAuth"); return; }
      const current = await (await fetch(secured.baseUrl + "flows", { headers: { "Node-RED-API-Version": "v2", Authorization: `Bearer ${token}` } })).json();
      const deployed = await fetch(secured.baseUrl + "flows", { method: "POST", headers: { "Content-Type": "application/json", "Node-RED-API-Version": "v2", Authorization: `Bearer ${token}` },
        body: JSON.stringify({ rev: current.rev, flows: [
          { id: tab, type: "tab", label: "Flow 1", disabled: false, info: "" },
          { id: "d000000000000001", type: "debug", z: tab, name: "watched", active: true, tosidebar: true, complete: "payload", targetType: "msg", x: 300, y: 200, wires: [] },
        ] }) });
      assert.equal(deployed.status, 200);

      const viewer = await context.newPage();
      await viewer.goto(secured.baseUrl);
      await viewer.locator('.login-form input[name="username"]').fill("viewer");
      await viewer.locator('.login-form input[name="password"]').fill("password");
      await viewer.locator(".login-form button").click();
      await viewer.locator('g.node[data-node="d000000000000001"]').waitFor();
      await viewer.waitForFunction(() => document.body.classList.contains("read-only"));
      const node = viewer.locator('g.node[data-node="d000000000000001"]');

      // Dragging a node does not move it; a double-click opens no dialog; delete and paste do nothing.
      const from = await centre(node.locator(".node-body"));
      await dragMouse(viewer, from, { x: from.x + 120, y: from.y + 80 });
      assert.equal(await node.getAttribute("data-x"), "300");
      await node.locator(".node-body").dblclick();
      assert.equal(await viewer.locator(".dialog").count(), 0);
      await node.locator(".node-body").click();
      await viewer.keyboard.press("Delete");
      await viewer.keyboard.press("Control+c");
      await viewer.keyboard.press("Control+v");
      assert.equal(await viewer.locator("g.node").count(), 1);
      // No palette drops, no new flows, no editing menu entries, and Deploy stays disabled.
      const canvas = await viewer.locator("svg.canvas").boundingBox();
      const entry = await centre(viewer.locator('.palette-node[data-type="inject"]'));
      await dragMouse(viewer, entry, { x: canvas.x + 500, y: canvas.y + 300 });
      assert.equal(await viewer.locator("g.node").count(), 1);
      assert.equal(await viewer.locator(".tab-add").count(), 0);
      await viewer.locator(".menu-button").click();
      assert.equal(await viewer.locator('.main-menu [data-action="group"]').isDisabled(), true);
      assert.equal(await viewer.locator('.main-menu [data-action="subflow"]').isDisabled(), true);
      assert.equal(await viewer.locator(".deploy-button").isDisabled(), true);
      assert.equal(await viewer.locator(".changed-marker").count(), 0);
      // The server agrees: a viewer's deploy is refused.
      const viewerToken = await viewer.evaluate(() => localStorage.getItem("flowengine-token"));
      const read = await fetch(secured.baseUrl + "flows", { headers: { Authorization: `Bearer ${viewerToken}` } });
      assert.equal(read.status, 200, "the viewer's token is good for reading");
      const refused = await fetch(secured.baseUrl + "flows", { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${viewerToken}` }, body: "[]" });
      // Node-RED answers a missing permission with 401, as it does a missing token.
      assert.ok(refused.status === 401 || refused.status === 403, `a viewer's deploy answered ${refused.status}`);
    } finally {
      await context.close();
      await secured.stop();
    }
  });
});
