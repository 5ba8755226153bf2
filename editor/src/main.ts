// The editor: header with deploy, palette on the left, tabs and canvas in the middle, debug sidebar on the right.
import "./style.css";
import { AdminApi, ApiError, type DeploymentType } from "./api/client";
import { Canvas } from "./canvas/canvas";
import { Comms, type CommsMessage } from "./comms/comms";
import { deploy } from "./deploy";
import { element, notify } from "./dialogs/dialog";
import { openEditDialog } from "./dialogs/edit";
import { openExportDialog, openImportDialog, parseImport } from "./dialogs/importExport";
import { showLogin } from "./dialogs/login";
import type { FlowNode } from "./model/types";
import { Workspace, type NodeStatus } from "./model/workspace";
import { renderPalette } from "./palette/palette";
import { DebugSidebar, type DebugMessage } from "./sidebar/debug";

const api = new AdminApi();
const workspace = new Workspace();
let clipboard: FlowNode[] = [];

const app = document.getElementById("app")!;
app.innerHTML = `
<header class="header">
  <span class="brand">FlowEngine</span>
  <span class="connection disconnected" title="live updates">disconnected</span>
  <span class="spacer"></span>
  <button type="button" class="import-button" title="import (ctrl-i)">Import</button>
  <button type="button" class="export-button" title="export (ctrl-e)">Export</button>
  <span class="deploy-group">
    <button type="button" class="deploy-button" disabled>Deploy</button><button type="button" class="deploy-menu-button" aria-label="deploy type">▾</button>
    <div class="deploy-menu" hidden>
      <button type="button" data-deploy="full">Full</button>
      <button type="button" data-deploy="flows">Modified Flows</button>
      <button type="button" data-deploy="nodes">Modified Nodes</button>
    </div>
  </span>
</header>
<main class="main">
  <aside class="palette"></aside>
  <section class="workspace">
    <nav class="tabs"></nav>
    <div class="canvas-host"></div>
    <div class="zoom"><button type="button" data-zoom="out" title="zoom out">−</button><button type="button" data-zoom="reset" title="reset zoom">○</button><button type="button" data-zoom="in" title="zoom in">+</button></div>
    <div class="search" hidden><input type="search" class="search-input" placeholder="search nodes" aria-label="search nodes"/><span class="search-count"></span></div>
  </section>
  <aside class="sidebar"><h3>debug</h3><div class="debug"></div></aside>
</main>`;

const q = <T extends Element>(selector: string): T => app.querySelector<T>(selector)!;
const canvas = new Canvas(workspace, {
  edit: (id) => { if (!workspace.readOnly) openEditDialog(workspace, id); },
  inject: (id) => void injectNode(id),
  toggleDebug: (id) => void toggleDebug(id),
}, q<HTMLElement>(".canvas-host"));
const debug = new DebugSidebar(q<HTMLElement>(".debug"), workspace, (id) => reveal(id));
let deploymentType: DeploymentType = "full";

function reveal(id: string): void {
  const node = workspace.byId.get(id);
  if (!node) return;
  if (node.z && node.z !== workspace.activeTab && workspace.byId.has(node.z)) workspace.activeTab = node.z;
  workspace.selection = new Set([id]);
  workspace.notify();
  canvas.reveal(id);
}

function renderTabs(): void {
  const tabs = q<HTMLElement>(".tabs");
  tabs.innerHTML = "";
  for (const tab of workspace.tabs()) {
    const button = element("button", { type: "button", class: `tab${tab.id === workspace.activeTab ? " active" : ""}`, "data-tab": tab.id }, workspace.label(tab));
    if (workspace.changed.has(tab.id) || workspace.nodes.some((n) => n.z === tab.id && workspace.changed.has(n.id))) button.classList.add("changed");
    button.onclick = () => { workspace.activeTab = tab.id; workspace.selection.clear(); workspace.notify(); debug.applyFilter(); };
    button.ondblclick = () => {
      if (workspace.readOnly) return;
      const label = prompt("Flow name", workspace.label(tab));
      if (label !== null) { workspace.checkpoint(); tab["label"] = label; workspace.touch(tab.id); workspace.notify(); }
    };
    tabs.appendChild(button);
  }
  if (!workspace.readOnly) {
    const add = element("button", { type: "button", class: "tab-add", title: "add flow" }, "+");
    add.onclick = () => workspace.addTab();
    tabs.appendChild(add);
  }
}

