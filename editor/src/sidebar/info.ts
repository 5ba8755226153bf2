// The info sidebar: the selected node's type, id, properties and help, or the open flow's summary.
import { element } from "../dialogs/dialog";
import type { FlowNode } from "../model/types";
import type { Workspace } from "../model/workspace";

const layoutKeys = new Set(["id", "type", "z", "x", "y", "w", "h", "wires", "g", "credentials"]);

export class InfoSidebar {
  constructor(private readonly host: HTMLElement, private readonly workspace: Workspace) {}

  render(): void {
    const ws = this.workspace;
    this.host.innerHTML = "";
    const selected = [...ws.selection].map((id) => ws.byId.get(id)).filter((n): n is FlowNode => !!n);
    if (selected.length === 1) this.showNode(selected[0]!);
    else if (selected.length > 1) this.host.appendChild(element("p", { class: "info-summary" }, `${selected.length} nodes selected`));
    else this.showFlow();
  }

  private showNode(node: FlowNode): void {
    const ws = this.workspace;
    const declaration = ws.declarations.get(node.type);
    const table = element("table", { class: "info-table" });
    const line = (key: string, value: string): void => {
      const tr = element("tr", { "data-key": key });
      tr.append(element("th", {}, key), element("td", {}, value));
      table.appendChild(tr);
    };
    line("node", ws.label(node));
    line("type", node.type);
    line("id", node.id);
    const container = node.z ? ws.byId.get(node.z) : undefined;
    if (container) line(container.type === "subflow" ? "subflow" : "flow", ws.label(container));
    for (const [key, value] of Object.entries(node)) {
      if (layoutKeys.has(key) || key === "name" || key === "info") continue;
      line(key, typeof value === "string" ? value : JSON.stringify(value));
    }
    this.host.appendChild(element("h4", { class: "info-title" }, `${ws.label(node)} (${node.type})`));
    this.host.appendChild(table);
    if (typeof node["info"] === "string" && node["info"]) {
      this.host.append(element("h4", {}, "description"), element("div", { class: "info-description" }, node["info"]));
    }
    const help = declaration?.help ?? (node.type.startsWith("subflow:") ? String(ws.byId.get(node.type.slice(8))?.["info"] ?? "") : "");
    if (help) this.host.append(element("h4", {}, "help"), element("pre", { class: "info-help" }, help));
    if (declaration) {
      const properties = element("dl", { class: "info-properties" });
      for (const property of declaration.properties) {
        if (!property.help) continue;
        properties.append(element("dt", {}, property.label ?? property.name), element("dd", {}, property.help));
      }
      if (properties.childElementCount > 0) this.host.append(element("h4", {}, "properties"), properties);
    }
  }

  private showFlow(): void {
    const ws = this.workspace;
    const tab = ws.byId.get(ws.activeTab);
    if (!tab) return;
    const nodes = ws.nodesOf(tab.id);
    this.host.appendChild(element("h4", { class: "info-title" }, `${tab.type === "subflow" ? "Subflow" : "Flow"}: ${ws.label(tab)}`));
    const table = element("table", { class: "info-table" });
    const add = (key: string, value: string): void => { const tr = element("tr", { "data-key": key }); tr.append(element("th", {}, key), element("td", {}, value)); table.appendChild(tr); };
    add("id", tab.id);
    add("nodes", String(nodes.length));
    add("status", tab["disabled"] === true ? "disabled" : "enabled");
    this.host.appendChild(table);
    if (typeof tab["info"] === "string" && tab["info"]) this.host.appendChild(element("div", { class: "info-description" }, tab["info"]));
  }
}
