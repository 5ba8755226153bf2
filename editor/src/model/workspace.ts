// The flows being edited: every object of the flow file, the open tab, the selection, undo/redo and change tracking.
import { FlowNode, NodeDeclaration, newId, structuralTypes } from "./types";

export interface NodeStatus { text?: string; fill?: string; shape?: string }
export interface WireRef { source: string; port: number; target: string }

interface Snapshot { nodes: string; changed: string[]; removed: boolean }

export const gridSize = 20;

export class Workspace {
  nodes: FlowNode[] = [];
  byId = new Map<string, FlowNode>();
  rev: string | null = null;
  declarations = new Map<string, NodeDeclaration>();
  activeTab = "";
  selection = new Set<string>();
  selectedWire: WireRef | null = null;
  /** Ids added or edited since the last deploy (drawn with a blue dot). */
  changed = new Set<string>();
  /** Something was deleted since the last deploy. */
  removed = false;
  status = new Map<string, NodeStatus>();
  /** Node ids a refused deploy named, drawn in red until the next change. */
  problems = new Set<string>();
  readOnly = false;
  private undoStack: Snapshot[] = [];
  private redoStack: Snapshot[] = [];
  private listeners: (() => void)[] = [];
  private nameCounters = new Map<string, number>();

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  notify(): void {
    for (const listener of this.listeners) listener();
  }

  setDeclarations(list: NodeDeclaration[]): void {
    this.declarations = new Map(list.map((d) => [d.type, d]));
  }

  load(flows: FlowNode[], rev: string | null): void {
    this.nodes = flows;
    this.rev = rev;
    this.reindex();
    this.changed.clear();
    this.removed = false;
    this.problems.clear();
    this.undoStack = [];
    this.redoStack = [];
    this.selection.clear();
    this.selectedWire = null;
    if (!this.tabs().some((t) => t.id === this.activeTab)) {
      if (this.tabs().length === 0) this.nodes.unshift({ id: newId(), type: "tab", label: "Flow 1", disabled: false, info: "" });
      this.reindex();
      this.activeTab = this.tabs()[0]!.id;
    }
    this.notify();
  }

  markDeployed(rev: string): void {
    this.rev = rev;
    this.changed.clear();
    this.removed = false;
    this.problems.clear();
    this.notify();
  }

  get dirty(): boolean {
    return this.changed.size > 0 || this.removed;
  }

  reindex(): void {
    this.byId = new Map(this.nodes.map((n) => [n.id, n]));
  }

  tabs(): FlowNode[] {
    return this.nodes.filter((n) => n.type === "tab");
  }

  /** Nodes drawn on a tab: everything with that z except config nodes and groups. */
  nodesOf(tab: string): FlowNode[] {
    return this.nodes.filter((n) => n.z === tab && n.type !== "group" && !this.isConfig(n));
  }

  groupsOf(tab: string): FlowNode[] {
    return this.nodes.filter((n) => n.z === tab && n.type === "group");
  }

  isConfig(node: FlowNode): boolean {
    const declaration = this.declarations.get(node.type);
    if (declaration) return declaration.isConfig;
    return !structuralTypes.has(node.type) && node.x === undefined && node.wires === undefined;
  }

  configNodes(type: string): FlowNode[] {
    return this.nodes.filter((n) => n.type === type);
  }

  label(node: FlowNode): string {
    if (typeof node.name === "string" && node.name && node.name !== "_DEFAULT_") return node.name;
    if (node.type === "tab") return String(node["label"] ?? node.id);
    if (node.type.startsWith("subflow:")) {
      const subflow = this.byId.get(node.type.slice(8));
      return typeof subflow?.name === "string" && subflow.name ? subflow.name : "subflow";
    }
    const declaration = this.declarations.get(node.type);
    if (node.type === "debug") {
      const complete = node["complete"];
      if (complete === "true" || complete === true || node["targetType"] === "full") return "msg";
      if (typeof complete === "string" && complete !== "false" && complete !== "") return `msg.${complete}`;
    }
    return declaration?.defaultLabel ?? declaration?.paletteLabel ?? node.type;
  }

  inputs(node: FlowNode): number {
    if (node.type === "junction") return 1;
    if (node.type.startsWith("subflow:")) {
      const subflow = this.byId.get(node.type.slice(8));
      return Array.isArray(subflow?.["in"]) ? (subflow!["in"] as unknown[]).length : 0;
    }
    return this.declarations.get(node.type)?.inputs ?? 1;
  }

  outputs(node: FlowNode): number {
    if (Array.isArray(node.wires) && node.wires.length > 0) return node.wires.length;
    const declaration = this.declarations.get(node.type);
    if (declaration?.outputsProperty && typeof node[declaration.outputsProperty] === "number") {
      return node[declaration.outputsProperty] as number;
    }
    if (typeof node["outputs"] === "number") return node["outputs"] as number;
    return declaration?.outputs ?? (node.type === "junction" ? 1 : 0);
  }

  // ---- undo / redo ----

