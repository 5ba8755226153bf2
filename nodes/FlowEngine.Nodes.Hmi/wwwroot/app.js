// The HMI page: login, snapshot, live updates over the hub, actions over HTTP.
import { HubClient } from "./hub.js";
import { el, renderers } from "./widgets.js";

const TOKEN_KEY = "flowengine-hmi-token";
const THEME_KEY = "flowengine-hmi-theme";

const state = {
  info: null,
  snapshot: null,
  views: new Map(), // widget id -> { view, seq, widget }
  pending: [], // updates that arrived before the snapshot they follow
  loaded: false,
  page: null,
  connected: false,
};

const $ = (selector) => document.querySelector(selector);
const token = () => localStorage.getItem(TOKEN_KEY);

function headers(extra = {}) {
  const t = token();
  return t ? { ...extra, Authorization: `Bearer ${t}` } : extra;
}

// ---- theme ----

function applyTheme() {
  const chosen = localStorage.getItem(THEME_KEY);
  const mode = chosen ?? state.snapshot?.theme?.mode ?? "auto";
  const night = mode === "night" || (mode === "auto" && matchMedia("(prefers-color-scheme: dark)").matches);
  document.body.dataset.theme = night ? "night" : "day";
  const accent = state.snapshot?.theme?.accent;
  if (accent) document.documentElement.style.setProperty("--accent", accent);
}

$(".theme-toggle").addEventListener("click", () => {
  localStorage.setItem(THEME_KEY, document.body.dataset.theme === "night" ? "day" : "night");
  applyTheme();
});

// ---- toasts and dialogs ----

function toast(text, kind = "info", title = "", seconds = 5) {
  const close = el("button", { type: "button", class: "close", "aria-label": "close" }, "×");
  const item = el("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" },
    el("div", {}, title ? el("strong", {}, title) : null, title ? el("br") : null, text), close);
  close.addEventListener("click", () => item.remove());
  $(".toasts").append(item);
  if (seconds > 0) setTimeout(() => item.remove(), seconds * 1000);
}

function dialog({ title, text, ok = "OK", cancel = "Cancel", fields = [], okEnabled = true }) {
  return new Promise((resolve) => {
    const okButton = el("button", { type: "button", class: "primary" }, ok);
    const cancelButton = el("button", { type: "button", class: "secondary" }, cancel);
    okButton.disabled = !okEnabled;
    const box = el("div", { class: "dialog", role: "dialog", "aria-modal": "true" },
      el("h3", {}, title), text ? el("p", {}, text) : null, ...fields, el("div", { class: "buttons" }, cancelButton, okButton));
    const backdrop = el("div", { class: "dialog-backdrop" }, box);
    const finish = (answer) => { backdrop.remove(); resolve(answer); };
    okButton.addEventListener("click", () => finish(true));
    cancelButton.addEventListener("click", () => finish(false));
    document.body.append(backdrop);
    okButton.focus();
  });
}

// ---- actions ----

async function post(path, body) {
  const response = await fetch(path, { method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body) });
  if (response.ok) return true;
  if (response.status === 401) toast("Not allowed: your role cannot do this (or your login expired).", "error");
  else toast((await response.json().catch(() => null))?.error ?? `The server answered ${response.status}`, "error");
  return false;
}

async function act(widget, value) {
  if (!state.snapshot?.canWrite) return;
  if (widget.options.confirm && !(await dialog({ title: widget.label || "Confirm", text: widget.options.confirm }))) {
    render(); // put a switch or slider back where the server says it is
    return;
  }
  await post(`/ui/api/widgets/${encodeURIComponent(widget.id)}/action`, { value });
}

async function alarmCommand(widget, alarm, command, extra) {
  await post(`/ui/api/alarms/${command}`, { id: alarm.id, widget: widget.id, ...extra });
}

async function shelveDialog(widget, alarm) {
  const reason = el("input", { class: "field", name: "reason", required: true, maxlength: 500 });
  const minutes = el("select", { class: "field", name: "minutes" },
    ...[[15, "15 minutes"], [60, "1 hour"], [480, "8 hours"], [1440, "24 hours"]].map(([v, t]) => el("option", { value: v }, t)));
  const ok = await dialog({
    title: `Shelve ${alarm.tag} ${alarm.condition}`,
    fields: [el("label", {}, "Reason (required)", reason), el("label", {}, "For", minutes)],
    ok: "Shelve",
  });
  if (!ok) return;
  if (!reason.value.trim()) { toast("Shelving needs a reason.", "error"); return; }
  await alarmCommand(widget, alarm, "shelve", { reason: reason.value.trim(), minutes: Number(minutes.value) });
}

