// Editable lists for the nodes that need them: change rules, switch rules and inject properties.
import { element } from "./dialog";
import { typedField } from "./fields";

type Rule = Record<string, unknown>;

const valueTypes = ["str", "num", "bool", "json", "bin", "date", "jsonata", "env", "msg", "flow", "global"];
const scopeTypes = ["msg", "flow", "global"];
const switchOperators = ["eq", "neq", "lt", "lte", "gt", "gte", "btwn", "cont", "regex", "true", "false", "null", "nnull",
  "empty", "nempty", "istype", "hask", "head", "tail", "index", "jsonata_exp", "else"];
const switchTypes = ["str", "num", "msg", "flow", "global", "env", "jsonata", "prev"];

export interface RuleListEditor { element: HTMLElement; read(): Rule[] }

/** A list of rows with add, remove, move up and move down. */
function listEditor(initial: Rule[], drawRow: (rule: Rule) => { element: HTMLElement; read(): Rule }, blank: () => Rule, name: string): RuleListEditor {
  const wrapper = element("div", { class: "rule-list", "data-list": name });
  const rows = element("ol", { class: "rules" });
  const readers = new Map<HTMLElement, () => Rule>();
  const add = (rule: Rule): void => {
    const item = element("li", { class: "rule" });
    const drawn = drawRow(rule);
    const tools = element("span", { class: "rule-tools" });
    const up = element("button", { type: "button", title: "move up", class: "rule-up" }, "↑");
    const down = element("button", { type: "button", title: "move down", class: "rule-down" }, "↓");
    const remove = element("button", { type: "button", title: "remove", class: "rule-remove" }, "✕");
    up.onclick = () => { if (item.previousElementSibling) rows.insertBefore(item, item.previousElementSibling); };
    down.onclick = () => { if (item.nextElementSibling) rows.insertBefore(item.nextElementSibling, item); };
    remove.onclick = () => { readers.delete(item); item.remove(); };
    tools.append(up, down, remove);
    item.append(drawn.element, tools);
    readers.set(item, drawn.read);
    rows.appendChild(item);
  };
  initial.forEach(add);
  const addButton = element("button", { type: "button", class: "rule-add" }, "+ add");
  addButton.onclick = () => add(blank());
  wrapper.append(rows, addButton);
  return { element: wrapper, read: () => [...rows.children].map((item) => readers.get(item as HTMLElement)!()) };
}

export function changeRulesEditor(rules: Rule[]): RuleListEditor {
  return listEditor(rules, (rule) => {
    const line = element("div", { class: "rule-body" });
    const action = element("select", { "aria-label": "action", class: "rule-action" });
    for (const t of ["set", "change", "delete", "move"]) action.appendChild(element("option", { value: t }, t));
    action.value = String(rule["t"] ?? "set");
    const property = typedField(rule["p"] ?? "payload", rule["pt"] ?? "msg", "p", scopeTypes);
    const from = typedField(rule["from"] ?? "", rule["fromt"] ?? "str", "from", ["str", "num", "bool", "re", "msg", "flow", "global", "env"]);
    const to = typedField(rule["to"] ?? "", rule["tot"] ?? "str", "to", valueTypes);
    const fromRow = element("div", { class: "rule-from" }, "search for ");
    fromRow.appendChild(from.element);
    const toRow = element("div", { class: "rule-to" }, "to ");
    toRow.appendChild(to.element);
    const show = (): void => {
      fromRow.hidden = action.value !== "change";
      toRow.hidden = action.value === "delete";
    };
    action.onchange = show;
    show();
    line.append(action, property.element, fromRow, toRow);
    return {
      element: line,
      read: () => {
        const p = property.read();
        const result: Rule = { t: action.value, p: p.value, pt: p.type };
        if (action.value !== "delete") { const t = to.read(); result["to"] = t.value; result["tot"] = t.type; }
        if (action.value === "change") { const f = from.read(); result["from"] = f.value; result["fromt"] = f.type; }
        if (rule["dc"] !== undefined) result["dc"] = rule["dc"];
        return result;
      },
    };
  }, () => ({ t: "set", p: "payload", pt: "msg", to: "", tot: "str" }), "rules");
}