  /** Call before every change: the current state becomes one undo step. */
  checkpoint(): void {
    this.undoStack.push(this.snapshot());
    if (this.undoStack.length > 100) this.undoStack.shift();
    this.redoStack = [];
  }

  private snapshot(): Snapshot {
    return { nodes: JSON.stringify(this.nodes), changed: [...this.changed], removed: this.removed };
  }

  private restore(snapshot: Snapshot): void {
    this.nodes = JSON.parse(snapshot.nodes) as FlowNode[];
    this.changed = new Set(snapshot.changed);
    this.removed = snapshot.removed;
    this.reindex();
    for (const id of [...this.selection]) if (!this.byId.has(id)) this.selection.delete(id);
    this.selectedWire = null;
    if (!this.byId.has(this.activeTab)) this.activeTab = this.tabs()[0]?.id ?? "";
    this.notify();
  }

  undo(): void {
    const snapshot = this.undoStack.pop();
    if (!snapshot) return;
    this.redoStack.push(this.snapshot());
    this.restore(snapshot);
  }

  redo(): void {
    const snapshot = this.redoStack.pop();
    if (!snapshot) return;
    this.undoStack.push(this.snapshot());
    this.restore(snapshot);
  }

  get canUndo(): boolean { return this.undoStack.length > 0; }

  // ---- edits ----

  touch(id: string): void {
    this.changed.add(id);
    this.problems.delete(id);
  }

  addNode(type: string, x: number, y: number): FlowNode {
    this.checkpoint();
    const declaration = this.declarations.get(type);
    const node: FlowNode = { id: newId(), type, z: this.activeTab };
    for (const property of declaration?.properties ?? []) {
      if (property.default !== null && property.default !== undefined) node[property.name] = structuredClone(property.default);
    }
    if (node.name === "_DEFAULT_") node.name = this.autoName(type);
    if (node.name === undefined) node.name = "";
    node.x = snap(x);
    node.y = snap(y);
    node.wires = Array.from({ length: declaration?.outputs ?? 0 }, () => []);
    this.insert(node);
    this.selection = new Set([node.id]);
    this.notify();
    return node;
  }

  /** Node-RED's "_DEFAULT_" name marker: new debug/function nodes get "debug 1", "debug 2"... */
  private autoName(type: string): string {
    const taken = new Set(this.nodes.filter((n) => n.type === type).map((n) => n.name));
    let count = this.nameCounters.get(type) ?? 0;
    let name: string;
    do { count += 1; name = `${type} ${count}`; } while (taken.has(name));
    this.nameCounters.set(type, count);
    return name;
  }

  insert(node: FlowNode): void {
    this.nodes.push(node);
    this.byId.set(node.id, node);
    this.touch(node.id);
  }

  moveSelection(dx: number, dy: number, snapToGrid: boolean): void {
    for (const id of this.selection) {
      const node = this.byId.get(id);
      if (!node || node.x === undefined || node.y === undefined) continue;
      node.x = snapToGrid ? snap(node.x + dx) : node.x + dx;
      node.y = snapToGrid ? snap(node.y + dy) : node.y + dy;
      this.touch(id);
    }
  }

  connect(source: string, port: number, target: string): boolean {
    const node = this.byId.get(source);
    if (!node || source === target) return false;
    node.wires ??= [];
    while (node.wires.length <= port) node.wires.push([]);
    if (node.wires[port]!.includes(target)) return false;
    this.checkpoint();
    node.wires[port]!.push(target);
    this.touch(source);
    this.notify();
    return true;
  }

  deleteSelection(): void {
    if (this.selection.size === 0 && !this.selectedWire) return;
    this.checkpoint();
    if (this.selectedWire) {
      const { source, port, target } = this.selectedWire;
      const node = this.byId.get(source);
      const list = node?.wires?.[port];
      if (list) list.splice(list.indexOf(target), 1);
      this.touch(source);
      this.selectedWire = null;
    }
    if (this.selection.size > 0) this.removeNodes(new Set(this.selection));
    this.selection.clear();
    this.notify();
  }

  private removeNodes(ids: Set<string>): void {
    this.nodes = this.nodes.filter((n) => !ids.has(n.id));
    for (const node of this.nodes) {
      if (!node.wires) continue;
      let touched = false;
      node.wires = node.wires.map((targets) => {
        const kept = targets.filter((t) => !ids.has(t));
        if (kept.length !== targets.length) touched = true;
        return kept;
      });
      if (Array.isArray(node["links"])) {
        const links = (node["links"] as string[]).filter((t) => !ids.has(t));
        if (links.length !== (node["links"] as string[]).length) { node["links"] = links; touched = true; }
      }
      if (touched) this.touch(node.id);
    }
    for (const id of ids) this.changed.delete(id);
    this.removed = true;
    this.reindex();
  }

  /** The selected nodes, with wires kept only between selected nodes. */
  copySelection(): FlowNode[] {
    const ids = this.selection;
    return this.nodes.filter((n) => ids.has(n.id)).map((n) => {
      const copy = structuredClone(n);
      if (copy.wires) copy.wires = copy.wires.map((targets) => targets.filter((t) => ids.has(t)));
      return copy;
    });
  }

