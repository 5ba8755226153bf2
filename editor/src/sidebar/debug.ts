// The debug sidebar: messages from debug nodes (comms topic "debug"), with a tree for objects, a filter and a count.
import type { Workspace } from "../model/workspace";
import { element } from "../dialogs/dialog";

export interface DebugMessage {
  id?: string; z?: string; name?: string; topic?: string; property?: string; msg?: string; format?: string;
  level?: number; type?: string; timestamp?: number; path?: string;
}

const maxMessages = 1000;

export class DebugSidebar {
  private readonly list: HTMLElement;
  private readonly counter: HTMLElement;
  private readonly filter: HTMLSelectElement;
  private count = 0;
  private dropped = 0;

  constructor(host: HTMLElement, private readonly workspace: Workspace, private readonly reveal: (id: string) => void) {
    host.innerHTML = "";
    const toolbar = element("div", { class: "debug-toolbar" });
    this.filter = element("select", { "aria-label": "debug filter", class: "debug-filter" });
    this.filter.append(element("option", { value: "all" }, "all nodes"), element("option", { value: "flow" }, "current flow"));
    this.filter.onchange = () => this.applyFilter();
    const clear = element("button", { type: "button", class: "debug-clear", title: "clear messages (ctrl-alt-l)" }, "clear");
    clear.onclick = () => this.clear();
    this.counter = element("span", { class: "debug-count" }, "0 messages");
    toolbar.append(this.filter, clear, this.counter);
    this.list = element("div", { class: "debug-messages", role: "log" });
    host.append(toolbar, this.list);
  }

  clear(): void {
    this.list.innerHTML = "";
    this.count = 0;
    this.dropped = 0;
    this.updateCount();
  }

  addDropped(count: number): void {
    this.dropped += count;
    this.updateCount();
  }

  add(message: DebugMessage): void {
    this.count += 1;
    const entry = element("div", { class: `debug-message${message.level === 20 ? " error" : message.level === 30 ? " warn" : ""}` });
    entry.dataset["z"] = message.z ?? "";
    entry.dataset["node"] = message.id ?? "";
    const node = message.id ? this.workspace.byId.get(message.id) : undefined;
    const name = message.name || (node ? this.workspace.label(node) : message.id ?? "");
    const time = new Date(message.timestamp ?? Date.now());
    const header = element("div", { class: "debug-header" });
    const nameLink = element("a", { href: "#", class: "debug-name" }, name);
    nameLink.onclick = (event) => { event.preventDefault(); if (message.id) this.reveal(message.id); };
    header.append(element("span", { class: "debug-time" }, time.toLocaleTimeString() + "." + String(time.getMilliseconds()).padStart(3, "0")), nameLink);
    const meta: string[] = [];
    if (message.level === undefined) meta.push(message.property ? `msg.${message.property}` : "msg");
    if (message.topic !== undefined && message.topic !== "") meta.push(`topic: ${message.topic}`);
    meta.push(`: ${message.format ?? ""}`);
    header.appendChild(element("span", { class: "debug-meta" }, meta.join(" ")));
    entry.append(header, valueView(message.msg, message.format ?? ""));
    this.list.appendChild(entry);
    while (this.list.childElementCount > maxMessages) this.list.firstElementChild!.remove();
    this.show(entry);
    this.updateCount();
    this.list.scrollTop = this.list.scrollHeight;
  }

  applyFilter(): void {
    for (const entry of this.list.children) this.show(entry as HTMLElement);
  }

  private show(entry: HTMLElement): void {
    entry.hidden = this.filter.value === "flow" && entry.dataset["z"] !== this.workspace.activeTab;
  }

  private updateCount(): void {
    this.counter.textContent = `${this.count} message${this.count === 1 ? "" : "s"}` + (this.dropped > 0 ? `, ${this.dropped} dropped` : "");
  }
}

/** Shows an encoded debug value (reference §4.4): objects and arrays as an expandable tree, everything else as text. */
export function valueView(encoded: string | undefined, format: string): HTMLElement {
  if (encoded !== undefined && (format === "Object" || format.startsWith("array") || (format !== "string" && !format.startsWith("string") && /^[[{]/.test(encoded)))) {
    try {
      return tree(JSON.parse(encoded), true);
    } catch { /* not JSON (truncated): shown as text below */ }
  }
  const text = element("div", { class: `debug-value ${format.startsWith("string") ? "string" : "scalar"}` });
  text.textContent = format.startsWith("string") ? JSON.stringify(encoded ?? "") : String(encoded ?? "");
  return text;
}

function tree(value: unknown, open: boolean): HTMLElement {
  if (value === null || typeof value !== "object") {
    return element("span", { class: `debug-value ${typeof value}` }, typeof value === "string" ? JSON.stringify(value) : String(value));
  }
  const encodedMarker = value as Record<string, unknown>;
  if (encodedMarker["__enc__"] === true) {
    return element("span", { class: "debug-value encoded" }, `${String(encodedMarker["type"])}${encodedMarker["length"] !== undefined ? `[${String(encodedMarker["length"])}]` : ""}`);
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  const details = element("details", { class: "debug-tree" });
  details.open = open;
  details.appendChild(element("summary", {}, Array.isArray(value) ? `array[${value.length}]` : `object {${entries.length}}`));
  for (const [key, child] of entries) {
    const line = element("div", { class: "debug-tree-item" });
    line.append(element("span", { class: "debug-key" }, `${key}: `), tree(child, false));
    details.appendChild(line);
  }
  return details;
}
