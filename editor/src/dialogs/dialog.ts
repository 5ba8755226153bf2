// A modal dialog with a title, a body and buttons; the first button with `primary` answers Ctrl+Enter.

export interface DialogButton { label: string; primary?: boolean; action: () => boolean | void | Promise<boolean | void> }

export function openDialog(title: string, body: HTMLElement, buttons: DialogButton[], className = ""): { close(): void; element: HTMLElement } {
  const backdrop = document.createElement("div");
  backdrop.className = "dialog-backdrop";
  const dialog = document.createElement("div");
  dialog.className = `dialog ${className}`;
  dialog.setAttribute("role", "dialog");
  dialog.setAttribute("aria-label", title);
  const heading = document.createElement("h2");
  heading.textContent = title;
  const footer = document.createElement("div");
  footer.className = "dialog-buttons";
  const close = (): void => backdrop.remove();
  for (const button of buttons) {
    const element = document.createElement("button");
    element.type = "button";
    element.textContent = button.label;
    if (button.primary) element.className = "primary";
    element.addEventListener("click", async () => {
      // An action answers false to keep the dialog open (invalid input).
      if ((await button.action()) !== false) close();
    });
    footer.appendChild(element);
  }
  body.classList.add("dialog-body");
  dialog.append(heading, body, footer);
  backdrop.appendChild(dialog);
  dialog.addEventListener("keydown", (event) => {
    event.stopPropagation();
    if (event.key === "Escape") close();
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) footer.querySelector<HTMLButtonElement>("button.primary")?.click();
  });
  document.body.appendChild(backdrop);
  dialog.querySelector<HTMLElement>("input, textarea, select")?.focus();
  return { close, element: dialog };
}

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) created.setAttribute(key, value);
  if (text !== undefined) created.textContent = text;
  return created;
}

export function notify(message: string, kind: "info" | "error" | "success" = "info", timeout = 4000): HTMLElement {
  let host = document.querySelector<HTMLElement>(".notifications");
  if (!host) {
    host = element("div", { class: "notifications" });
    document.body.appendChild(host);
  }
  const note = element("div", { class: `notification ${kind}`, role: "status" });
  note.textContent = message;
  note.addEventListener("click", () => note.remove());
  host.appendChild(note);
  if (timeout > 0) setTimeout(() => note.remove(), timeout);
  return note;
}
