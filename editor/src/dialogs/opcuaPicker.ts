// The OPC UA tag picker: a "browse…" button beside node-id properties opens a tree of the server's address space,
// read through the deployed opcua-endpoint (GET opcua/browse), and puts the picked node id into the field.
import { AdminApi, ApiError } from "../api/client";
import type { NodeDeclaration, PropertyDeclaration } from "../model/types";
import type { Workspace } from "../model/workspace";
import { element, openDialog } from "./dialog";
import type { Field } from "./fields";

/** One child as GET opcua/browse answers it. */
export interface BrowsedNode {
  nodeId: string;
  browseName: string;
  displayName: string;
  nodeClass: string;
  typeDefinition: string | null;
  hasChildren: boolean;
  dataType?: string | null;
  value?: unknown;
  statusCode?: string;
  writable?: boolean;
  structure?: boolean;
}

const endpointType = "opcua-endpoint";

/** True for properties that hold OPC UA node ids: declared with the editor hint "opcua-node-id". */
export function wantsOpcUaPicker(property: PropertyDeclaration): boolean {
  return property.editor === "opcua-node-id";
}

/**
 * The field with a "browse…" button when the property wants the picker, else the field unchanged. A text field gets
 * the picked node id; a list (the subscribe node's items, JSON) gets it appended as a new entry.
 */
