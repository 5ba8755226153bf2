// One renderer per widget type: create(widget, ctx) answers { el, update(state) } (and optionally point(update)).
// Everything a message carries is put in as text (textContent), never as markup, except the template widget whose
// HTML the server rendered with the values escaped.
import { chartView } from "./chart.js";

const SVG = "http://www.w3.org/2000/svg";

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

export function formatNumber(value, decimals) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  return decimals === undefined ? String(value) : value.toFixed(decimals);
}

function frame(widget, kind) {
  const root = el("div", { class: `widget ${kind}`, "data-widget": widget.id, "data-type": widget.type });
  if (widget.width > 0) root.style.setProperty("--widget-span", widget.width);
  if (widget.label) root.append(el("div", { class: "label" }, widget.label));
  return root;
}

/** Disables an action control for people without hmi.write, and when the flow disabled the widget. */
function gate(control, ctx, state) {
  const allowed = ctx.canWrite && state?.enabled !== false;
  control.disabled = !allowed;
  control.title = ctx.canWrite ? (allowed ? "" : "Disabled by the process") : "Read only: your role cannot operate this";
}

const text = (widget) => {
  const root = frame(widget, "text");
  const value = el("div", { class: "value" });
  root.append(value);
  return {
    el: root,
    update(state) {
      value.replaceChildren(state ?? "–");
      if (widget.options.unit) value.append(el("span", { class: "unit" }, widget.options.unit));
    },
  };
};

const numeric = (widget) => {
  const root = frame(widget, "numeric");
  const value = el("div", { class: "value" });
  root.append(value);
  return {
    el: root,
    update(state) {
      value.replaceChildren(formatNumber(state, widget.options.decimals), el("span", { class: "unit" }, widget.options.unit ?? ""));
    },
  };
};

// A 240° dial: angle 0 at the scale's start (bottom left), clockwise to the end (bottom right).
const START = 150;
const SWEEP = 240;
function polar(angle, radius) {
  const radians = (angle * Math.PI) / 180;
  return [100 + radius * Math.cos(radians), 100 + radius * Math.sin(radians)];
}
function arc(fromFraction, toFraction, radius) {
  const from = START + SWEEP * Math.max(0, Math.min(1, fromFraction));
  const to = START + SWEEP * Math.max(0, Math.min(1, toFraction));
  const [x1, y1] = polar(from, radius);
  const [x2, y2] = polar(to, radius);
  return `M ${x1.toFixed(2)} ${y1.toFixed(2)} A ${radius} ${radius} 0 ${to - from > 180 ? 1 : 0} 1 ${x2.toFixed(2)} ${y2.toFixed(2)}`;
}

const gauge = (widget) => {
  const { min, max, unit, decimals, lolo, lo, hi, hihi } = widget.options;
  const root = frame(widget, "gauge");
  const fraction = (v) => (v - min) / (max - min);
  const drawing = svg("svg", { viewBox: "0 0 200 170", role: "img", "aria-label": widget.label || "gauge" });
  drawing.append(svg("path", { class: "track", d: arc(0, 1, 80), fill: "none", "stroke-width": 16 }));
  const bands = [["lolo", min, lolo], ["lo", lolo ?? min, lo], ["hi", hi, hihi ?? max], ["hihi", hihi, max]];
  for (const [name, from, to] of bands) {
    if (name === "lolo" && lolo == null) continue;
    if (name === "lo" && lo == null) continue;
    if (name === "hi" && hi == null) continue;
    if (name === "hihi" && hihi == null) continue;
    drawing.append(svg("path", { class: `band-${name}`, d: arc(fraction(from), fraction(to), 96), fill: "none", "stroke-width": 6 }));
  }
  const fill = svg("path", { class: "fill", fill: "none", "stroke-width": 16, "stroke-linecap": "butt" });
  const valueText = svg("text", { class: "gauge-value", x: 100, y: 104, "text-anchor": "middle" });
  const unitText = svg("text", { class: "gauge-unit", x: 100, y: 124, "text-anchor": "middle" });
  const bandText = svg("text", { class: "band-name", x: 100, y: 142, "text-anchor": "middle" });
  const minText = svg("text", { class: "gauge-scale", x: 38, y: 162, "text-anchor": "middle" });
  const maxText = svg("text", { class: "gauge-scale", x: 162, y: 162, "text-anchor": "middle" });
  unitText.textContent = unit ?? "";
  minText.textContent = formatNumber(min);
  maxText.textContent = formatNumber(max);
  drawing.append(fill, valueText, unitText, bandText, minText, maxText);
  root.append(drawing);
  return {
    el: root,
    update(state) {
      const value = state?.value;
      const band = state?.band ?? "normal";
      root.dataset.band = band;
      root.dataset.value = value ?? "";
      valueText.textContent = formatNumber(value, decimals);
      bandText.textContent = band === "normal" ? "" : band.toUpperCase();
      bandText.setAttribute("fill", band === "normal" ? "none" : "currentColor");
      fill.setAttribute("d", typeof value === "number" ? arc(0, Math.max(0.001, fraction(value)), 80) : "");
    },
  };
};

