// Dialogs of subflows and groups: a subflow instance's properties (env), the template's name and env, a group's name.
import type { FlowNode } from "../model/types";
import type { Workspace } from "../model/workspace";
import { element, openDialog } from "./dialog";
import { row, textField } from "./fields";

export interface EnvEntry { name: string; type: string; value: string }

const envTypes = ["str", "num", "bool", "json", "env", "cred", "jsonata"];

/** Rows of name, type and value with add and remove (Node-RED's env list). */
function envEditor(entries: EnvEntry[], fixedNames: Set<string>): { element: HTMLElement; read(): EnvEntry[]; validate(): string | null } {
  const wrapper = element("div", { class: "env-list" });
  const list = element("ol", { class: "rules" });
  const readers = new Map<HTMLElement, () => EnvEntry>();
  const add = (entry: EnvEntry): void => {
    const item = element("li", { class: "rule env-entry" });
    const name = element("input", { type: "text", name: "env-name", placeholder: "name", "aria-label": "name" });
    name.value = entry.name;
    if (fixedNames.has(entry.name)) name.readOnly = true;
    const type = element("select", { name: "env-type", "aria-label": "type" });
    for (const option of envTypes) type.appendChild(element("option", { value: option }, option));
    type.value = envTypes.includes(entry.type) ? entry.type : "str";
    const value = element("input", { type: "text", name: "env-value", placeholder: "value", "aria-label": "value" });
    value.value = entry.value;
    const remove = element("button", { type: "button", class: "rule-remove", title: "remove" }, "✕");
    remove.onclick = () => { readers.delete(item); item.remove(); };
    item.append(name, type, value, remove);
    readers.set(item, () => ({ name: name.value.trim(), type: type.value, value: value.value }));
    list.appendChild(item);
  };
  entries.forEach(add);
  const addButton = element("button", { type: "button", class: "env-add" }, "+ add");
  addButton.onclick = () => add({ name: "", type: "str", value: "" });
  wrapper.append(list, addButton);
  const read = (): EnvEntry[] => [...list.children].map((item) => readers.get(item as HTMLElement)!()).filter((e) => e.name !== "");
  return {
    element: wrapper,
    read,
    validate: () => {
      const names = new Set<string>();
      for (const entry of read()) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.name)) return `"${entry.name}" is not a valid name (letters, digits, _)`;
        if (names.has(entry.name)) return `"${entry.name}" is there twice`;
        names.add(entry.name);
        if (entry.type === "num" && Number.isNaN(Number(entry.value))) return `${entry.name}: "${entry.value}" is not a number`;
        if (entry.type === "json") { try { JSON.parse(entry.value); } catch { return `${entry.name}: not JSON`; } }
      }
      return null;
    },
  };
}

function asEnv(value: unknown): EnvEntry[] {
  return Array.isArray(value) ? (value as Record<string, unknown>[]).map((e) => ({ name: String(e["name"] ?? ""), type: String(e["type"] ?? "str"), value: typeof e["value"] === "string" ? e["value"] : JSON.stringify(e["value"] ?? "") })) : [];
}

/** An instance's name and env: the template's properties come first with their defaults, overridden here. */
export function openSubflowInstanceDialog(workspace: Workspace, id: string, openTemplate: (subflowId: string) => void): void {
  const node = workspace.byId.get(id);
  if (!node) return;
  const template = workspace.byId.get(node.type.slice(8));
  const own = asEnv(node["env"]);
  const defaults = asEnv(template?.["env"]);
  const entries = [...defaults.map((d) => own.find((o) => o.name === d.name) ?? d), ...own.filter((o) => !defaults.some((d) => d.name === o.name))];
  const body = element("form", { class: "edit-form subflow-instance-form" });
  const name = textField(node.name ?? "", "name");
  const env = envEditor(entries, new Set(defaults.map((d) => d.name)));
  const error = element("div", { class: "form-error", role: "alert" });
  const openButton = element("button", { type: "button", class: "edit-template" }, "edit subflow template");
  body.append(row("name", name.element), element("h4", {}, "properties (env)"), env.element, error,
    element("div", { class: "node-id" }, `id ${node.id} · instance of ${template ? workspace.label(template) : node.type}`), openButton);
  const dialog = openDialog(`Edit subflow instance: ${template ? workspace.label(template) : node.type}`, body, [
    { label: "Cancel", action: () => undefined },
    {
      label: "Done", primary: true, action: () => {
        const problem = env.validate();
        if (problem) { error.textContent = problem; return false; }
        // Only values that differ from the template's default are kept on the instance, as Node-RED does.
        const values = env.read().filter((e) => { const d = defaults.find((x) => x.name === e.name); return !d || d.type !== e.type || d.value !== e.value; });
        workspace.updateNode(id, { name: name.read(), env: values });
        return true;
      },
    },
  ], "edit-dialog subflow-dialog");
  openButton.onclick = () => { dialog.close(); if (template) openTemplate(template.id); };
}