  /**
   * Adds copies of nodes to the open tab with new ids (wires and links between them follow the new ids).
   * Config nodes whose id already exists are kept as they are. Returns the new nodes.
   */
  importNodes(source: FlowNode[], offset: { x: number; y: number } = { x: 0, y: 0 }): FlowNode[] {
    this.checkpoint();
    const ids = new Map<string, string>();
    // Flows (tabs) in the import become new flows; nodes without one go into the open flow.
    const added: FlowNode[] = [];
    let firstTab: string | null = null;
    for (const tab of source.filter((n) => n.type === "tab")) {
      const copy: FlowNode = { ...structuredClone(tab), id: newId() };
      ids.set(tab.id, copy.id);
      const last = this.nodes.reduce((index, n, i) => (n.type === "tab" ? i : index), -1);
      this.nodes.splice(last + 1, 0, copy);
      this.touch(copy.id);
      firstTab ??= copy.id;
    }
    this.reindex();
    const incoming = source.filter((n) => n.type !== "tab" && !(this.isConfig(n) && this.byId.has(n.id)));
    for (const node of incoming) ids.set(node.id, newId());
    for (const original of incoming) {
      const node = structuredClone(original);
      node.id = ids.get(original.id)!;
      const parent = original.z ? source.find((n) => n.id === original.z) : undefined;
      if (node.type === "subflow") delete node.z;
      // Nodes inside an imported subflow template stay inside it.
      else if (parent?.type === "subflow") node.z = ids.get(parent.id)!;
      else if (this.isConfig(node) && node.z && !this.byId.has(node.z) && !ids.has(node.z)) delete node.z;
      else if (original.z && ids.has(original.z) && parent?.type === "tab") node.z = ids.get(original.z)!;
      else if (!this.isConfig(node) || node.z) node.z = this.activeTab;
      if (node.type.startsWith("subflow:") && ids.has(node.type.slice(8))) node.type = `subflow:${ids.get(node.type.slice(8))}`;
      if (node.type === "subflow") {
        for (const port of [...((node["in"] as { wires?: { id: string }[] }[]) ?? []), ...((node["out"] as { wires?: { id: string }[] }[]) ?? [])]) {
          for (const wire of port.wires ?? []) wire.id = ids.get(wire.id) ?? wire.id;
        }
      }
      if (node.g) node.g = ids.get(node.g) ?? undefined;
      if (node.g === undefined) delete node.g;
      if (node.wires) node.wires = node.wires.map((targets) => targets.filter((t) => ids.has(t)).map((t) => ids.get(t)!));
      if (Array.isArray(node["links"])) node["links"] = (node["links"] as string[]).map((t) => ids.get(t) ?? t);
      if (Array.isArray(node["nodes"])) node["nodes"] = (node["nodes"] as string[]).map((t) => ids.get(t) ?? t);
      // References to config nodes that were renamed follow them.
      for (const [key, value] of Object.entries(node)) {
        if (key !== "id" && key !== "z" && typeof value === "string" && ids.has(value) && this.isConfig(incoming.find((n) => n.id === value)!)) {
          node[key] = ids.get(value);
        }
      }
      if (typeof node.x === "number") node.x += offset.x;
      if (typeof node.y === "number") node.y += offset.y;
      this.insert(node);
      added.push(node);
    }
    if (firstTab) this.activeTab = firstTab;
    this.selection = new Set(added.filter((n) => !this.isConfig(n) && n.z === this.activeTab).map((n) => n.id));
    this.notify();
    return added;
  }

  /** Replaces one node's properties from the edit dialog. */
  updateNode(id: string, values: Record<string, unknown>): void {
    const node = this.byId.get(id);
    if (!node) return;
    this.checkpoint();
    Object.assign(node, values);
    const outputs = this.declarations.get(node.type)?.outputsProperty;
    if (outputs && typeof node[outputs] === "number") {
      const count = node[outputs] as number;
      node.wires ??= [];
      while (node.wires.length < count) node.wires.push([]);
      node.wires.length = count;
    }
    this.touch(id);
    this.notify();
  }

  addTab(): FlowNode {
    this.checkpoint();
    const tab: FlowNode = { id: newId(), type: "tab", label: `Flow ${this.tabs().length + 1}`, disabled: false, info: "" };
    // Tabs come before their nodes in the file, as Node-RED writes them.
    const last = this.nodes.reduce((index, n, i) => (n.type === "tab" ? i : index), -1);
    this.nodes.splice(last + 1, 0, tab);
    this.reindex();
    this.touch(tab.id);
    this.activeTab = tab.id;
    this.notify();
    return tab;
  }

  addConfigNode(type: string, values: Record<string, unknown>): FlowNode {
    const declaration = this.declarations.get(type);
    const node: FlowNode = { id: newId(), type };
    for (const property of declaration?.properties ?? []) {
      if (property.default !== null && property.default !== undefined) node[property.name] = structuredClone(property.default);
    }
    Object.assign(node, values);
    this.insert(node);
    return node;
  }
}

export function snap(value: number): number {
  return Math.round(value / gridSize) * gridSize;
}
