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
import { InfoSidebar } from "./sidebar/info";
import { openGroupDialog, openSubflowInstanceDialog, openSubflowTemplateDialog, openTabDialog } from "./dialogs/subflow";

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
  <span class="menu-group">
    <button type="button" class="menu-button" aria-label="menu">☰</button>
    <div class="main-menu" hidden>
      <button type="button" data-action="group" data-edit>Group selection (ctrl-shift-g)</button>
      <button type="button" data-action="ungroup" data-edit>Ungroup (ctrl-shift-u)</button>
      <button type="button" data-action="subflow" data-edit>Selection to subflow</button>
      <button type="button" data-action="junction" data-edit>Insert junction on the selected wire</button>
      <button type="button" data-action="search">Search (ctrl-f)</button>
    </div>
  </span>
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
    <div class="search" hidden><input type="search" class="search-input" placeholder="search nodes" aria-label="search nodes"/><span class="search-count"></span><ol class="search-results"></ol></div>
  </section>
  <aside class="sidebar"><nav class="sidebar-tabs"><button type="button" class="sidebar-tab active" data-sidebar="debug">debug</button><button type="button" class="sidebar-tab" data-sidebar="info">info</button></nav>
    <div class="debug sidebar-panel" data-panel="debug"></div><div class="info sidebar-panel" data-panel="info" hidden></div></aside>