const led = (widget) => {
  const root = frame(widget, "led");
  const lamp = el("span", { class: "lamp", role: "img" });
  const word = el("span", { class: "led-text" });
  root.append(lamp, word);
  return {
    el: root,
    update(state) {
      const on = state === true;
      root.dataset.on = String(on);
      lamp.style.background = on ? widget.options.colorOn : widget.options.colorOff;
      lamp.setAttribute("aria-label", on ? "on" : "off");
      word.textContent = on ? "ON" : "OFF";
    },
  };
};

const chart = (widget) => {
  const root = frame(widget, "chart");
  const view = chartView(widget.options);
  root.append(view.el);
  return {
    el: root,
    update: (state) => view.set(state ?? {}),
    point: (update) => view.add(update.series, update.t, update.v),
    tick: () => view.draw(),
  };
};

const table = (widget) => {
  const root = frame(widget, "table");
  const body = el("div");
  root.append(body);
  return {
    el: root,
    update(state) {
      if (!state) { body.replaceChildren(el("div", { class: "empty" }, "No data")); return; }
      const head = el("tr", {}, ...state.columns.map((c) => el("th", { scope: "col" }, c)));
      const rows = state.rows.map((row) => el("tr", {}, ...row.map((cell) => el("td", {}, cell))));
      const parts = [el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows))];
      if (state.truncated > 0) parts.push(el("div", { class: "label" }, `${state.truncated} more rows not shown`));
      body.replaceChildren(...parts);
    },
  };
};

const template = (widget) => {
  const root = frame(widget, "template");
  const body = el("div", { class: "template-body" });
  root.append(body);
  return { el: root, update: (state) => { body.innerHTML = state ?? ""; } };
};

const button = (widget, ctx) => {
  const root = frame(widget, "button");
  root.querySelector(".label")?.remove();
  const control = el("button", { type: "button", class: "action" }, widget.label || "Press");
  control.addEventListener("click", () => ctx.act(widget, null));
  root.append(control);
  return { el: root, update: (state) => gate(control, ctx, state) };
};

const toggle = (widget, ctx) => {
  const root = frame(widget, "switch");
  const control = el("button", { type: "button", class: "toggle", role: "switch", "aria-label": widget.label || "switch" });
  const word = el("span", { class: "led-text" });
  control.addEventListener("click", () => ctx.act(widget, control.getAttribute("aria-checked") !== "true"));
  root.append(el("div", { class: "row" }, control, word));
  return {
    el: root,
    update(state) {
      const on = state?.value === true;
      control.setAttribute("aria-checked", String(on));
      word.textContent = on ? "ON" : "OFF";
      gate(control, ctx, state);
    },
  };
};

const slider = (widget, ctx) => {
  const { min, max, step, unit } = widget.options;
  const root = frame(widget, "slider");
  const shown = el("div", { class: "value" });
  const control = el("input", { type: "range", min, max, step, "aria-label": widget.label || "slider" });
  const show = (v) => shown.replaceChildren(formatNumber(Number(v)), el("span", { class: "unit" }, unit ?? ""));
  control.addEventListener("input", () => show(control.value));
  // Sent when the finger lifts, not while dragging: one write to the device per gesture.
  control.addEventListener("change", () => ctx.act(widget, Number(control.value)));
  root.append(shown, control);
  return {
    el: root,
    update(state) {
      control.value = state?.value ?? min;
      show(control.value);
      gate(control, ctx, state);
    },
  };
};