function renderDeployButton(): void {
  const button = q<HTMLButtonElement>(".deploy-button");
  button.disabled = !workspace.dirty || workspace.readOnly;
  button.classList.toggle("dirty", workspace.dirty);
  button.textContent = { full: "Deploy", flows: "Deploy (modified flows)", nodes: "Deploy (modified nodes)", reload: "Restart" }[deploymentType];
}

workspace.onChange(() => {
  renderTabs();
  canvas.render();
  renderDeployButton();
});

async function load(): Promise<void> {
  const [declarations, flows] = await Promise.all([api.getDeclarations(), api.getFlows()]);
  workspace.setDeclarations(declarations);
  workspace.load(flows.flows, flows.rev);
  renderPalette(q<HTMLElement>(".palette"), workspace, canvas);
}

async function injectNode(id: string): Promise<void> {
  if (workspace.changed.has(id)) { notify("This inject node has undeployed changes: deploy first.", "error"); return; }
  try {
    await api.inject(id);
    const node = workspace.byId.get(id);
    notify(`Injected: ${node ? workspace.label(node) : id}`, "success", 1500);
  } catch (error) {
    notify(`Inject failed: ${(error as Error).message}`, "error");
  }
}

async function toggleDebug(id: string): Promise<void> {
  const node = workspace.byId.get(id);
  if (!node) return;
  const active = node["active"] === false;
  try {
    if (!workspace.changed.has(id)) await api.setDebugActive(id, active);
    node["active"] = active;
    canvas.render();
  } catch (error) {
    notify(`Debug toggle failed: ${(error as Error).message}`, "error");
  }
}

async function runDeploy(): Promise<void> {
  if (workspace.readOnly) return;
  q<HTMLElement>(".deploy-menu").hidden = true;
  await deploy(api, workspace, deploymentType, reveal, async () => { await load(); });
}

function onComms(message: CommsMessage): void {
  const { topic, data } = message;
  if (topic === "debug") {
    debug.add(data as DebugMessage);
  } else if (topic === "debug/dropped") {
    debug.addDropped(Number((data as { count?: number })?.count ?? 0));
  } else if (topic.startsWith("status/")) {
    const id = topic.slice(7);
    const status = (data ?? {}) as NodeStatus;
    if (!status.text && !status.fill) workspace.status.delete(id);
    else workspace.status.set(id, status);
    scheduleRender();
  } else if (topic === "notification/deploy-by") {
    const info = data as { user?: string; revision?: string };
    if (info.revision && info.revision !== workspace.rev) notify(`${info.user ?? "Someone"} deployed new flows.`, "info");
  } else if (topic === "notification/runtime-state") {
    const state = data as { state?: string; error?: string; text?: string };
    if (state.error || state.state === "safe") notify(`Runtime: ${state.text ?? state.error ?? state.state}`, "error");
  }
}

let renderPending = false;
function scheduleRender(): void {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => { renderPending = false; canvas.render(); });
}

function setConnection(state: string): void {
  const indicator = q<HTMLElement>(".connection");
  indicator.textContent = state;
  indicator.className = `connection ${state}`;
}

function search(): void {
  const box = q<HTMLElement>(".search");
  const input = q<HTMLInputElement>(".search-input");
  box.hidden = false;
  input.focus();
  input.select();
  let index = 0;
  input.onkeydown = (event) => {
    event.stopPropagation();
    if (event.key === "Escape") { box.hidden = true; return; }
    if (event.key !== "Enter") return;
    const text = input.value.trim().toLowerCase();
    const hits = workspace.nodes.filter((n) => n.type !== "tab" && !workspace.isConfig(n) &&
      (n.id === text || n.type.toLowerCase().includes(text) || workspace.label(n).toLowerCase().includes(text)));
    q<HTMLElement>(".search-count").textContent = `${hits.length} found`;
    if (hits.length === 0) return;
    reveal(hits[index % hits.length]!.id);
    index += 1;
  };
}

// ---- header ----
q<HTMLButtonElement>(".deploy-button").onclick = () => void runDeploy();
q<HTMLButtonElement>(".deploy-menu-button").onclick = () => { const menu = q<HTMLElement>(".deploy-menu"); menu.hidden = !menu.hidden; };
for (const choice of app.querySelectorAll<HTMLButtonElement>("[data-deploy]")) {
  choice.onclick = () => {
    deploymentType = choice.dataset["deploy"] as DeploymentType;
    q<HTMLElement>(".deploy-menu").hidden = true;
    renderDeployButton();
  };
}
q<HTMLButtonElement>(".import-button").onclick = () => { if (!workspace.readOnly) openImportDialog(workspace, () => undefined); };
q<HTMLButtonElement>(".export-button").onclick = () => openExportDialog(workspace);
for (const button of app.querySelectorAll<HTMLButtonElement>("[data-zoom]")) {
  button.onclick = () => {
    const zoom = button.dataset["zoom"];
    if (zoom === "in") canvas.zoom(1.25); else if (zoom === "out") canvas.zoom(0.8); else canvas.resetZoom();
  };
}