const openDialogs = new Map(); // notification widget id -> dialog id on screen

function confirmDialog(widget, dialogState) {
  const shown = openDialogs.get(widget.id);
  if (!dialogState?.open) {
    if (shown) { shown.backdrop.remove(); openDialogs.delete(widget.id); }
    return;
  }
  if (shown?.dialog === dialogState.dialog) return;
  shown?.backdrop.remove();
  const canAnswer = state.snapshot.canWrite;
  const answer = async (value) => {
    await post(`/ui/api/widgets/${encodeURIComponent(widget.id)}/action`, { value: { dialog: dialogState.dialog, answer: value } });
  };
  const ok = el("button", { type: "button", class: "primary", "data-answer": "ok" }, widget.options.okLabel);
  const cancel = el("button", { type: "button", class: "secondary", "data-answer": "cancel" }, widget.options.cancelLabel);
  ok.disabled = cancel.disabled = !canAnswer;
  ok.addEventListener("click", () => answer("ok"));
  cancel.addEventListener("click", () => answer("cancel"));
  const backdrop = el("div", { class: "dialog-backdrop", "data-notification": widget.id },
    el("div", { class: "dialog", role: "alertdialog", "aria-modal": "true" },
      el("h3", {}, dialogState.title || widget.label || "Confirm"), el("p", {}, dialogState.text),
      canAnswer ? null : el("p", { class: "label" }, "Waiting for an operator to answer."),
      el("div", { class: "buttons" }, cancel, ok)));
  document.body.append(backdrop);
  openDialogs.set(widget.id, { dialog: dialogState.dialog, backdrop });
}

const context = () => ({
  canWrite: state.snapshot.canWrite,
  canAcknowledge: state.snapshot.canAcknowledge,
  act, alarmCommand, shelveDialog, confirmDialog, toast,
});

// ---- drawing ----

function allWidgets() {
  return state.snapshot.pages.flatMap((p) => p.groups.flatMap((g) => g.widgets));
}

