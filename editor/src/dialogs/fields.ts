// Form controls for declared property kinds. Each returns an element and a way to read the value back.
import { element } from "./dialog";
import { withHighlighting } from "./highlight";

export interface Field { element: HTMLElement; read(): unknown; validate?(): string | null }

export function textField(value: unknown, name: string): Field {
  const input = element("input", { type: "text", name });
  input.value = value === undefined || value === null ? "" : String(value);
  return { element: input, read: () => input.value };
}

export function numberField(value: unknown, name: string): Field {
  const input = element("input", { type: "text", name, inputmode: "decimal" });
  input.value = value === undefined || value === null ? "" : String(value);
  return {
    element: input,
    // Node-RED keeps "" for an unset number (inject's repeat); anything numeric is stored as a number.
    read: () => (input.value.trim() === "" ? "" : Number.isNaN(Number(input.value)) ? input.value : Number(input.value)),
    validate: () => (input.value.trim() !== "" && Number.isNaN(Number(input.value)) ? `${name}: "${input.value}" is not a number` : null),
  };
}

export function boolField(value: unknown, name: string): Field {
  const input = element("input", { type: "checkbox", name });
  input.checked = value === true || value === "true";
  return { element: input, read: () => input.checked };
}

export function selectField(value: unknown, name: string, options: string[]): Field {
  const select = element("select", { name });
  const all = value !== undefined && value !== null && !options.includes(String(value)) ? [String(value), ...options] : options;
  for (const option of all) select.appendChild(element("option", { value: option }, option));
  if (value !== undefined && value !== null) select.value = String(value);
  return { element: select, read: () => select.value };
}

export function codeField(value: unknown, name: string): Field {
  const area = element("textarea", { name, class: "code", spellcheck: "false", rows: "12", wrap: "off" });
  area.value = value === undefined || value === null ? "" : String(value);
  area.addEventListener("keydown", (event) => {
    if (event.key === "Tab") {
      event.preventDefault();
      area.setRangeText("    ", area.selectionStart, area.selectionEnd, "end");
    }
  });
  return { element: withHighlighting(area), read: () => area.value };
}

export function jsonField(value: unknown, name: string, asText: boolean): Field {
  const area = element("textarea", { name, class: "code", spellcheck: "false", rows: "6" });
  area.value = asText && typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value, null, 2);
  return {
    element: area,
    read: () => (asText ? area.value : area.value.trim() === "" ? null : JSON.parse(area.value)),
    validate: () => {
      if (area.value.trim() === "") return null;
      try { JSON.parse(area.value); return null; } catch (error) { return `${name}: not JSON (${(error as Error).message})`; }
    },
  };
}

/** A value with a type menu (Node-RED's typed input): `payload` with `payloadType`. */
export function typedField(value: unknown, type: unknown, name: string, types: string[]): { element: HTMLElement; read(): { value: unknown; type: string } } {
  const wrapper = element("span", { class: "typed-input" });
  const select = element("select", { name: `${name}-type`, "aria-label": `${name} type` });
  const all = typeof type === "string" && type && !types.includes(type) ? [type, ...types] : types;
  for (const option of all) select.appendChild(element("option", { value: option }, option));
  select.value = typeof type === "string" && type ? type : types[0] ?? "str";
  const input = element("input", { type: "text", name });
  input.value = value === undefined || value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  wrapper.append(select, input);
  return { element: wrapper, read: () => ({ value: input.value, type: select.value }) };
}

export function row(label: string, control: HTMLElement): HTMLElement {
  const line = element("div", { class: "form-row" });
  const caption = element("label", {}, label);
  line.append(caption, control);
  return line;
}
