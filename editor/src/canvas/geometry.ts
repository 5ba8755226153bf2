// Sizes of drawn nodes: Node-RED's x and y are the centre of a node; the width grows with the label.
import type { FlowNode } from "../model/types";
import type { Workspace } from "../model/workspace";

export const nodeHeight = 30;
const widthCache = new Map<string, number>();
let measureContext: CanvasRenderingContext2D | null = null;

export function textWidth(text: string): number {
  let width = widthCache.get(text);
  if (width !== undefined) return width;
  measureContext ??= document.createElement("canvas").getContext("2d");
  if (measureContext) {
    measureContext.font = "14px Helvetica, Arial, sans-serif";
    width = measureContext.measureText(text).width;
  } else {
    width = text.length * 7.5;
  }
  widthCache.set(text, width);
  return width;
}

export interface Box { x: number; y: number; w: number; h: number }

export function nodeBox(workspace: Workspace, node: FlowNode): Box {
  const x = node.x ?? 0;
  const y = node.y ?? 0;
  if (node.type === "junction") return { x: x - 5, y: y - 5, w: 10, h: 10 };
  const w = Math.max(100, Math.ceil((20 + textWidth(workspace.label(node)) + 30 + 10) / 20) * 20);
  const h = Math.max(nodeHeight, workspace.outputs(node) * 15 + 5);
  return { x: x - w / 2, y: y - h / 2, w, h };
}

/** Centre of output port `port` in canvas coordinates. */
export function outputPoint(workspace: Workspace, node: FlowNode, port: number): { x: number; y: number } {
  const box = nodeBox(workspace, node);
  if (node.type === "junction") return { x: box.x + box.w, y: box.y + 5 };
  const count = Math.max(1, workspace.outputs(node));
  return { x: box.x + box.w + 5, y: box.y + outputOffset(box.h, count, port) };
}

export function outputOffset(height: number, count: number, port: number): number {
  return height / 2 + (port - (count - 1) / 2) * 13 * (count > 1 ? 1 : 0);
}

export function inputPoint(workspace: Workspace, node: FlowNode): { x: number; y: number } {
  const box = nodeBox(workspace, node);
  if (node.type === "junction") return { x: box.x, y: box.y + 5 };
  return { x: box.x - 5, y: box.y + box.h / 2 };
}

export function wirePath(from: { x: number; y: number }, to: { x: number; y: number }): string {
  const dx = to.x - from.x;
  const reach = Math.max(30, Math.min(Math.abs(dx) * 0.5 + Math.abs(to.y - from.y) * 0.1, 120), dx < 0 ? 60 : 0);
  return `M${from.x} ${from.y} C${from.x + reach} ${from.y} ${to.x - reach} ${to.y} ${to.x} ${to.y}`;
}
