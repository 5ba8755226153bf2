// The edit dialog of a node, drawn from its declaration (GET /nodes/declarations).
import type { FlowNode, NodeDeclaration, PropertyDeclaration } from "../model/types";
import type { Workspace } from "../model/workspace";
import { element, openDialog } from "./dialog";
import { boolField, codeField, jsonField, numberField, row, selectField, textField, typedField, type Field } from "./fields";
import { withOpcUaPicker } from "./opcuaPicker";
import { changeRulesEditor, injectPropsEditor, switchRulesEditor } from "./rules";

/** Properties older flows still carry but that the list editors replace. */
const hiddenProperties: Record<string, string[]> = {
  change: ["action", "property", "from", "to", "reg"],
  inject: ["payload", "payloadType", "topic"],
  switch: ["outputs"],
};

type Reader = (values: Record<string, unknown>) => void;

export function openEditDialog(workspace: Workspace, id: string, onSaved?: (node: FlowNode) => void): void {
  const node = workspace.byId.get(id);
  if (!node) return;
  const declaration = workspace.declarations.get(node.type);
  const body = element("form", { class: "edit-form", "data-node-type": node.type });
  body.addEventListener("submit", (event) => event.preventDefault());
  const readers: Reader[] = [];
  const validators: (() => string | null)[] = [];
  const error = element("div", { class: "form-error", role: "alert" });

  if (!declaration) {
    const json = jsonField(Object.fromEntries(Object.entries(node).filter(([k]) => !["id", "type", "z", "x", "y", "wires"].includes(k))), "properties", false);
    body.append(element("p", {}, `No declaration for type "${node.type}": edit its properties as JSON.`), json.element);
    readers.push((values) => Object.assign(values, json.read() as Record<string, unknown>));
    validators.push(() => json.validate?.() ?? null);
  } else {
    buildForm(workspace, node, declaration, body, readers, validators);
  }
  body.appendChild(element("div", { class: "node-id" }, `id ${node.id} · ${node.type}`));
  body.appendChild(error);
  if (declaration?.help) {
    const help = element("details", { class: "node-help" });
    help.append(element("summary", {}, "help"), element("pre", {}, declaration.help));
    body.appendChild(help);
  }

  openDialog(`Edit ${node.type} node`, body, [
    { label: "Cancel", action: () => undefined },
    {
      label: "Done", primary: true, action: () => {
        const problems = validators.map((v) => v()).filter((p): p is string => p !== null);
        if (problems.length > 0) { error.textContent = problems.join("; "); return false; }
        const values: Record<string, unknown> = {};
        for (const read of readers) read(values);
        workspace.updateNode(id, values);
        onSaved?.(workspace.byId.get(id)!);
        return true;
      },
    },
  ], "edit-dialog");
}

/** The function node's three code properties, shown as Node-RED's On Start / On Message / On Stop tabs. */
const functionTabs: Record<string, string> = { initialize: "On Start", func: "On Message", finalize: "On Stop" };

function codeTabs(): { element: HTMLElement; add(name: string, label: string, control: HTMLElement): void } {
  const wrapper = element("div", { class: "code-tabs" });
  const bar = element("div", { class: "code-tab-bar", role: "tablist" });
  const panels = element("div", { class: "code-tab-panels" });
  wrapper.append(bar, panels);
  const show = (name: string): void => {
    for (const button of bar.children) button.classList.toggle("active", (button as HTMLElement).dataset["tab"] === name);
    for (const panel of panels.children) (panel as HTMLElement).hidden = (panel as HTMLElement).dataset["tab"] !== name;
  };
  return {
    element: wrapper,
    add: (name, label, control) => {
      const button = element("button", { type: "button", class: "code-tab", role: "tab", "data-tab": name }, label);
      button.onclick = () => show(name);
      const panel = element("div", { class: "code-tab-panel", "data-tab": name });
      panel.appendChild(control);
      // Keep the tabs in Node-RED's order whatever the declaration's order.
      const order = Object.keys(functionTabs);
      const before = [...bar.children].find((b) => order.indexOf((b as HTMLElement).dataset["tab"]!) > order.indexOf(name));
      bar.insertBefore(button, before ?? null);
      panels.appendChild(panel);
      show(bar.querySelector<HTMLElement>('[data-tab="func"]')?.dataset["tab"] ?? name);
    },
  };
}