function render() {
  const snapshot = state.snapshot;
  if (!snapshot) return;
  applyTheme();
  $(".title").textContent = snapshot.theme.title;
  document.title = snapshot.theme.title;
  $(".user").textContent = snapshot.user ? `${snapshot.user}${snapshot.canWrite ? "" : " (view only)"}` : "";
  $(".logout").hidden = !token();
  const pages = snapshot.pages.filter((p) => p.groups.some((g) => g.widgets.some((w) => w.type !== "hmi-notification")) || p.groups.length > 0);
  const requested = decodeURIComponent(location.hash.replace(/^#/, ""));
  const current = pages.find((p) => p.id === requested) ?? pages.find((p) => p.id === state.page) ?? pages[0];
  state.page = current?.id ?? null;
  $(".tabs").replaceChildren(...pages.map((p) => {
    const tab = el("button", { type: "button", class: "tab", role: "tab", "aria-selected": String(p.id === state.page), "data-page": p.id },
      p.icon ? `${p.icon} ${p.title}` : p.title);
    tab.addEventListener("click", () => { location.hash = encodeURIComponent(p.id); });
    return tab;
  }));
  const ctx = context();
  state.views = new Map();
  const groups = [];
  for (const group of current?.groups ?? []) {
    const card = el("section", { class: "group", "data-group": group.id });
    card.style.setProperty("--group-span", group.width);
    if (group.title) card.append(el("h2", {}, group.title));
    for (const widget of group.widgets) {
      const make = renderers[widget.type];
      if (!make) continue;
      const view = make(widget, ctx);
      if (view.el) card.append(view.el);
      state.views.set(widget.id, { view, seq: widget.seq, widget });
      view.update(widget.state);
    }
    groups.push(card);
  }
  // Widgets on other pages still get their updates (notification dialogs show on every page).
  for (const widget of allWidgets()) {
    if (state.views.has(widget.id)) continue;
    if (widget.type === "hmi-notification") {
      const view = renderers[widget.type](widget, ctx);
      state.views.set(widget.id, { view, seq: widget.seq, widget });
      view.update(widget.state);
    } else {
      state.views.set(widget.id, { view: null, seq: widget.seq, widget });
    }
  }
  for (const [id, shown] of openDialogs) if (!state.views.has(id)) { shown.backdrop.remove(); openDialogs.delete(id); }
  if (groups.length === 0) groups.push(el("div", { class: "empty" }, pages.length ? "This page has no groups yet." : "No HMI pages are deployed yet: add hmi-page, hmi-group and widget nodes in the editor."));
  $(".page").replaceChildren(...groups);
}

window.addEventListener("hashchange", render);

function apply(update) {
  if (update.kind === "layout") { scheduleReload(); return; }
  if (update.kind === "notify") { toast(update.text, "info", update.title, update.timeout); return; }
  const entry = state.views.get(update.id);
  if (!entry || update.seq <= entry.seq) return;
  entry.seq = update.seq;
  if (update.kind === "state") {
    entry.widget.state = update.state;
    entry.view?.update(update.state);
  } else if (update.kind === "point") {
    const series = (entry.widget.state ??= {});
    (series[update.series] ??= []).push([update.t, update.v]);
    entry.view?.point?.(update);
  }
}

let reloadTimer;
function scheduleReload() {
  // A deploy starts and stops many nodes at once: reload the layout once it has settled.
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(loadSnapshot, 300);
}

async function loadSnapshot() {
  const response = await fetch("/ui/api/snapshot", { headers: headers(), cache: "no-store" }).catch(() => null);
  if (!response) return false;
  if (response.status === 401) {
    localStorage.removeItem(TOKEN_KEY);
    showLogin();
    return false;
  }
  if (!response.ok) { toast(`Cannot load the HMI: the server answered ${response.status}`, "error"); return false; }
  state.snapshot = await response.json();
  render();
  state.loaded = true;
  const waiting = state.pending;
  state.pending = [];
  for (const update of waiting) apply(update);
  document.body.dataset.ready = "true";
  return true;
}

// ---- connection ----

function setConnection(status) {
  state.connected = status === "connected";
  const badge = $(".connection");
  badge.className = `connection ${status}`;
  badge.textContent = status === "connected" ? "live" : status === "connecting" ? "connecting" : "offline";
  const offline = status === "disconnected";
  $(".offline-banner").hidden = !offline;
  document.body.classList.toggle("offline", offline);
}

let hub;
function connect() {
  hub?.stop();
  hub = new HubClient("/ui/hub", {
    token,
    onState(status) {
      if (status === "connected") {
        state.loaded = false;
        state.pending = [];
        // Catch up: a new snapshot after every (re)connection; updates that raced it are applied by sequence.
        loadSnapshot().then((ok) => { if (ok) setConnection("connected"); });
      } else if (status === "disconnected") {
        setConnection("disconnected");
        // A hub that keeps refusing may mean an expired login: the snapshot request tells (401 shows the login).
        if (hub.retry >= 2 && hub.retry % 2 === 0) loadSnapshot();
      } else if (!document.body.classList.contains("offline")) {
        setConnection("connecting");
      }
    },
    onInvoke(target, args) {
      if (target !== "hmi") return;
      for (const update of args[0] ?? []) {
        if (state.loaded) apply(update);
        else state.pending.push(update);
      }
    },
  });
  hub.start();
}

// Charts slide with time even when no value arrives.
setInterval(() => { for (const { view } of state.views.values()) view?.tick?.(); }, 1000);

// ---- login ----

function showLogin() {
  hub?.stop();
  const form = $(".login");
  form.hidden = false;
  form.elements.username.focus();
}

$(".login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const body = new URLSearchParams({
    // An empty scope asks for the user's own permissions (as Node-RED's editor does); "*" is refused to non-admins.
    client_id: "node-red-editor", grant_type: "password", scope: "",
    username: form.elements.username.value, password: form.elements.password.value,
  });
  const response = await fetch(`${state.info.adminRoot}auth/token`, { method: "POST", body }).catch(() => null);
  if (!response?.ok) { $(".login-error").textContent = "Wrong user name or password."; return; }
  localStorage.setItem(TOKEN_KEY, (await response.json()).access_token);
  form.hidden = true;
  form.reset();
  $(".login-error").textContent = "";
  start();
});

$(".logout").addEventListener("click", () => {
  localStorage.removeItem(TOKEN_KEY);
  location.reload();
});

async function start() {
  if (!state.info) {
    const response = await fetch("/ui/api/info", { cache: "no-store" }).catch(() => null);
    if (!response?.ok) { setConnection("disconnected"); setTimeout(start, 2000); return; }
    state.info = await response.json();
  }
  if (!state.info.hub) {
    // No live channel on this server: draw once and say so.
    await loadSnapshot();
    setConnection("disconnected");
    $(".offline-banner").textContent = "This server has no live channel (admin API off): reload the page for new values.";
    return;
  }
  // Check the login before opening the hub, so a missing token shows the login form, not an endless reconnect.
  if (await loadSnapshot()) connect();
}

start();
