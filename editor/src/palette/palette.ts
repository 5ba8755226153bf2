// The palette: node types by category with a filter box; press on an entry and release over the canvas to add one.
import type { NodeDeclaration } from "../model/types";
import type { Workspace } from "../model/workspace";
import type { Canvas } from "../canvas/canvas";

const categoryOrder = ["common", "function", "network", "sequence", "parser", "storage"];

export function renderPalette(host: HTMLElement, workspace: Workspace, canvas: Canvas): void {
  host.innerHTML = `<input class="palette-filter" type="search" placeholder="filter nodes" aria-label="filter nodes"/><div class="palette-list"></div>`;
  const filter = host.querySelector<HTMLInputElement>(".palette-filter")!;
  const list = host.querySelector<HTMLDivElement>(".palette-list")!;
  const draw = (): void => {
    const text = filter.value.trim().toLowerCase();
    const byCategory = new Map<string, NodeDeclaration[]>();
    for (const declaration of workspace.declarations.values()) {
      if (declaration.isConfig || !declaration.category || declaration.category === "config" || declaration.category === "hidden") continue;
      const label = declaration.paletteLabel ?? declaration.type;
      if (text && !label.toLowerCase().includes(text) && !declaration.type.toLowerCase().includes(text)) continue;
      const entries = byCategory.get(declaration.category) ?? [];
      entries.push(declaration);
      byCategory.set(declaration.category, entries);
    }
    const categories = [...byCategory.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    list.innerHTML = "";
    for (const category of categories) {
      const section = document.createElement("details");
      section.open = true;
      section.className = "palette-category";
      section.innerHTML = `<summary>${category}</summary>`;
      for (const declaration of byCategory.get(category)!) {
        const entry = document.createElement("div");
        entry.className = "palette-node";
        entry.dataset["type"] = declaration.type;
        entry.style.background = declaration.color ?? "#fff";
        entry.textContent = declaration.paletteLabel ?? declaration.type;
        entry.title = (declaration.help ?? "").split("\n")[0] ?? "";
        entry.addEventListener("pointerdown", (event) => startDrag(event, declaration, workspace, canvas));
        section.appendChild(entry);
      }
      list.appendChild(section);
    }
  };
  filter.addEventListener("input", draw);
  draw();
}

function rank(category: string): number {
  const index = categoryOrder.indexOf(category);
  return index < 0 ? categoryOrder.length : index;
}

function startDrag(event: PointerEvent, declaration: NodeDeclaration, workspace: Workspace, canvas: Canvas): void {
  if (event.button !== 0 || workspace.readOnly) return;
  event.preventDefault();
  const ghost = document.createElement("div");
  ghost.className = "palette-node palette-ghost";
  ghost.style.background = declaration.color ?? "#fff";
  ghost.textContent = declaration.paletteLabel ?? declaration.type;
  const place = (e: PointerEvent): void => {
    ghost.style.left = `${e.clientX - 50}px`;
    ghost.style.top = `${e.clientY - 13}px`;
  };
  place(event);
  document.body.appendChild(ghost);
  const move = (e: PointerEvent): void => place(e);
  const up = (e: PointerEvent): void => {
    window.removeEventListener("pointermove", move);
    window.removeEventListener("pointerup", up);
    ghost.remove();
    if (!canvas.contains(e.clientX, e.clientY)) return;
    const point = canvas.toCanvas(e.clientX, e.clientY);
    workspace.addNode(declaration.type, point.x, point.y);
  };
  window.addEventListener("pointermove", move);
  window.addEventListener("pointerup", up);
}