export function withOpcUaPicker(field: Field, property: PropertyDeclaration, declaration: NodeDeclaration, form: HTMLElement, workspace: Workspace): Field {
  if (!wantsOpcUaPicker(property)) return field;
  const control = field.element.querySelector<HTMLInputElement | HTMLTextAreaElement>("input, textarea") ?? (field.element as HTMLInputElement);
  const wrapper = element("span", { class: "opcua-node-field" });
  const button = element("button", { type: "button", class: "opcua-browse", "data-property": property.name }, "browse…");
  wrapper.append(field.element, button);
  const endpointProperty = declaration.properties.find((p) => p.kind === "configReference" && p.configType === endpointType)?.name ?? "endpoint";
  button.addEventListener("click", () => {
    const select = form.querySelector<HTMLSelectElement>(`select[name="${endpointProperty}"]`);
    openOpcUaPicker(workspace, select?.value ?? "", (nodeId) => {
      if (property.kind === "any" || control instanceof HTMLTextAreaElement) {
        control.value = JSON.stringify(appendItem(control.value, nodeId), null, 2);
      } else {
        control.value = nodeId;
      }
      control.dispatchEvent(new Event("input", { bubbles: true }));
      control.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });
  ensureStyles();
  return { ...field, element: wrapper };
}

/** The list with the node id added once; text that is not JSON throws, so a hand-edited list is never overwritten. */
function appendItem(text: string, nodeId: string): unknown[] {
  if (text.trim() === "") return [nodeId];
  const parsed: unknown = JSON.parse(text);
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const present = items.some((i) => i === nodeId || (typeof i === "object" && i !== null && (i as Record<string, unknown>)["nodeId"] === nodeId));
  return present ? items : [...items, nodeId];
}

/** The picker dialog for the endpoint config node <endpointId>; <onPick> receives the chosen node id. */
export function openOpcUaPicker(workspace: Workspace, endpointId: string, onPick: (nodeId: string) => void): void {
  const api = new AdminApi();
  const body = element("div", { class: "opcua-picker" });
  const endpoint = endpointId && endpointId !== "_ADD_" ? workspace.byId.get(endpointId) : undefined;
  const heading = element("div", { class: "opcua-picker-endpoint" });
  const message = element("div", { class: "opcua-picker-message", role: "status" });
  const tree = element("ul", { class: "opcua-tree", role: "tree" });
  body.append(heading, message, tree);
  let selected: BrowsedNode | null = null;
  let selectedRow: HTMLElement | null = null;
  let dialog: { close(): void } | null = null;

  const pick = (): boolean => {
    if (!selected) { message.textContent = "select a node first"; return false; }
    try {
      onPick(selected.nodeId);
      return true;
    } catch (error) {
      message.textContent = `the field is not a JSON list: ${(error as Error).message}`;
      message.classList.add("opcua-error");
      return false;
    }
  };

  if (!endpoint) {
    message.textContent = "Choose an opcua-endpoint in the node first (and deploy it).";
  } else {
    heading.textContent = `${workspace.label(endpoint)} · ${String(endpoint["endpoint"] ?? "")}`;
    if (workspace.changed.has(endpoint.id)) message.textContent = "The endpoint has changes that are not deployed: the deployed settings are used.";
    const root = row({ nodeId: "i=85", browseName: "0:Objects", displayName: "Objects", nodeClass: "Object", typeDefinition: null, hasChildren: true });
    tree.appendChild(root.item);
    void root.expand();
  }

  dialog = openDialog("Browse OPC UA server", body, [
    { label: "Cancel", action: () => undefined },
    { label: "Select", primary: true, action: pick },
  ], "opcua-picker-dialog");

  function row(node: BrowsedNode): { item: HTMLElement; expand(): Promise<void> } {
    const item = element("li", { class: "opcua-node", role: "treeitem", "data-node-id": node.nodeId, "data-node-class": node.nodeClass });
    const line = element("div", { class: "opcua-line", tabindex: "0" });
    const toggle = element("button", { type: "button", class: "opcua-toggle", "aria-label": `expand ${node.displayName}` }, node.hasChildren ? "▸" : "");
    if (!node.hasChildren) toggle.disabled = true;
    const name = element("span", { class: "opcua-name", title: `${node.nodeId}\n${node.browseName}` }, node.displayName);
    const kind = element("span", { class: `opcua-class opcua-class-${node.nodeClass.toLowerCase()}` }, classMark(node.nodeClass));
    line.append(toggle, kind, name);
    if (node.nodeClass === "Variable") {
      line.append(
        element("span", { class: "opcua-type" }, node.dataType ?? ""),
        element("span", { class: `opcua-value${node.statusCode && node.statusCode !== "Good" ? " opcua-bad" : ""}` }, showValue(node)),
      );
      if (node.writable) line.append(element("span", { class: "opcua-writable", title: "clients may write it" }, "rw"));
    }
    const children = element("ul", { class: "opcua-children", role: "group" });
    children.hidden = true;
    item.append(line, children);
    let loaded = false;

    const expand = async (): Promise<void> => {
      if (!node.hasChildren) return;
      if (loaded) {
        children.hidden = !children.hidden;
        toggle.textContent = children.hidden ? "▸" : "▾";
        item.setAttribute("aria-expanded", String(!children.hidden));
        return;
      }
      toggle.textContent = "…";
      try {
        const answer = await api.request<{ children: BrowsedNode[]; truncated: boolean }>("GET", `opcua/browse?endpoint=${encodeURIComponent(endpointId)}&nodeId=${encodeURIComponent(node.nodeId)}`);
        children.innerHTML = "";
        for (const child of answer.children) children.appendChild(row(child).item);
        if (answer.children.length === 0) children.appendChild(element("li", { class: "opcua-empty" }, "(no children)"));
        if (answer.truncated) children.appendChild(element("li", { class: "opcua-empty" }, `(only the first ${answer.children.length} shown)`));
        loaded = true;
        children.hidden = false;
        toggle.textContent = "▾";
        item.setAttribute("aria-expanded", "true");
        if (!message.textContent?.startsWith("The endpoint has changes")) message.textContent = "";
      } catch (error) {
        toggle.textContent = "▸";
        message.textContent = describe(error);
        message.classList.add("opcua-error");
      }
    };
    toggle.addEventListener("click", (event) => { event.stopPropagation(); void expand(); });
    line.addEventListener("click", () => {
      selectedRow?.classList.remove("selected");
      selected = node;
      selectedRow = line;
      line.classList.add("selected");
      message.classList.remove("opcua-error");
      message.textContent = node.nodeId;
    });
    line.addEventListener("dblclick", () => { if (node.nodeClass === "Variable" || !node.hasChildren) { if (pick()) dialog?.close(); } else void expand(); });
    line.addEventListener("keydown", (event) => {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") void expand();
    });
    return { item, expand };
  }
}

function describe(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === "not_deployed") return "The endpoint is not deployed: deploy the endpoint first.";
    if (error.status === 401) return "Not allowed: reading the address space needs the flows.read permission.";
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function classMark(nodeClass: string): string {
  switch (nodeClass) {
    case "Variable": return "V";
    case "Method": return "M";
    case "Object": return "O";
    case "View": return "W";
    default: return nodeClass.slice(0, 1);
  }
}

function showValue(node: BrowsedNode): string {
  if (node.statusCode && node.statusCode !== "Good" && (node.value === null || node.value === undefined)) return node.statusCode;
  if (node.structure) return "(structure)";
  const value = node.value;
  const text = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  return text.length > 60 ? text.slice(0, 59) + "…" : text;
}

let styled = false;

/** The picker's own styles, kept with it rather than in the shared stylesheet. */
function ensureStyles(): void {
  if (styled) return;
  styled = true;
  const style = document.createElement("style");
  style.textContent = `
.form-row > .opcua-node-field { flex: 1; min-width: 0; display: flex; gap: 6px; align-items: flex-start; }
.opcua-node-field > input, .opcua-node-field > textarea, .opcua-node-field > .code-editor { flex: 1; min-width: 0; }
.opcua-picker-endpoint { color: #555; margin-bottom: 6px; font-size: 12px; }
.opcua-picker-message { min-height: 1.4em; font-size: 12px; color: #555; margin-bottom: 6px; word-break: break-all; }
.opcua-picker-message.opcua-error { color: #b00020; }
.opcua-tree, .opcua-children { list-style: none; margin: 0; padding: 0; }
.opcua-children { padding-left: 16px; }
.opcua-line { display: flex; gap: 6px; align-items: center; padding: 2px 4px; cursor: pointer; border-radius: 3px; white-space: nowrap; }
.opcua-line:hover { background: #f0f4f8; }
.opcua-line.selected { background: #d6e9ff; }
.opcua-toggle { width: 20px; border: none; background: none; padding: 0; cursor: pointer; }
.opcua-class { font-size: 10px; width: 14px; text-align: center; border-radius: 2px; background: #e4e4e4; color: #444; }
.opcua-class-variable { background: #d8eed8; }
.opcua-class-method { background: #f4e3c3; }
.opcua-name { flex: none; }
.opcua-type { color: #777; font-size: 11px; }
.opcua-value { color: #1a5; font-family: monospace; overflow: hidden; text-overflow: ellipsis; }
.opcua-value.opcua-bad { color: #b00020; }
.opcua-writable { font-size: 10px; color: #555; border: 1px solid #bbb; border-radius: 2px; padding: 0 2px; }
.opcua-empty { color: #999; font-size: 12px; padding-left: 24px; }
`;
  document.head.appendChild(style);
}