const numberInput = (widget, ctx) => {
  const { min, max, step, unit } = widget.options;
  const root = frame(widget, "number-input");
  const field = el("input", { class: "field", type: "number", inputmode: "decimal", min, max, step, "aria-label": widget.label || "value" });
  const minus = el("button", { type: "button", class: "secondary", "aria-label": "decrease" }, "−");
  const plus = el("button", { type: "button", class: "secondary", "aria-label": "increase" }, "+");
  const send = el("button", { type: "button", class: "primary" }, "Send");
  const nudge = (direction) => {
    const next = Math.min(max, Math.max(min, (Number(field.value) || 0) + direction * step));
    field.value = String(Math.round(next * 1e10) / 1e10);
  };
  minus.addEventListener("click", () => nudge(-1));
  plus.addEventListener("click", () => nudge(1));
  const submit = () => {
    const value = Number(field.value);
    if (field.value === "" || !Number.isFinite(value) || value < min || value > max) {
      ctx.toast(`${widget.label || "Value"}: enter a number from ${min} to ${max}`, "error");
      return;
    }
    ctx.act(widget, value);
  };
  send.addEventListener("click", submit);
  field.addEventListener("keydown", (e) => e.key === "Enter" && submit());
  root.append(el("div", { class: "row" }, minus, field, plus, unit ? el("span", { class: "unit" }, unit) : null, send));
  return {
    el: root,
    update(state) {
      if (document.activeElement !== field) field.value = state?.value ?? "";
      for (const control of [field, minus, plus, send]) gate(control, ctx, state);
    },
  };
};

const dropdown = (widget, ctx) => {
  const root = frame(widget, "dropdown");
  const options = widget.options.options;
  const control = el("select", { class: "field", "aria-label": widget.label || "choice" },
    el("option", { value: "", disabled: true }, "Choose…"),
    ...options.map((o, i) => el("option", { value: String(i) }, o.label)));
  control.addEventListener("change", () => {
    const option = options[Number(control.value)];
    if (option) ctx.act(widget, option.value);
  });
  root.append(control);
  return {
    el: root,
    update(state) {
      const index = options.findIndex((o) => JSON.stringify(o.value) === JSON.stringify(state?.value));
      control.value = index >= 0 ? String(index) : "";
      gate(control, ctx, state);
    },
  };
};

const textInput = (widget, ctx) => {
  const root = frame(widget, "text-input");
  const field = el("input", { class: "field", maxlength: widget.options.maxLength, "aria-label": widget.label || "text" });
  const send = el("button", { type: "button", class: "primary" }, "Send");
  const submit = () => ctx.act(widget, field.value);
  send.addEventListener("click", submit);
  field.addEventListener("keydown", (e) => e.key === "Enter" && submit());
  root.append(el("div", { class: "row" }, field, send));
  return {
    el: root,
    update(state) {
      if (document.activeElement !== field) field.value = state?.value ?? "";
      gate(field, ctx, state);
      gate(send, ctx, state);
    },
  };
};

const camera = (widget) => {
  const root = frame(widget, "camera");
  const image = el("img", { alt: widget.label || "camera picture" });
  const player = el("video", { controls: true, hidden: true, playsinline: true });
  const clips = el("ul");
  root.append(image, player, clips);
  return {
    el: root,
    update(state) {
      if (state?.image) image.src = state.image; else image.removeAttribute("src");
      clips.replaceChildren(...(state?.clips ?? []).map((clip) => {
        const open = el("button", { type: "button", class: "secondary" }, `▶ ${clip.label ?? clip.url}`);
        open.addEventListener("click", () => { player.hidden = false; player.src = clip.url; player.play().catch(() => {}); });
        return el("li", {}, open);
      }));
    },
  };
};

// The notification widget has no place in a group: it raises dialogs (its toasts come as "notify" updates).
const notification = (widget, ctx) => ({ el: null, update: (state) => ctx.confirmDialog(widget, state) });

const PRIORITY_RANK = { critical: 0, high: 1, medium: 2, low: 3 };
const STATE_RANK = { UNACK: 0, RTNUN: 1, ACKED: 2, SHLVD: 3, DSUPR: 4 };