function buildForm(workspace: Workspace, node: FlowNode, declaration: NodeDeclaration, form: HTMLElement, readers: Reader[], validators: (() => string | null)[]): void {
  let tabs: ReturnType<typeof codeTabs> | null = null;
  const typeProperties = new Set(declaration.properties.map((p) => p.typeProperty).filter((p): p is string => !!p));
  const hidden = new Set(hiddenProperties[node.type] ?? []);
  if (!declaration.properties.some((p) => p.name === "name")) {
    const name = textField(node.name ?? "", "name");
    form.appendChild(row("name", name.element));
    readers.push((values) => { values["name"] = name.read(); });
  }
  for (const property of declaration.properties) {
    if (typeProperties.has(property.name) || hidden.has(property.name)) continue;
    const label = property.label ?? property.name;
    const value = node[property.name] !== undefined ? node[property.name] : property.default;
    if (property.kind === "ruleList") {
      if (node.type === "inject") {
        const editor = injectPropsEditor(Array.isArray(value) ? (value as Record<string, unknown>[]) : [], node);
        form.appendChild(row(label, editor.element));
        readers.push((values) => { const read = editor.read(); values[property.name] = read.props; Object.assign(values, read.extra); });
      } else if (node.type === "switch" || node.type === "change") {
        const rules = Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
        const editor = node.type === "switch" ? switchRulesEditor(rules) : changeRulesEditor(rules);
        form.appendChild(row(label, editor.element));
        readers.push((values) => {
          values[property.name] = editor.read();
          if (node.type === "switch") values["outputs"] = (values[property.name] as unknown[]).length;
        });
      } else {
        addField(form, readers, validators, property, label, jsonField(value, property.name, false));
      }
      continue;
    }
    if (property.kind === "typedInput" && property.typeProperty) {
      const types = property.options ?? ["str", "num", "bool", "json"];
      const typeValue = node[property.typeProperty] ?? declaration.properties.find((p) => p.name === property.typeProperty)?.default;
      const field = typedField(value, typeValue, property.name, types);
      form.appendChild(row(label, field.element));
      const typeName = property.typeProperty;
      readers.push((values) => { const read = field.read(); values[property.name] = read.value; values[typeName] = read.type; });
      continue;
    }
    if (node.type === "function" && property.kind === "code" && functionTabs[property.name]) {
      if (!tabs) { tabs = codeTabs(); form.appendChild(tabs.element); }
      const field = codeField(value, property.name);
      tabs.add(property.name, property.label ?? functionTabs[property.name]!, field.element);
      readers.push((values) => { values[property.name] = field.read(); });
      continue;
    }
    if (property.kind === "configReference" && property.configType) {
      form.appendChild(row(label, configPicker(workspace, node, property, readers)));
      continue;
    }
    addField(form, readers, validators, property, label, withOpcUaPicker(fieldFor(property, value), property, declaration, form, workspace));
  }
  for (const credential of declaration.credentials ?? []) {
    const input = element("input", { type: credential.type === "password" ? "password" : "text", name: `credentials.${credential.name}` });
    const existing = (node["credentials"] as Record<string, unknown> | undefined)?.[credential.name];
    if (typeof existing === "string") input.value = existing;
    form.appendChild(row(credential.label ?? credential.name, input));
    readers.push((values) => {
      if (!input.value) return;
      const credentials = (values["credentials"] ?? { ...(node["credentials"] as object | undefined) }) as Record<string, unknown>;
      credentials[credential.name] = input.value;
      values["credentials"] = credentials;
    });
  }
}

function addField(form: HTMLElement, readers: Reader[], validators: (() => string | null)[], property: PropertyDeclaration, label: string, field: Field): void {
  form.appendChild(row(label, field.element));
  if (property.help) field.element.title = property.help;
  readers.push((values) => { values[property.name] = field.read(); });
  if (field.validate) validators.push(field.validate);
}

function fieldFor(property: PropertyDeclaration, value: unknown): Field {
  switch (property.kind) {
    case "number": return numberField(value, property.name);
    case "bool": return boolField(value, property.name);
    case "select": return selectField(value, property.name, property.options ?? []);
    case "code": return codeField(value, property.name);
    case "json": return jsonField(value, property.name, typeof value === "string");
    case "any": return jsonField(value, property.name, false);
    case "typedInput":
    case "string":
    default:
      return textField(value, property.name);
  }
}

/** A select of the config nodes of the expected type, with "add new" and "edit". */
function configPicker(workspace: Workspace, node: FlowNode, property: PropertyDeclaration, readers: Reader[]): HTMLElement {
  const wrapper = element("span", { class: "config-picker" });
  const select = element("select", { name: property.name });
  const edit = element("button", { type: "button", class: "config-edit", title: "add or edit" }, "✎");
  const fill = (selected: unknown): void => {
    select.innerHTML = "";
    select.appendChild(element("option", { value: "" }, "none"));
    for (const config of workspace.configNodes(property.configType!)) {
      select.appendChild(element("option", { value: config.id }, workspace.label(config) === config.type ? `${config.type} ${config.id}` : workspace.label(config)));
    }
    select.appendChild(element("option", { value: "_ADD_" }, `add new ${property.configType}...`));
    select.value = typeof selected === "string" && selected ? selected : "";
  };
  fill(node[property.name]);
  const editConfig = (): void => {
    let id = select.value;
    if (!id || id === "_ADD_") {
      id = workspace.addConfigNode(property.configType!, {}).id;
      workspace.notify();
    }
    openEditDialog(workspace, id, (config) => fill(config.id));
    fill(id);
  };
  select.addEventListener("change", () => { if (select.value === "_ADD_") editConfig(); });
  edit.addEventListener("click", editConfig);
  wrapper.append(select, edit);
  readers.push((values) => { values[property.name] = select.value === "_ADD_" ? "" : select.value; });
  return wrapper;
}