// ---- keyboard (Node-RED's default keymap, reference §8) ----
window.addEventListener("keydown", (event) => {
  const target = event.target as HTMLElement;
  if (target.closest("input, textarea, select, .dialog")) return;
  const ctrl = event.ctrlKey || event.metaKey;
  const key = event.key.toLowerCase();
  const edits = !workspace.readOnly;
  if (ctrl && key === "f") { event.preventDefault(); search(); }
  else if (ctrl && key === "d") { event.preventDefault(); if (workspace.dirty) void runDeploy(); }
  else if (ctrl && key === "e") { event.preventDefault(); openExportDialog(workspace); }
  else if (ctrl && key === "i" && edits) { event.preventDefault(); openImportDialog(workspace, () => undefined); }
  else if (ctrl && key === "a") { event.preventDefault(); workspace.selection = new Set(workspace.nodesOf(workspace.activeTab).map((n) => n.id)); workspace.notify(); }
  else if (ctrl && event.altKey && key === "l") { event.preventDefault(); debug.clear(); }
  else if (ctrl && key === "c") { clipboard = workspace.copySelection(); }
  else if (ctrl && key === "x" && edits) { clipboard = workspace.copySelection(); workspace.deleteSelection(); }
  else if (ctrl && key === "v" && edits) { if (clipboard.length) workspace.importNodes(clipboard, { x: 20, y: 20 }); }
  else if (ctrl && key === "z" && edits) { event.preventDefault(); workspace.undo(); }
  else if (ctrl && key === "y" && edits) { event.preventDefault(); workspace.redo(); }
  else if ((key === "delete" || key === "backspace") && edits) { event.preventDefault(); workspace.deleteSelection(); }
  else if (key === "enter" && edits && workspace.selection.size === 1) { openEditDialog(workspace, [...workspace.selection][0]!); }
  else if (key === "escape") { workspace.selection.clear(); workspace.selectedWire = null; workspace.notify(); }
  else if (key.startsWith("arrow") && edits && workspace.selection.size > 0) {
    event.preventDefault();
    const step = event.shiftKey ? 20 : 1;
    workspace.checkpoint();
    workspace.moveSelection(key === "arrowleft" ? -step : key === "arrowright" ? step : 0, key === "arrowup" ? -step : key === "arrowdown" ? step : 0, false);
    workspace.notify();
  }
});
// Pasting flow JSON anywhere on the page imports it (Node-RED accepts a paste of an export too).
window.addEventListener("paste", (event) => {
  if ((event.target as HTMLElement).closest("input, textarea, .dialog") || workspace.readOnly) return;
  const text = event.clipboardData?.getData("text/plain");
  if (!text) return;
  try { workspace.importNodes(parseImport(text)); } catch { /* not flow JSON: ignore */ }
});
window.addEventListener("beforeunload", (event) => { if (workspace.dirty) event.preventDefault(); });

async function start(): Promise<void> {
  try {
    const login = await api.getLogin();
    if (login.prompts && login.prompts.length > 0) {
      // A kept token may still be good: ask the server before showing the login page.
      let authorized = false;
      if (api.token) {
        try { await api.getSettings(); authorized = true; } catch { api.setToken(null); }
      }
      if (!authorized) await showLogin(api, login.prompts);
    }
    const settings = await api.getSettings();
    const user = settings["user"] as { permissions?: unknown } | undefined;
    workspace.readOnly = user?.permissions === "read" || (Array.isArray(user?.permissions) && !(user!.permissions as string[]).some((p) => p === "*" || p === "write" || p === "flows.write"));
    document.body.classList.toggle("read-only", workspace.readOnly);
    await load();
  } catch (error) {
    const message = error instanceof ApiError ? `${error.message} (${error.code})` : (error as Error).message;
    notify(`Cannot load the flows: ${message}`, "error", 0);
    return;
  }
  const comms = new Comms(api, onComms, setConnection);
  void comms.start();
}

// Tests and the performance check look at the editor through this handle.
(window as unknown as { flowEngineEditor: unknown }).flowEngineEditor = { workspace, canvas, receive: onComms };
void start();