</main>`;

const q = <T extends Element>(selector: string): T => app.querySelector<T>(selector)!;
/** Subflow templates open as tabs next to the flows, as Node-RED does. */
const openSubflows: string[] = [];

function openSubflow(id: string): void {
  if (!openSubflows.includes(id)) openSubflows.push(id);
  workspace.activeTab = id;
  workspace.selection.clear();
  workspace.notify();
}

function edit(id: string): void {
  if (workspace.readOnly) return;
  const node = workspace.byId.get(id);
  if (!node) return;
  if (node.type === "group") openGroupDialog(workspace, node);
  else if (node.type.startsWith("subflow:")) openSubflowInstanceDialog(workspace, id, openSubflow);
  else openEditDialog(workspace, id);
}

const canvas = new Canvas(workspace, {
  edit,
  inject: (id) => void injectNode(id),
  toggleDebug: (id) => void toggleDebug(id),
}, q<HTMLElement>(".canvas-host"));
const debug = new DebugSidebar(q<HTMLElement>(".debug"), workspace, (id) => reveal(id));
const info = new InfoSidebar(q<HTMLElement>(".info"), workspace);
for (const button of app.querySelectorAll<HTMLButtonElement>("[data-sidebar]")) {
  button.onclick = () => {
    for (const other of app.querySelectorAll<HTMLButtonElement>("[data-sidebar]")) other.classList.toggle("active", other === button);
    for (const panel of app.querySelectorAll<HTMLElement>(".sidebar-panel")) panel.hidden = panel.dataset["panel"] !== button.dataset["sidebar"];
    if (button.dataset["sidebar"] === "info") info.render();
  };
}
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
    if (tab["disabled"] === true) button.classList.add("disabled");
    button.ondblclick = () => { if (!workspace.readOnly) openTabDialog(workspace, tab); };
    if (!workspace.readOnly) {
      // Tabs reorder by dragging one onto another (it goes before that one).
      button.draggable = true;
      button.ondragstart = (event) => event.dataTransfer?.setData("application/x-flowengine-tab", tab.id);
      button.ondragover = (event) => { if (event.dataTransfer?.types.includes("application/x-flowengine-tab")) event.preventDefault(); };
      button.ondrop = (event) => {
        event.preventDefault();
        const dragged = event.dataTransfer?.getData("application/x-flowengine-tab");
        if (dragged && dragged !== tab.id) workspace.moveTab(dragged, tab.id);
      };
    }
    tabs.appendChild(button);
  }
  for (const id of [...openSubflows]) {
    const subflow = workspace.byId.get(id);
    if (!subflow) { openSubflows.splice(openSubflows.indexOf(id), 1); continue; }
    const button = element("button", { type: "button", class: `tab subflow-tab${id === workspace.activeTab ? " active" : ""}`, "data-tab": id }, `subflow: ${workspace.label(subflow)}`);
    if (workspace.nodes.some((n) => (n.id === id || n.z === id) && workspace.changed.has(n.id))) button.classList.add("changed");
    button.onclick = () => { workspace.activeTab = id; workspace.selection.clear(); workspace.notify(); };
    const close = element("span", { class: "tab-close", title: "close" }, "×");
    close.onclick = (event) => {
      event.stopPropagation();
      openSubflows.splice(openSubflows.indexOf(id), 1);
      if (workspace.activeTab === id) workspace.activeTab = workspace.tabs()[0]?.id ?? "";
      workspace.notify();
    };
    button.appendChild(close);
    tabs.appendChild(button);
  }
  const active = workspace.byId.get(workspace.activeTab);
  if (active?.type === "subflow" && !workspace.readOnly) {
    const properties = element("button", { type: "button", class: "subflow-properties", title: "name and properties of this subflow" }, "edit subflow properties");
    properties.onclick = () => openSubflowTemplateDialog(workspace, active);
    tabs.appendChild(properties);
  }
  if (!workspace.readOnly) {
    const add = element("button", { type: "button", class: "tab-add", title: "add flow" }, "+");
    // Dropping a tab on "+" moves it to the end.
    add.ondragover = (event) => { if (event.dataTransfer?.types.includes("application/x-flowengine-tab")) event.preventDefault(); };
    add.ondrop = (event) => { event.preventDefault(); const dragged = event.dataTransfer?.getData("application/x-flowengine-tab"); if (dragged) workspace.moveTab(dragged, null); };
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
  q<HTMLElement>(".canvas-host").classList.toggle("flow-disabled", workspace.byId.get(workspace.activeTab)?.["disabled"] === true);
  canvas.render();
  renderDeployButton();
  if (!q<HTMLElement>(".info").hidden) info.render();
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
  const results = q<HTMLOListElement>(".search-results");
  box.hidden = false;
  input.focus();
  input.select();
  let hits: FlowNode[] = [];
  let index = 0;
  const show = (): void => {
    hits = workspace.search(input.value);
    index = 0;
    q<HTMLElement>(".search-count").textContent = input.value.trim() ? `${hits.length} found` : "";
    results.innerHTML = "";
    for (const hit of hits.slice(0, 50)) {
      const container = hit.z ? workspace.byId.get(hit.z) : undefined;
      const item = element("li", { class: "search-result", "data-node": hit.id });
      item.append(element("span", { class: "search-label" }, workspace.label(hit)), element("span", { class: "search-type" }, hit.type),
        element("span", { class: "search-flow" }, container ? workspace.label(container) : ""));
      item.onclick = () => { box.hidden = true; revealAnywhere(hit.id); };
      results.appendChild(item);
    }
  };
  input.oninput = show;
  show();
  input.onkeydown = (event) => {
    event.stopPropagation();
    if (event.key === "Escape") { box.hidden = true; return; }
    if (event.key !== "Enter" || hits.length === 0) return;
    revealAnywhere(hits[index % hits.length]!.id);
    index += 1;
  };
}

/** Shows a node wherever it is, opening its subflow template if it lives in one. */
function revealAnywhere(id: string): void {
  const node = workspace.byId.get(id);
  if (node?.z && workspace.byId.get(node.z)?.type === "subflow" && !openSubflows.includes(node.z)) openSubflows.push(node.z);
  reveal(id);
}

function runAction(action: string): void {
  q<HTMLElement>(".main-menu").hidden = true;
  if (action === "search") { search(); return; }
  if (workspace.readOnly) return;
  if (action === "group") { if (!workspace.groupSelection()) notify("Select the nodes to group first.", "error"); }
  else if (action === "ungroup") { if (workspace.ungroupSelection() === 0) notify("Select a group to ungroup.", "error"); }
  else if (action === "junction") { if (!workspace.insertJunction()) notify("Select a wire first.", "error"); }
  else if (action === "subflow") {
    try { workspace.selectionToSubflow(); } catch (error) { notify((error as Error).message, "error"); }
  }
}

// ---- header ----
q<HTMLButtonElement>(".menu-button").onclick = () => { const menu = q<HTMLElement>(".main-menu"); menu.hidden = !menu.hidden; };
for (const item of app.querySelectorAll<HTMLButtonElement>("[data-action]")) item.onclick = () => runAction(item.dataset["action"]!);
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
  if (ctrl && event.shiftKey && key === "g") { event.preventDefault(); runAction("group"); }
  else if (ctrl && event.shiftKey && key === "u") { event.preventDefault(); runAction("ungroup"); }
  else if (ctrl && key === "f") { event.preventDefault(); search(); }
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
  else if (key === "enter" && edits && workspace.selection.size === 1) { edit([...workspace.selection][0]!); }
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
    for (const item of app.querySelectorAll<HTMLButtonElement>("[data-edit]")) item.disabled = workspace.readOnly;
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
(window as unknown as { flowEngineEditor: unknown }).flowEngineEditor = { workspace, canvas, receive: onComms, openSubflow };
void start();