export function switchRulesEditor(rules: Rule[]): RuleListEditor {
  return listEditor(rules, (rule) => {
    const line = element("div", { class: "rule-body" });
    const operator = element("select", { "aria-label": "operator", class: "rule-operator" });
    for (const t of switchOperators) operator.appendChild(element("option", { value: t }, t));
    operator.value = String(rule["t"] ?? "eq");
    const value = typedField(rule["v"] ?? "", rule["vt"] ?? "str", "v", switchTypes);
    const value2 = typedField(rule["v2"] ?? "", rule["v2t"] ?? "num", "v2", switchTypes);
    const ignoreCase = element("input", { type: "checkbox", "aria-label": "ignore case" });
    ignoreCase.checked = rule["case"] === true;
    const caseLabel = element("label", { class: "rule-case" }, " ignore case");
    caseLabel.prepend(ignoreCase);
    const show = (): void => {
      const t = operator.value;
      value.element.hidden = ["true", "false", "null", "nnull", "empty", "nempty", "else"].includes(t);
      value2.element.hidden = t !== "btwn" && t !== "index";
      caseLabel.hidden = t !== "regex";
    };
    operator.onchange = show;
    show();
    line.append(operator, value.element, value2.element, caseLabel);
    return {
      element: line,
      read: () => {
        const result: Rule = { t: operator.value };
        if (!value.element.hidden) { const v = value.read(); result["v"] = v.value; result["vt"] = v.type; }
        if (!value2.element.hidden) { const v = value2.read(); result["v2"] = v.value; result["v2t"] = v.type; }
        if (operator.value === "regex") result["case"] = ignoreCase.checked;
        return result;
      },
    };
  }, () => ({ t: "eq", v: "", vt: "str" }), "rules");
}

/**
 * Inject's props. As Node-RED stores them, a `payload` entry without `v` takes payload/payloadType from the node and
 * a `topic` entry without `v` takes topic: the editor shows those values in the row and writes them back there.
 */
export function injectPropsEditor(props: Rule[], node: Record<string, unknown>): { element: HTMLElement; read(): { props: Rule[]; extra: Record<string, unknown> } } {
  const shown = props.map((prop) => {
    if (prop["p"] === "payload" && prop["v"] === undefined) return { p: "payload", v: node["payload"] ?? "", vt: node["payloadType"] ?? "date" };
    if (prop["p"] === "topic" && prop["v"] === undefined) return { p: "topic", v: node["topic"] ?? "", vt: "str" };
    return prop;
  });
  const list = listEditor(shown, (prop) => {
    const line = element("div", { class: "rule-body" });
    const name = element("input", { type: "text", "aria-label": "property", class: "prop-name" });
    name.value = String(prop["p"] ?? "");
    const value = typedField(prop["v"] ?? "", prop["vt"] ?? "str", "v", valueTypes);
    line.append(element("span", {}, "msg."), name, element("span", {}, " = "), value.element);
    return { element: line, read: () => { const v = value.read(); return { p: name.value, v: v.value, vt: v.type }; } };
  }, () => ({ p: "", v: "", vt: "str" }), "props");
  return {
    element: list.element,
    read: () => {
      const extra: Record<string, unknown> = {};
      const result = list.read().map((prop) => {
        if (prop["p"] === "payload") { extra["payload"] = prop["v"]; extra["payloadType"] = prop["vt"]; return { p: "payload" }; }
        if (prop["p"] === "topic" && prop["vt"] === "str") { extra["topic"] = prop["v"]; return { p: "topic", vt: "str" }; }
        return prop;
      });
      return { props: result, extra };
    },
  };
}
