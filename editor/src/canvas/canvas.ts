// The workspace: an SVG of the open tab with pan, zoom, selection, moving, wiring and the node buttons.
import type { FlowNode } from "../model/types";
import { gridSize, type Workspace } from "../model/workspace";
import { inputPoint, nodeBox, outputOffset, outputPoint, wirePath } from "./geometry";

export interface CanvasActions {
  edit(id: string): void;
  inject(id: string): void;
  toggleDebug(id: string): void;
}

type Drag =
  | { kind: "move"; startX: number; startY: number; lastX: number; lastY: number; moved: boolean }
  | { kind: "wire"; source: string; port: number; from: { x: number; y: number } }
  | { kind: "box"; startX: number; startY: number; additive: boolean }
  | { kind: "pan"; startX: number; startY: number; originX: number; originY: number };

const svgNs = "http://www.w3.org/2000/svg";

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export class Canvas {
  readonly svg: SVGSVGElement;
  private readonly layer: SVGGElement;
  private readonly overlay: SVGGElement;
  private view = { x: 0, y: 0, scale: 1 };
  private drag: Drag | null = null;
  private hovered: string | null = null;
  private lastPress: { id: string; time: number } | null = null;
  /** Milliseconds the last full render took (the performance check reads it). */
  lastRenderMs = 0;
  /** Milliseconds of each step of the last drag of nodes (the performance check reads them). */
  dragFrames: number[] = [];
  /** The drawn elements a drag of nodes changes, found once when the drag starts. */
  private dragElements: { nodes: [FlowNode, SVGGElement][]; wires: [FlowNode, number, FlowNode, SVGGElement][]; groups: [FlowNode, SVGGElement][] } | null = null;

  constructor(private readonly workspace: Workspace, private readonly actions: CanvasActions, host: HTMLElement) {
    this.svg = document.createElementNS(svgNs, "svg");
    this.svg.classList.add("canvas");
    this.svg.setAttribute("tabindex", "0");
    this.svg.innerHTML = `<defs><pattern id="grid" width="${gridSize}" height="${gridSize}" patternUnits="userSpaceOnUse">` +
      `<path d="M ${gridSize} 0 L 0 0 0 ${gridSize}" fill="none" stroke="#eee" stroke-width="1"/></pattern></defs>` +
      `<g class="viewport"><rect class="grid" x="-5000" y="-5000" width="20000" height="20000" fill="url(#grid)"/><g class="layer"></g><g class="overlay"></g></g>`;
    host.appendChild(this.svg);
    this.layer = this.svg.querySelector(".layer")!;
    this.overlay = this.svg.querySelector(".overlay")!;
    this.svg.addEventListener("pointerdown", (e) => this.pointerDown(e));
    window.addEventListener("pointermove", (e) => this.pointerMove(e));
    window.addEventListener("pointerup", (e) => this.pointerUp(e));
    this.svg.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    this.svg.addEventListener("pointerover", (e) => {
      const id = (e.target as Element).closest<SVGGElement>("[data-node]")?.dataset["node"] ?? null;
      if (id !== this.hovered) { this.hovered = id; this.drawLinks(); }
    });
    this.applyView();
  }

  /** Canvas coordinates of a point on the screen. */
  toCanvas(clientX: number, clientY: number): { x: number; y: number } {
    const rect = this.svg.getBoundingClientRect();
    return { x: (clientX - rect.left - this.view.x) / this.view.scale, y: (clientY - rect.top - this.view.y) / this.view.scale };
  }

  contains(clientX: number, clientY: number): boolean {
    const rect = this.svg.getBoundingClientRect();
    return clientX >= rect.left && clientX <= rect.right && clientY >= rect.top && clientY <= rect.bottom;
  }

  zoom(factor: number, around?: { clientX: number; clientY: number }): void {
    const rect = this.svg.getBoundingClientRect();
    const cx = (around?.clientX ?? rect.left + rect.width / 2) - rect.left;
    const cy = (around?.clientY ?? rect.top + rect.height / 2) - rect.top;
    const scale = Math.min(4, Math.max(0.1, this.view.scale * factor));
    this.view.x = cx - ((cx - this.view.x) * scale) / this.view.scale;
    this.view.y = cy - ((cy - this.view.y) * scale) / this.view.scale;
    this.view.scale = scale;
    this.applyView();
  }

  resetZoom(): void {
    this.view = { x: 0, y: 0, scale: 1 };
    this.applyView();
  }

  get scale(): number { return this.view.scale; }

  /** Scrolls so that a node is in view (search, deploy problems). */
  reveal(id: string): void {
    const node = this.workspace.byId.get(id);
    if (!node || node.x === undefined || node.y === undefined) return;
    const rect = this.svg.getBoundingClientRect();
    this.view.x = rect.width / 2 - node.x * this.view.scale;
    this.view.y = rect.height / 2 - node.y * this.view.scale;
    this.applyView();
  }

  private applyView(): void {
    this.svg.querySelector(".viewport")!.setAttribute("transform", `translate(${this.view.x} ${this.view.y}) scale(${this.view.scale})`);
    this.svg.dataset["scale"] = String(this.view.scale);
  }

  render(): void {
    const started = performance.now();
    const ws = this.workspace;
    const tab = ws.activeTab;
    const nodes = ws.nodesOf(tab);
    const parts: string[] = [];
    for (const group of ws.groupsOf(tab)) parts.push(this.groupMarkup(group));
    for (const node of nodes) {
      node.wires?.forEach((targets, port) => {
        for (const target of targets) {
          const other = ws.byId.get(target);
          if (!other || other.z !== tab) continue;
          const selected = ws.selectedWire?.source === node.id && ws.selectedWire.port === port && ws.selectedWire.target === target;
          const d = wirePath(outputPoint(ws, node, port), inputPoint(ws, other));
          parts.push(`<g class="wire${selected ? " selected" : ""}" data-wire="${node.id}|${port}|${target}">` +
            `<path class="wire-hit" d="${d}"/><path class="wire-line" d="${d}"/></g>`);
        }
      });
    }
    const subflow = ws.byId.get(tab);
    if (subflow?.type === "subflow") parts.push(...this.subflowPortsMarkup(subflow));
    for (const node of nodes) parts.push(this.nodeMarkup(node));
    this.layer.innerHTML = parts.join("");
    // A render in the middle of a drag (live status) replaced the elements the drag moves.
    if (this.dragElements) this.dragElements = this.findDragElements();
    this.drawLinks();
    this.lastRenderMs = performance.now() - started;
    this.svg.dataset["renderMs"] = this.lastRenderMs.toFixed(1);
  }

  private groupMarkup(group: FlowNode): string {
    const style = (group["style"] ?? {}) as Record<string, string>;
    const x = Number(group.x ?? 0), y = Number(group.y ?? 0), w = Number(group["w"] ?? 100), h = Number(group["h"] ?? 60);
    const label = typeof group.name === "string" ? group.name : "";
    const selected = this.workspace.selection.has(group.id) ? " selected" : "";
    return `<g class="group${selected}" data-group="${group.id}"><rect class="group-body" x="${x}" y="${y}" width="${w}" height="${h}" rx="4" ` +
      `fill="${escapeXml(style["fill"] ?? "none")}" fill-opacity="${style["fill-opacity"] ?? 0.1}" stroke="${escapeXml(style["stroke"] ?? "#999")}"/>` +
      (label ? `<text x="${x + 8}" y="${y + 16}" class="group-label">${escapeXml(label)}</text>` : "") + `</g>`;
  }

  /** A subflow template's input and output ports, with the wires between them and the nodes inside. */
  private subflowPortsMarkup(subflow: FlowNode): string[] {
    const ws = this.workspace;
    const parts: string[] = [];
    const inputs = (subflow["in"] as { x: number; y: number; wires?: { id: string }[] }[] | undefined) ?? [];
    const outputs = (subflow["out"] as { x: number; y: number; wires?: { id: string; port?: number }[] }[] | undefined) ?? [];
    inputs.forEach((port, index) => {
      for (const wire of port.wires ?? []) {
        const target = ws.byId.get(wire.id);
        if (target) parts.push(`<g class="wire subflow-wire"><path class="wire-line" d="${wirePath({ x: port.x + 25, y: port.y }, inputPoint(ws, target))}"/></g>`);
      }
      parts.push(`<g class="subflow-port subflow-in" data-subflow-port="in" data-index="${index}" transform="translate(${port.x - 20} ${port.y - 15})">` +
        `<rect class="node-body" width="40" height="30" rx="5"/><text class="node-label" x="8" y="20">in</text>` +
        `<rect class="port port-out" data-out="${subflow.id}" data-port="${index}" x="35" y="10" width="10" height="10" rx="3"/></g>`);
    });
    outputs.forEach((port, index) => {
      for (const wire of port.wires ?? []) {
        const source = ws.byId.get(wire.id);
        if (source) parts.push(`<g class="wire subflow-wire"><path class="wire-line" d="${wirePath(outputPoint(ws, source, wire.port ?? 0), { x: port.x - 25, y: port.y })}"/></g>`);
      }
      parts.push(`<g class="subflow-port subflow-out" data-subflow-port="out" data-index="${index}" transform="translate(${port.x - 20} ${port.y - 15})">` +
        `<rect class="node-body" width="40" height="30" rx="5"/><text class="node-label" x="8" y="20">${index + 1}</text>` +
        `<rect class="port port-in" data-in="subflow-out:${index}" x="-5" y="10" width="10" height="10" rx="3"/></g>`);
    });
    return parts;
  }

  private nodeMarkup(node: FlowNode): string {
    const ws = this.workspace;
    const box = nodeBox(ws, node);
    const selected = ws.selection.has(node.id);
    const classes = ["node"];
    if (selected) classes.push("selected");
    if (ws.problems.has(node.id)) classes.push("problem");
    if (node["d"] === true) classes.push("disabled");
    if (node.type === "junction") {
      return `<g class="${classes.join(" ")} junction" data-node="${node.id}" data-type="junction" data-x="${node.x}" data-y="${node.y}" transform="translate(${box.x} ${box.y})">` +
        `<rect class="node-body" width="10" height="10" rx="3" data-in="${node.id}"/>` +
        `<rect class="port port-out" data-out="${node.id}" data-port="0" x="5" y="0" width="10" height="10" opacity="0"/></g>`;
    }
    const declaration = ws.declarations.get(node.type);
    const color = declaration?.color ?? (node.type.startsWith("subflow:") ? "#ddaa99" : "#ffffff");
    const label = ws.label(node);
    const parts = [`<g class="${classes.join(" ")}" data-node="${node.id}" data-type="${escapeXml(node.type)}" ` +
      `data-x="${node.x}" data-y="${node.y}" transform="translate(${box.x} ${box.y})">`];
    if (declaration?.hasButton || node.type === "inject") {
      parts.push(`<g class="node-button" data-button="inject" data-id="${node.id}"><rect x="-22" y="${box.h / 2 - 10}" width="20" height="20" rx="4" fill="${color}"/>` +
        `<path d="M-16 ${box.h / 2 - 5} L-8 ${box.h / 2} L-16 ${box.h / 2 + 5} Z" fill="#fff"/></g>`);
    }
    if (node.type === "debug") {
      const active = node["active"] !== false;
      parts.push(`<g class="node-button${active ? " active" : ""}" data-button="debug" data-id="${node.id}"><rect x="${box.w + 2}" y="${box.h / 2 - 10}" width="20" height="20" rx="4" fill="${active ? color : "#ccc"}"/></g>`);
    }
    parts.push(`<rect class="node-body" width="${box.w}" height="${box.h}" rx="5" fill="${escapeXml(color)}"/>`);
    parts.push(`<rect class="node-icon" width="28" height="${box.h}" rx="5" fill="rgba(0,0,0,0.06)"/>`);
    parts.push(`<text class="node-label" x="38" y="${box.h / 2 + 5}">${escapeXml(label)}</text>`);
    if (ws.inputs(node) > 0) {
      parts.push(`<rect class="port port-in" data-in="${node.id}" x="-5" y="${box.h / 2 - 5}" width="10" height="10" rx="3"/>`);
    }
    const outputs = ws.outputs(node);
    for (let port = 0; port < outputs; port++) {
      const y = outputOffset(box.h, outputs, port);
      parts.push(`<rect class="port port-out" data-out="${node.id}" data-port="${port}" x="${box.w - 5}" y="${y - 5}" width="10" height="10" rx="3"/>`);
    }
    if (ws.changed.has(node.id)) parts.push(`<circle class="changed-marker" cx="${box.w - 6}" cy="-3" r="4"/>`);
    if (ws.problems.has(node.id)) parts.push(`<path class="problem-marker" d="M${box.w - 18} -2 l6 -11 l6 11 z"/>`);
    const status = ws.status.get(node.id);
    if (status && (status.text || status.fill)) {
      const fill = { red: "#c00", green: "#5a8", yellow: "#F9DF31", blue: "#53A3F3", grey: "#d3d3d3" }[status.fill ?? ""] ?? "#d3d3d3";
      const ring = status.shape === "ring";
      parts.push(`<g class="node-status" transform="translate(3 ${box.h + 3})"><rect width="9" height="9" rx="2" ` +
        `fill="${ring ? "#fff" : fill}" stroke="${fill}" stroke-width="${ring ? 3 : 1}"/>` +
        `<text class="status-text" x="14" y="9">${escapeXml(status.text ?? "")}</text></g>`);
    }
    parts.push("</g>");
    return parts.join("");
  }

  /** Link nodes' virtual wires: dashed, shown while a link node is hovered or selected. */
  private drawLinks(): void {
    const ws = this.workspace;
    const focus = new Set([...ws.selection]);
    if (this.hovered) focus.add(this.hovered);
    const parts: string[] = [];
    for (const id of focus) {
      const node = ws.byId.get(id);
      if (!node || !node.type.startsWith("link ") || !Array.isArray(node["links"])) continue;
      for (const otherId of node["links"] as string[]) {
        const other = ws.byId.get(otherId);
        if (!other || other.z !== node.z) continue;
        const [from, to] = node.type === "link in" ? [other, node] : [node, other];
        parts.push(`<path class="link-wire" d="${wirePath(outputPoint(ws, from, 0), inputPoint(ws, to))}"/>`);
      }
    }
    if (this.drag?.kind !== "wire" && this.drag?.kind !== "box") this.overlay.innerHTML = parts.join("");
  }

  private pointerDown(event: PointerEvent): void {
    const target = event.target as Element;
    this.svg.focus();
    const ws = this.workspace;
    const point = this.toCanvas(event.clientX, event.clientY);
    if (event.button === 1 || (event.button === 0 && event.altKey)) {
      this.drag = { kind: "pan", startX: event.clientX, startY: event.clientY, originX: this.view.x, originY: this.view.y };
      event.preventDefault();
      return;
    }
    if (event.button !== 0) return;
    const button = target.closest<SVGGElement>("[data-button]");
    if (button) {
      const id = button.dataset["id"]!;
      if (button.dataset["button"] === "inject") this.actions.inject(id);
      else this.actions.toggleDebug(id);
      event.preventDefault();
      return;
    }
    const out = target.closest<SVGElement>("[data-out]");
    if (out && !ws.readOnly) {
      const source = out.dataset["out"]!;
      const port = Number(out.dataset["port"] ?? 0);
      this.drag = { kind: "wire", source, port, from: outputPoint(ws, ws.byId.get(source)!, port) };
      event.preventDefault();
      return;
    }
    const nodeElement = target.closest<SVGGElement>("[data-node]");
    if (nodeElement) {
      const id = nodeElement.dataset["node"]!;
      // Double-click is detected here: the first press re-draws the node, so the browser's dblclick may not fire.
      const now = performance.now();
      if (this.lastPress?.id === id && now - this.lastPress.time < 400) {
        this.lastPress = null;
        this.actions.edit(id);
        event.preventDefault();
        return;
      }
      this.lastPress = { id, time: now };
      ws.selectedWire = null;
      if (event.shiftKey || event.ctrlKey || event.metaKey) {
        if (ws.selection.has(id)) ws.selection.delete(id);
        else ws.selection.add(id);
      } else if (!ws.selection.has(id)) {
        ws.selection = new Set([id]);
      }
      this.drag = { kind: "move", startX: point.x, startY: point.y, lastX: point.x, lastY: point.y, moved: false };
      ws.notify();
      event.preventDefault();
      return;
    }
    const wire = target.closest<SVGGElement>("[data-wire]");
    if (wire) {
      const [source, port, targetId] = wire.dataset["wire"]!.split("|");
      ws.selection.clear();
      ws.selectedWire = { source: source!, port: Number(port), target: targetId! };
      ws.notify();
      return;
    }
    const group = target.closest<SVGGElement>("[data-group]");
    if (group) {
      const id = group.dataset["group"]!;
      const now = performance.now();
      if (this.lastPress?.id === id && now - this.lastPress.time < 400) {
        this.lastPress = null;
        this.actions.edit(id);
        event.preventDefault();
        return;
      }
      this.lastPress = { id, time: now };
      ws.selectedWire = null;
      if (event.shiftKey || event.ctrlKey || event.metaKey) {
        if (ws.selection.has(id)) ws.selection.delete(id); else ws.selection.add(id);
      } else if (!ws.selection.has(id)) {
        ws.selection = new Set([id]);
      }
      this.drag = { kind: "move", startX: point.x, startY: point.y, lastX: point.x, lastY: point.y, moved: false };
      ws.notify();
      event.preventDefault();
      return;
    }
    const additive = event.shiftKey;
    if (!additive) { ws.selection.clear(); ws.selectedWire = null; ws.notify(); }
    this.drag = { kind: "box", startX: point.x, startY: point.y, additive };
    event.preventDefault();
  }

  private pointerMove(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag) return;
    const ws = this.workspace;
    if (drag.kind === "pan") {
      this.view.x = drag.originX + event.clientX - drag.startX;
      this.view.y = drag.originY + event.clientY - drag.startY;
      this.applyView();
      return;
    }
    const point = this.toCanvas(event.clientX, event.clientY);
    if (drag.kind === "move") {
      if (ws.readOnly) return;
      if (!drag.moved && Math.hypot(point.x - drag.startX, point.y - drag.startY) < 3) return;
      if (!drag.moved) { ws.checkpoint(); drag.moved = true; this.prepareDrag(); }
      ws.moveSelection(point.x - drag.lastX, point.y - drag.lastY, false);
      drag.lastX = point.x;
      drag.lastY = point.y;
      this.updateDragged();
    } else if (drag.kind === "wire") {
      this.overlay.innerHTML = `<path class="drag-wire" d="${wirePath(drag.from, point)}"/>`;
    } else if (drag.kind === "box") {
      const x = Math.min(point.x, drag.startX), y = Math.min(point.y, drag.startY);
      this.overlay.innerHTML = `<rect class="lasso" x="${x}" y="${y}" width="${Math.abs(point.x - drag.startX)}" height="${Math.abs(point.y - drag.startY)}"/>`;
    }
  }

  private pointerUp(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag) return;
    this.drag = null;
    const ws = this.workspace;
    this.overlay.innerHTML = "";
    if (drag.kind === "move") {
      this.dragElements = null;
      if (drag.moved) {
        ws.snapSelection();
        ws.notify();
      }
    } else if (drag.kind === "wire") {
      const element = document.elementFromPoint(event.clientX, event.clientY);
      const target = element?.closest<SVGElement>("[data-in]")?.dataset["in"] ?? element?.closest<SVGGElement>("[data-node]")?.dataset["node"];
      if (target?.startsWith("subflow-out:")) ws.connectSubflowOutput(drag.source, drag.port, Number(target.slice(12)));
      else if (target && ws.byId.get(target) && ws.inputs(ws.byId.get(target)!) > 0) {
        if (ws.byId.get(drag.source)?.type === "subflow") ws.connectSubflowInput(drag.port, target);
        else ws.connect(drag.source, drag.port, target);
      }
    } else if (drag.kind === "box") {
      const point = this.toCanvas(event.clientX, event.clientY);
      const x1 = Math.min(point.x, drag.startX), x2 = Math.max(point.x, drag.startX);
      const y1 = Math.min(point.y, drag.startY), y2 = Math.max(point.y, drag.startY);
      if (x2 - x1 > 2 || y2 - y1 > 2) {
        for (const node of ws.nodesOf(ws.activeTab)) {
          if ((node.x ?? 0) >= x1 && (node.x ?? 0) <= x2 && (node.y ?? 0) >= y1 && (node.y ?? 0) <= y2) ws.selection.add(node.id);
        }
        ws.notify();
      }
    }
    this.drawLinks();
  }

  /**
   * A drag only moves what it touches: re-drawing the whole canvas on every pointer move is too slow for large flows,
   * so the moved nodes, their wires and the groups get new coordinates and the full render waits for the release.
   */
  private prepareDrag(): void {
    this.dragElements = this.findDragElements();
    this.dragFrames = [];
  }

  private findDragElements(): NonNullable<Canvas["dragElements"]> {
    const ws = this.workspace;
    const moved = ws.expandedSelection();
    const found = { nodes: [] as [FlowNode, SVGGElement][], wires: [] as [FlowNode, number, FlowNode, SVGGElement][], groups: [] as [FlowNode, SVGGElement][] };
    for (const child of this.layer.children) {
      const element = child as SVGGElement;
      const { node: nodeId, wire, group } = element.dataset;
      if (nodeId && moved.has(nodeId)) found.nodes.push([ws.byId.get(nodeId)!, element]);
      else if (group && ws.byId.has(group)) found.groups.push([ws.byId.get(group)!, element]);
      else if (wire) {
        const [source, port, target] = wire.split("|");
        if (!moved.has(source!) && !moved.has(target!)) continue;
        const from = ws.byId.get(source!), to = ws.byId.get(target!);
        if (from && to) found.wires.push([from, Number(port), to, element]);
      }
    }
    return found;
  }

  private updateDragged(): void {
    const found = this.dragElements;
    if (!found) { this.render(); return; }
    const started = performance.now();
    const ws = this.workspace;
    for (const [node, element] of found.nodes) {
      const box = nodeBox(ws, node);
      element.setAttribute("transform", `translate(${box.x} ${box.y})`);
      element.dataset["x"] = String(node.x);
      element.dataset["y"] = String(node.y);
    }
    for (const [from, port, to, element] of found.wires) {
      const d = wirePath(outputPoint(ws, from, port), inputPoint(ws, to));
      for (const path of element.children) path.setAttribute("d", d);
    }
    for (const [group, element] of found.groups) {
      const rect = element.querySelector(".group-body");
      rect?.setAttribute("x", String(group.x ?? 0));
      rect?.setAttribute("y", String(group.y ?? 0));
      rect?.setAttribute("width", String(group["w"] ?? 100));
      rect?.setAttribute("height", String(group["h"] ?? 60));
      const label = element.querySelector(".group-label");
      label?.setAttribute("x", String(Number(group.x ?? 0) + 8));
      label?.setAttribute("y", String(Number(group.y ?? 0) + 16));
    }
    this.drawLinks();
    this.dragFrames.push(performance.now() - started);
  }

  private wheel(event: WheelEvent): void {
    event.preventDefault();
    if (event.ctrlKey || event.metaKey) {
      this.zoom(event.deltaY < 0 ? 1.1 : 1 / 1.1, event);
    } else {
      this.view.x -= event.deltaX;
      this.view.y -= event.deltaY;
      this.applyView();
    }
  }
}
