// Shapes of Node-RED flow JSON (reference §1) and FlowEngine's node declarations (GET /nodes/declarations).

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  x?: number;
  y?: number;
  name?: string;
  wires?: string[][];
  g?: string;
  [key: string]: unknown;
}

export type PropertyKind =
  | "string" | "number" | "bool" | "select" | "typedInput" | "code" | "json" | "configReference" | "ruleList" | "any";

export interface PropertyDeclaration {
  name: string;
  kind: PropertyKind;
  default: unknown;
  required: boolean | null;
  label: string | null;
  help: string | null;
  options: string[] | null;
  typeProperty: string | null;
  configType: string | null;
  editor?: string | null;
}

export interface NodeDeclaration {
  type: string;
  category: string | null;
  color: string | null;
  icon: string | null;
  paletteLabel: string | null;
  defaultLabel: string | null;
  inputs: number;
  outputs: number;
  outputsProperty: string | null;
  inputLabels: string[] | null;
  outputLabels: string[] | null;
  isConfig: boolean;
  hasButton: boolean;
  help: string | null;
  properties: PropertyDeclaration[];
  credentials: { name: string; type: "text" | "password"; label: string | null }[] | null;
}

/** 16 lower-case hex characters, as Node-RED makes ids. */
export function newId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const structuralTypes = new Set(["tab", "subflow", "group", "junction"]);