/** A subflow template's name, description and env definitions (the defaults every instance starts from). */
export function openSubflowTemplateDialog(workspace: Workspace, subflow: FlowNode): void {
  const body = element("form", { class: "edit-form subflow-template-form" });
  const name = textField(subflow.name ?? "", "name");
  const info = element("textarea", { name: "info", rows: "3" });
  info.value = typeof subflow["info"] === "string" ? subflow["info"] : "";
  const env = envEditor(asEnv(subflow["env"]), new Set());
  const error = element("div", { class: "form-error", role: "alert" });
  body.append(row("name", name.element), row("description", info), element("h4", {}, "properties (env)"), env.element, error);
  openDialog(`Edit subflow: ${workspace.label(subflow)}`, body, [
    { label: "Cancel", action: () => undefined },
    {
      label: "Done", primary: true, action: () => {
        const problem = env.validate();
        if (problem) { error.textContent = problem; return false; }
        if (!String(name.read()).trim()) { error.textContent = "a subflow needs a name"; return false; }
        workspace.updateNode(subflow.id, { name: name.read(), info: info.value, env: env.read() });
        for (const instance of workspace.nodes.filter((n) => n.type === `subflow:${subflow.id}`)) workspace.touch(instance.id);
        workspace.notify();
        return true;
      },
    },
  ], "edit-dialog subflow-dialog");
}

export function openGroupDialog(workspace: Workspace, group: FlowNode): void {
  const body = element("form", { class: "edit-form group-form" });
  const name = textField(group.name ?? "", "name");
  const style = (group["style"] ?? {}) as Record<string, unknown>;
  const stroke = element("input", { type: "color", name: "stroke" });
  stroke.value = typeof style["stroke"] === "string" && /^#[0-9a-f]{6}$/i.test(style["stroke"]) ? style["stroke"] : "#999999";
  const fill = element("input", { type: "color", name: "fill" });
  fill.value = typeof style["fill"] === "string" && /^#[0-9a-f]{6}$/i.test(style["fill"]) ? style["fill"] : "#ffffff";
  body.append(row("name", name.element), row("border", stroke), row("fill", fill));
  openDialog("Edit group", body, [
    { label: "Cancel", action: () => undefined },
    {
      label: "Done", primary: true, action: () => {
        const styled = { ...style, stroke: stroke.value, label: true } as Record<string, unknown>;
        if (fill.value !== "#ffffff") styled["fill"] = fill.value; else delete styled["fill"];
        workspace.updateNode(group.id, { name: name.read(), style: styled });
        workspace.fitGroup(group.id);
        workspace.notify();
        return true;
      },
    },
  ], "edit-dialog group-dialog");
}

/** A flow's name, enabled state and description, with delete. */
export function openTabDialog(workspace: Workspace, tab: FlowNode): void {
  const body = element("form", { class: "edit-form tab-form" });
  const label = textField(tab["label"] ?? "", "label");
  const enabled = element("input", { type: "checkbox", name: "enabled" });
  enabled.checked = tab["disabled"] !== true;
  const info = element("textarea", { name: "info", rows: "4" });
  info.value = typeof tab["info"] === "string" ? tab["info"] : "";
  const error = element("div", { class: "form-error", role: "alert" });
  body.append(row("name", label.element), row("enabled", enabled), row("description", info), error);
  openDialog(`Edit flow: ${workspace.label(tab)}`, body, [
    {
      label: "Delete", action: () => {
        if (workspace.deleteTab(tab.id)) return true;
        error.textContent = "the last flow cannot be deleted";
        return false;
      },
    },
    { label: "Cancel", action: () => undefined },
    {
      label: "Done", primary: true, action: () => {
        workspace.updateNode(tab.id, { label: label.read(), disabled: !enabled.checked, info: info.value });
        return true;
      },
    },
  ], "edit-dialog tab-dialog");
}
