// A line chart in SVG: several series over a sliding time window, redrawn on each point and once a second.
const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
const WIDTH = 400;
const HEIGHT = 200;
const LEFT = 44;
const BOTTOM = 20;
const TOP = 8;

function node(tag, attributes = {}) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) n.setAttribute(k, v);
  return n;
}

function tickLabel(value) {
  const magnitude = Math.abs(value);
  return magnitude >= 1000 ? value.toFixed(0) : magnitude >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export function chartView(options) {
  const windowMs = (options.window ?? 600) * 1000;
  let series = {};
  const root = document.createElement("div");
  const drawing = node("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img" });
  const legend = document.createElement("div");
  legend.className = "legend";
  root.append(drawing, legend);

  function draw() {
    const now = Date.now();
    const from = now - windowMs;
    const names = Object.keys(series);
    let min = options.ymin ?? Infinity;
    let max = options.ymax ?? -Infinity;
    if (options.ymin == null || options.ymax == null) {
      for (const name of names) for (const [t, v] of series[name]) {
        if (t < from) continue;
        if (options.ymin == null) min = Math.min(min, v);
        if (options.ymax == null) max = Math.max(max, v);
      }
    }
    if (!Number.isFinite(min) || !Number.isFinite(max)) { min = 0; max = 1; }
    if (min === max) { min -= 1; max += 1; }
    const x = (t) => LEFT + ((t - from) / windowMs) * (WIDTH - LEFT - 4);
    const y = (v) => TOP + (1 - (v - min) / (max - min)) * (HEIGHT - TOP - BOTTOM);
    const parts = [node("line", { class: "axis", x1: LEFT, y1: TOP, x2: LEFT, y2: HEIGHT - BOTTOM }),
      node("line", { class: "axis", x1: LEFT, y1: HEIGHT - BOTTOM, x2: WIDTH - 4, y2: HEIGHT - BOTTOM })];
    for (let i = 0; i <= 4; i++) {
      const value = min + ((max - min) * i) / 4;
      parts.push(node("line", { class: "grid", x1: LEFT, x2: WIDTH - 4, y1: y(value), y2: y(value) }));
      const label = node("text", { x: LEFT - 4, y: y(value) + 4, "text-anchor": "end" });
      label.textContent = tickLabel(value);
      parts.push(label);
    }
    for (const [i, when] of [[0, from], [1, now]]) {
      const label = node("text", { x: i === 0 ? LEFT : WIDTH - 4, y: HEIGHT - 4, "text-anchor": i === 0 ? "start" : "end" });
      label.textContent = new Date(when).toLocaleTimeString();
      parts.push(label);
    }
    if (options.unit) {
      const unit = node("text", { x: LEFT + 4, y: TOP + 10 });
      unit.textContent = options.unit;
      parts.push(unit);
    }
    names.forEach((name, index) => {
      const points = series[name].filter(([t]) => t >= from).map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
      if (points.length === 0) return;
      parts.push(node("polyline", { points: points.join(" "), fill: "none", stroke: COLOURS[index % COLOURS.length], "stroke-width": 2, "data-series": name }));
    });
    drawing.replaceChildren(...parts);
    legend.replaceChildren(...names.map((name, index) => {
      const entry = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.style.background = COLOURS[index % COLOURS.length];
      const last = series[name][series[name].length - 1];
      entry.append(swatch, `${name}${last ? ": " + tickLabel(last[1]) : ""}`);
      return entry;
    }));
    root.dataset.points = String(names.reduce((n, name) => n + series[name].length, 0));
  }

  return {
    el: root,
    draw,
    set(state) {
      series = {};
      for (const [name, points] of Object.entries(state)) series[name] = points.slice();
      draw();
    },
    add(name, t, v) {
      (series[name] ??= []).push([t, v]);
      const from = Date.now() - windowMs;
      while (series[name].length > 0 && series[name][0][0] < from) series[name].shift();
      draw();
    },
  };
}