const alarmList = (widget, ctx) => {
  const root = frame(widget, "alarm-list");
  const filter = el("input", { class: "field", type: "search", placeholder: "Filter", "aria-label": "filter alarms" });
  const stateFilter = el("select", { class: "field", "aria-label": "state" },
    ...["all", "UNACK", "ACKED", "RTNUN", "SHLVD", "DSUPR"].map((s) => el("option", { value: s }, s === "all" ? "All states" : s)));
  const sort = el("select", { class: "field", "aria-label": "sort" },
    ...[["time", "Newest first"], ["priority", "Priority"], ["tag", "Tag"], ["state", "State"]].map(([v, t]) => el("option", { value: v }, t)));
  const list = el("div", { class: "alarms" });
  let alarms = [];
  const draw = () => {
    const text = filter.value.trim().toLowerCase();
    const shown = alarms
      .filter((a) => stateFilter.value === "all" || a.state === stateFilter.value)
      .filter((a) => !text || `${a.tag} ${a.condition} ${a.message ?? ""}`.toLowerCase().includes(text))
      .sort((a, b) => {
        switch (sort.value) {
          case "priority": return (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) || b.time.localeCompare(a.time);
          case "tag": return a.tag.localeCompare(b.tag) || a.condition.localeCompare(b.condition);
          case "state": return (STATE_RANK[a.state] ?? 9) - (STATE_RANK[b.state] ?? 9) || b.time.localeCompare(a.time);
          default: return b.time.localeCompare(a.time);
        }
      });
    if (!widget.options.available) { list.replaceChildren(el("div", { class: "empty" }, "No alarm store on this server")); return; }
    if (shown.length === 0) { list.replaceChildren(el("div", { class: "empty" }, alarms.length ? "No alarm matches the filter" : "No active alarms")); return; }
    list.replaceChildren(...shown.map((a) => {
      const ack = el("button", { type: "button", class: "primary", "data-command": "acknowledge" }, "Acknowledge");
      const shelve = el("button", { type: "button", class: "secondary", "data-command": "shelve" }, "Shelve…");
      ack.disabled = !ctx.canAcknowledge || !(a.state === "UNACK" || a.state === "RTNUN");
      shelve.disabled = !ctx.canAcknowledge || a.state === "SHLVD";
      if (!ctx.canAcknowledge) ack.title = shelve.title = "Read only: your role cannot acknowledge alarms";
      ack.addEventListener("click", () => ctx.alarmCommand(widget, a, "acknowledge", {}));
      shelve.addEventListener("click", () => ctx.shelveDialog(widget, a));
      const value = a.value == null ? "" : ` value ${formatNumber(a.value)}${a.limit == null ? "" : ` (limit ${formatNumber(a.limit)})`}`;
      const who = a.ackedBy ? ` · acknowledged by ${a.ackedBy}` : a.shelvedBy ? ` · shelved by ${a.shelvedBy}` : "";
      return el("div", { class: "alarm", "data-alarm": a.id, "data-state": a.state, "data-priority": a.priority },
        el("span", { class: "state" }, a.state),
        el("span", {}, `${a.tag} ${a.condition}`),
        el("span", {}, a.priority),
        el("div", { class: "meta" }, `${a.message ?? ""}${value} · ${new Date(a.time).toLocaleString()}${who}`),
        el("div", { class: "buttons" }, ack, shelve));
    }));
  };
  for (const control of [filter, stateFilter, sort]) control.addEventListener("input", draw);
  root.append(el("div", { class: "tools" }, filter, stateFilter, sort), list);
  return { el: root, update(state) { alarms = Array.isArray(state) ? state : []; draw(); } };
};

export const renderers = {
  "hmi-text": text,
  "hmi-gauge": gauge,
  "hmi-numeric": numeric,
  "hmi-led": led,
  "hmi-chart": chart,
  "hmi-table": table,
  "hmi-template": template,
  "hmi-button": button,
  "hmi-switch": toggle,
  "hmi-slider": slider,
  "hmi-number-input": numberInput,
  "hmi-dropdown": dropdown,
  "hmi-text-input": textInput,
  "hmi-camera": camera,
  "hmi-notification": notification,
  "hmi-alarm-list": alarmList,
};
