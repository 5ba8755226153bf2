// The flows being edited: every object of the flow file, the open tab, the selection, undo/redo and change tracking.
import { FlowNode, NodeDeclaration, newId, structuralTypes } from "./types";
import { nodeBox } from "../canvas/geometry";

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

  subflows(): FlowNode[] {
    return this.nodes.filter((n) => n.type === "subflow");
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

  /** The selection with every member of a selected group (groups move, copy and delete with their nodes). */
  expandedSelection(): Set<string> {
    const ids = new Set(this.selection);
    const pending = [...ids];
    while (pending.length > 0) {
      const id = pending.pop()!;
      if (this.byId.get(id)?.type !== "group") continue;
      for (const member of this.nodes) {
        if (member.g === id && !ids.has(member.id)) { ids.add(member.id); pending.push(member.id); }
      }
    }
    return ids;
  }

  moveSelection(dx: number, dy: number, snapToGrid: boolean): void {
    const groups = new Set<string>();
    for (const id of this.expandedSelection()) {
      const node = this.byId.get(id);
      if (!node || node.x === undefined || node.y === undefined) continue;
      if (node.type === "group") {
        // A group's x/y is its top-left corner: it follows its members exactly, never snapped on its own.
        node.x += dx;
        node.y += dy;
        this.touch(id);
        continue;
      }
      node.x = snapToGrid ? snap(node.x + dx) : node.x + dx;
      node.y = snapToGrid ? snap(node.y + dy) : node.y + dy;
      if (node.g) groups.add(node.g);
      this.touch(id);
    }
    for (const id of groups) if (!this.selection.has(id)) this.fitGroup(id);
  }

  /** Snaps the moved nodes to the grid and refits the groups they belong to. */
  snapSelection(): void {
    const groups = new Set<string>();
    for (const id of this.expandedSelection()) {
      const node = this.byId.get(id);
      if (!node || node.type === "group" || node.x === undefined || node.y === undefined) continue;
      node.x = snap(node.x);
      node.y = snap(node.y);
      if (node.g) groups.add(node.g);
    }
    for (const id of groups) this.fitGroup(id);
  }

  /** Sets a group's box around its members, with Node-RED's margin. */
  fitGroup(id: string): void {
    const group = this.byId.get(id);
    if (!group || group.type !== "group") return;
    const members = this.nodes.filter((n) => n.g === id);
    if (members.length === 0) return;
    let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    for (const member of members) {
      const box = member.type === "group"
        ? { x: Number(member.x ?? 0), y: Number(member.y ?? 0), w: Number(member["w"] ?? 0), h: Number(member["h"] ?? 0) }
        : nodeBox(this, member);
      x1 = Math.min(x1, box.x); y1 = Math.min(y1, box.y); x2 = Math.max(x2, box.x + box.w); y2 = Math.max(y2, box.y + box.h);
    }
    // Wider at the sides: inject buttons and debug toggles stick out of their nodes.
    const margin = 20, side = 30;
    group.x = x1 - side;
    group.y = y1 - margin - (typeof group.name === "string" && group.name ? 10 : 0);
    group["w"] = x2 - x1 + 2 * side;
    group["h"] = y2 - group.y + margin;
    this.touch(id);
    if (group.g) this.fitGroup(group.g);
  }

  /** Puts the selected nodes (and groups) of the open flow into a new group. */
  groupSelection(): FlowNode | null {
    const members = [...this.selection].map((id) => this.byId.get(id)).filter((n): n is FlowNode => !!n && n.z === this.activeTab && n.x !== undefined);
    if (members.length === 0) return null;
    this.checkpoint();
    const group: FlowNode = { id: newId(), type: "group", z: this.activeTab, name: "", style: { label: true }, nodes: members.map((n) => n.id), x: 0, y: 0, w: 0, h: 0 };
    // A node already in a group leaves it for the new one.
    const parents = new Set(members.map((n) => n.g).filter((g): g is string => !!g));
    for (const parent of parents) {
      const outer = this.byId.get(parent);
      if (!outer) continue;
      outer["nodes"] = ((outer["nodes"] as string[] | undefined) ?? []).filter((m) => !members.some((n) => n.id === m));
      // The new group stays inside the common parent when every member came from it.
      if (members.every((n) => n.g === parent)) { group.g = parent; (outer["nodes"] as string[]).push(group.id); }
      this.touch(parent);
    }
    for (const member of members) { member.g = group.id; this.touch(member.id); }
    if (!group.g) delete group.g;
    // Groups come before the nodes in the file, as Node-RED writes them.
    const firstNode = this.nodes.findIndex((n) => n.z === this.activeTab && n.type !== "group");
    this.nodes.splice(firstNode < 0 ? this.nodes.length : firstNode, 0, group);
    this.reindex();
    this.fitGroup(group.id);
    for (const parent of parents) this.fitGroup(parent);
    this.selection = new Set([group.id]);
    this.notify();
    return group;
  }

  /** Removes the selected groups; their members stay where they are (in the parent group, if any). */
  ungroupSelection(): number {
    const groups = [...this.selection].map((id) => this.byId.get(id)).filter((n): n is FlowNode => n?.type === "group");
    if (groups.length === 0) return 0;
    this.checkpoint();
    const released = new Set<string>();
    for (const group of groups) {
      for (const member of this.nodes.filter((n) => n.g === group.id)) {
        if (group.g) member.g = group.g; else delete member.g;
        released.add(member.id);
        this.touch(member.id);
      }
    }
    const removed = new Set(groups.map((g) => g.id));
    for (const outer of this.nodes.filter((n) => n.type === "group" && !removed.has(n.id))) {
      if (groups.some((g) => g.g === outer.id)) {
        outer["nodes"] = this.nodes.filter((n) => n.g === outer.id && !removed.has(n.id)).map((n) => n.id);
        this.touch(outer.id);
      }
    }
    this.nodes = this.nodes.filter((n) => !removed.has(n.id));
    this.removed = true;
    for (const id of removed) this.changed.delete(id);
    this.reindex();
    this.selection = released;
    this.notify();
    return groups.length;
  }

  // ---- subflows ----

  /**
   * Node-RED's "selection to subflow": the selected nodes move into a new subflow template, an instance takes their
   * place, wires into the selection come in through the one input and each (node, port) wired out becomes an output.
   */
  selectionToSubflow(): FlowNode {
    const selected = [...this.selection].map((id) => this.byId.get(id))
      .filter((n): n is FlowNode => !!n && n.z === this.activeTab && n.type !== "group" && n.x !== undefined);
    if (selected.length === 0) throw new Error("select the nodes to put into a subflow first");
    const ids = new Set(selected.map((n) => n.id));
    const outside = this.nodesOf(this.activeTab).filter((n) => !ids.has(n.id));
    const inboundTargets = new Set<string>();
    for (const source of outside) for (const targets of source.wires ?? []) for (const t of targets) if (ids.has(t)) inboundTargets.add(t);
    if (inboundTargets.size > 1) throw new Error("cannot create a subflow: wires come into more than one selected node (a subflow has one input)");
    const outputs: { source: string; port: number; targets: string[] }[] = [];
    for (const node of selected) {
      node.wires?.forEach((targets, port) => {
        const leaving = targets.filter((t) => !ids.has(t));
        if (leaving.length > 0) outputs.push({ source: node.id, port, targets: leaving });
      });
    }
    this.checkpoint();
    const minX = Math.min(...selected.map((n) => n.x!)), minY = Math.min(...selected.map((n) => n.y!));
    const maxX = Math.max(...selected.map((n) => n.x!)), maxY = Math.max(...selected.map((n) => n.y!));
    const number = this.subflows().length + 1;
    const subflow: FlowNode = {
      id: newId(), type: "subflow", name: `Subflow ${number}`, info: "", category: "", color: "#DDAA99", env: [],
      in: inboundTargets.size > 0 ? [{ x: 60, y: 60, wires: [...inboundTargets].map((id) => ({ id })) }] : [],
      out: outputs.map((o, i) => ({ x: maxX - minX + 340, y: 60 + i * 60, wires: [{ id: o.source, port: o.port }] })),
    };
    const instance: FlowNode = {
      id: newId(), type: `subflow:${subflow.id}`, z: this.activeTab, name: "", env: [],
      x: snap((minX + maxX) / 2), y: snap((minY + maxY) / 2), wires: outputs.map((o) => [...o.targets]),
    };
    for (const source of outside) {
      if (!source.wires) continue;
      let touched = false;
      source.wires = source.wires.map((targets) => {
        if (!targets.some((t) => ids.has(t))) return targets;
        touched = true;
        const kept = targets.filter((t) => !ids.has(t));
        return kept.includes(instance.id) ? kept : [...kept, instance.id];
      });
      if (touched) this.touch(source.id);
    }
    for (const node of selected) {
      node.z = subflow.id;
      node.x = node.x! - minX + 200;
      node.y = node.y! - minY + 60;
      if (node.wires) node.wires = node.wires.map((targets) => targets.filter((t) => ids.has(t)));
      if (node.g && !ids.has(node.g)) delete node.g;
      this.touch(node.id);
    }
    for (const group of this.groupsOf(this.activeTab)) {
      if (Array.isArray(group["nodes"])) group["nodes"] = (group["nodes"] as string[]).filter((m) => !ids.has(m));
    }
    const lastTab = this.nodes.reduce((index, n, i) => (n.type === "tab" || n.type === "subflow" ? i : index), -1);
    this.nodes.splice(lastTab + 1, 0, subflow);
    this.insert(instance);
    this.reindex();
    this.touch(subflow.id);
    this.selection = new Set([instance.id]);
    this.notify();
    return instance;
  }

  /** Node ids and the tab (or subflow) they are on, for the search box: names, types, ids and property values. */
  search(text: string): FlowNode[] {
    const needle = text.trim().toLowerCase();
    if (!needle) return [];
    const skip = new Set(["id", "z", "x", "y", "w", "h", "wires", "g", "type"]);
    const found = (value: unknown): boolean => {
      if (typeof value === "string") return value.toLowerCase().includes(needle);
      if (typeof value === "number" || typeof value === "boolean") return String(value).toLowerCase() === needle;
      if (Array.isArray(value)) return value.some(found);
      if (value && typeof value === "object") return Object.values(value).some(found);
      return false;
    };
    return this.nodes.filter((n) => n.type !== "tab" && !this.isConfig(n) && (
      n.id === needle || n.type.toLowerCase().includes(needle) || this.label(n).toLowerCase().includes(needle) ||
      Object.entries(n).some(([key, value]) => !skip.has(key) && found(value))));
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

  /** In an open subflow template: wires its input `port` to a node inside. */
  connectSubflowInput(port: number, target: string): void {
    const subflow = this.byId.get(this.activeTab);
    const input = (subflow?.["in"] as { wires: { id: string }[] }[] | undefined)?.[port];
    if (!subflow || !input || input.wires.some((w) => w.id === target)) return;
    this.checkpoint();
    input.wires.push({ id: target });
    this.touch(subflow.id);
    this.notify();
  }

  /** In an open subflow template: wires a node's output port to the subflow's output `index`. */
  connectSubflowOutput(source: string, port: number, index: number): void {
    const subflow = this.byId.get(this.activeTab);
    const output = (subflow?.["out"] as { wires: { id: string; port: number }[] }[] | undefined)?.[index];
    if (!subflow || !output || output.wires.some((w) => w.id === source && w.port === port)) return;
    this.checkpoint();
    output.wires.push({ id: source, port });
    this.touch(subflow.id);
    this.notify();
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
    if (this.selection.size > 0) this.removeNodes(this.expandedSelection());
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
    for (const group of this.nodes.filter((n) => n.type === "group")) {
      if (Array.isArray(group["nodes"]) && (group["nodes"] as string[]).some((m) => ids.has(m))) {
        group["nodes"] = (group["nodes"] as string[]).filter((m) => !ids.has(m));
        this.touch(group.id);
      }
    }
    for (const node of this.nodes) if (node.g && ids.has(node.g)) delete node.g;
    for (const id of ids) this.changed.delete(id);
    this.removed = true;
    this.reindex();
  }

  /** The selected nodes, with wires kept only between selected nodes. */
  copySelection(): FlowNode[] {
    const ids = this.expandedSelection();
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

  /** Splits the selected wire with a junction halfway along it (Node-RED's "insert junction"). */
  insertJunction(): FlowNode | null {
    const wire = this.selectedWire;
    const source = wire ? this.byId.get(wire.source) : undefined;
    const target = wire ? this.byId.get(wire.target) : undefined;
    if (!wire || !source || !target) return null;
    this.checkpoint();
    const junction: FlowNode = {
      id: newId(), type: "junction", z: source.z,
      x: snap(((source.x ?? 0) + (target.x ?? 0)) / 2), y: snap(((source.y ?? 0) + (target.y ?? 0)) / 2), wires: [[target.id]],
    };
    const list = source.wires![wire.port]!;
    list[list.indexOf(target.id)] = junction.id;
    this.touch(source.id);
    this.insert(junction);
    this.selectedWire = null;
    this.selection = new Set([junction.id]);
    this.notify();
    return junction;
  }

  /** Moves a flow tab before another (or to the end): the file's tab order is the editor's tab order. */
  moveTab(id: string, beforeId: string | null): void {
    const tab = this.byId.get(id);
    if (!tab || tab.type !== "tab" || id === beforeId) return;
    this.checkpoint();
    this.nodes.splice(this.nodes.indexOf(tab), 1);
    const before = beforeId ? this.byId.get(beforeId) : undefined;
    const lastTab = this.nodes.reduce((index, n, i) => (n.type === "tab" ? i : index), -1);
    this.nodes.splice(before ? this.nodes.indexOf(before) : lastTab + 1, 0, tab);
    this.touch(id);
    this.notify();
  }

  /** Deletes a flow with everything on it; the last flow stays. */
  deleteTab(id: string): boolean {
    const tab = this.byId.get(id);
    if (!tab || tab.type !== "tab" || this.tabs().length < 2) return false;
    this.checkpoint();
    const ids = new Set([id, ...this.nodes.filter((n) => n.z === id).map((n) => n.id)]);
    this.removeNodes(ids);
    if (this.activeTab === id) this.activeTab = this.tabs()[0]!.id;
    this.selection.clear();
    this.notify();
    return true;
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
