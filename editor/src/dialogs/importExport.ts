// Import (paste a Node-RED export into the open tab) and export (selection, current flow or everything).
import type { FlowNode } from "../model/types";
import type { Workspace } from "../model/workspace";
import { element, notify, openDialog } from "./dialog";

export function parseImport(text: string): FlowNode[] {
  const parsed: unknown = JSON.parse(text);
  const list = Array.isArray(parsed) ? parsed : parsed && typeof parsed === "object" && Array.isArray((parsed as { flows?: unknown }).flows)
    ? (parsed as { flows: unknown[] }).flows : [parsed];
  for (const item of list) {
    if (!item || typeof item !== "object" || typeof (item as FlowNode).id !== "string" || typeof (item as FlowNode).type !== "string") {
      throw new Error("every item needs an id and a type");
    }
  }
  return list as FlowNode[];
}

export function openImportDialog(workspace: Workspace, afterImport: () => void): void {
  const body = element("div", { class: "import-form" });
  const area = element("textarea", { class: "code import-text", rows: "16", spellcheck: "false", "aria-label": "flow JSON", placeholder: "paste flow JSON here" });
  const preview = element("div", { class: "import-preview", role: "status" }, "Paste a flow export.");
  area.addEventListener("input", () => {
    try {
      const nodes = parseImport(area.value);
      const tabs = nodes.filter((n) => n.type === "tab").length;
      preview.textContent = `${nodes.length - tabs} node${nodes.length - tabs === 1 ? "" : "s"} to import` + (tabs ? ` in ${tabs} new flow${tabs === 1 ? "" : "s"}` : "");
      preview.classList.remove("error");
    } catch (error) {
      preview.textContent = area.value.trim() ? `Not a flow export: ${(error as Error).message}` : "Paste a flow export.";
      preview.classList.add("error");
    }
  });
  // A file is read into the text area, so the same preview shows what it holds before importing.
  const file = element("input", { type: "file", class: "import-file", accept: ".json,application/json", "aria-label": "flow file" });
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    area.value = await chosen.text();
    area.dispatchEvent(new Event("input"));
  });
  body.append(file, area, preview);
  openDialog("Import nodes", body, [
    { label: "Cancel", action: () => undefined },
    {
      label: "Import", primary: true, action: () => {
        let nodes: FlowNode[];
        try { nodes = parseImport(area.value); } catch { preview.classList.add("error"); return false; }
        const added = workspace.importNodes(nodes);
        notify(`Imported ${added.length} node${added.length === 1 ? "" : "s"}`, "success");
        afterImport();
        return true;
      },
    },
  ], "import-dialog");
}

export function exportNodes(workspace: Workspace, scope: "selection" | "flow" | "all"): FlowNode[] {
  if (scope === "all") return workspace.nodes;
  if (scope === "flow") {
    const tab = workspace.byId.get(workspace.activeTab);
    const nodes = workspace.nodes.filter((n) => n.z === workspace.activeTab);
    return tab ? [tab, ...nodes, ...usedConfigs(workspace, nodes)] : nodes;
  }
  const selected = workspace.copySelection();
  return [...selected, ...usedConfigs(workspace, selected)];
}

function usedConfigs(workspace: Workspace, nodes: FlowNode[]): FlowNode[] {
  const ids = new Set(nodes.map((n) => n.id));
  const found: FlowNode[] = [];
  for (const node of nodes) {
    for (const value of Object.values(node)) {
      const config = typeof value === "string" ? workspace.byId.get(value) : undefined;
      if (config && !ids.has(config.id) && workspace.isConfig(config)) { ids.add(config.id); found.push(config); }
    }
  }
  return found;
}

export function openExportDialog(workspace: Workspace): void {
  const body = element("div", { class: "export-form" });
  const scope = element("select", { "aria-label": "export scope", class: "export-scope" });
  scope.append(element("option", { value: "selection" }, "selected nodes"), element("option", { value: "flow" }, "current flow"), element("option", { value: "all" }, "all flows"));
  scope.value = workspace.selection.size > 0 ? "selection" : "flow";
  const pretty = element("input", { type: "checkbox", "aria-label": "formatted" });
  const prettyLabel = element("label", {}, " formatted");
  prettyLabel.prepend(pretty);
  const area = element("textarea", { class: "code export-text", rows: "16", readonly: "", "aria-label": "exported JSON" });
  const draw = (): void => {
    area.value = JSON.stringify(exportNodes(workspace, scope.value as "selection" | "flow" | "all"), null, pretty.checked ? 4 : undefined);
  };
  scope.onchange = draw;
  pretty.onchange = draw;
  draw();
  body.append(scope, prettyLabel, area);
  openDialog("Export nodes", body, [
    { label: "Close", action: () => undefined },
    {
      label: "Download", action: () => {
        const link = element("a", { href: URL.createObjectURL(new Blob([area.value], { type: "application/json" })), download: "flows.json" });
        link.click();
        URL.revokeObjectURL(link.href);
        return false;
      },
    },
    {
      label: "Copy to clipboard", primary: true, action: async () => {
        try { await navigator.clipboard.writeText(area.value); notify("Copied to the clipboard", "success"); } catch {
          area.select();
          document.execCommand("copy");
        }
      },
    },
  ], "export-dialog");
}
