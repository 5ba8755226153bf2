// The admin HTTP API (runtime/FlowEngine.Host/README.md). Paths are relative to the page, which the host serves at httpAdminRoot.
import type { FlowNode, NodeDeclaration } from "../model/types";

export type DeploymentType = "full" | "flows" | "nodes" | "reload";

export interface DeployProblem { id: string | null; name: string | null; type: string | null; property: string | null; reason: string | null }

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly body: Record<string, unknown>) {
    super(message);
  }
  get problems(): DeployProblem[] {
    return Array.isArray(this.body["problems"]) ? (this.body["problems"] as DeployProblem[]) : [];
  }
}

const tokenKey = "flowengine-token";

export class AdminApi {
  readonly base: string;
  token: string | null = localStorage.getItem(tokenKey);

  constructor(base?: string) {
    this.base = base ?? location.pathname.replace(/[^/]*$/, "");
  }

  url(path: string): string {
    return this.base + path.replace(/^\//, "");
  }

  setToken(token: string | null): void {
    this.token = token;
    if (token) localStorage.setItem(tokenKey, token);
    else localStorage.removeItem(tokenKey);
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const all: Record<string, string> = { Accept: "application/json", ...headers };
    if (this.token) all["Authorization"] = `Bearer ${this.token}`;
    if (body !== undefined) all["Content-Type"] = "application/json";
    const response = await fetch(this.url(path), { method, headers: all, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text) {
      try { parsed = JSON.parse(text); } catch { parsed = text; }
    }
    if (!response.ok) {
      const obj = (parsed && typeof parsed === "object" ? parsed : {}) as Record<string, unknown>;
      const code = String(obj["code"] ?? obj["error"] ?? response.status);
      const message = String(obj["message"] ?? obj["error_description"] ?? (typeof parsed === "string" ? parsed : response.statusText));
      throw new ApiError(response.status, code, message, obj);
    }
    return parsed as T;
  }

  getFlows(): Promise<{ flows: FlowNode[]; rev: string }> {
    return this.request("GET", "flows", undefined, { "Node-RED-API-Version": "v2" });
  }

  deploy(flows: FlowNode[], rev: string | null, type: DeploymentType): Promise<{ rev: string }> {
    const body: Record<string, unknown> = { flows };
    if (rev) body["rev"] = rev;
    return this.request("POST", "flows", body, { "Node-RED-API-Version": "v2", "Node-RED-Deployment-Type": type });
  }

  getDeclarations(): Promise<NodeDeclaration[]> {
    return this.request("GET", "nodes/declarations");
  }

  getSettings(): Promise<Record<string, unknown>> {
    return this.request("GET", "settings");
  }

  getLogin(): Promise<{ type?: string; prompts?: { id: string; type: string; label: string }[] }> {
    return this.request("GET", "auth/login");
  }

  async login(username: string, password: string): Promise<void> {
    const answer = await this.request<{ access_token: string }>("POST", "auth/token", {
      client_id: "node-red-editor", grant_type: "password", scope: "", username, password,
    });
    this.setToken(answer.access_token);
  }

  inject(id: string): Promise<unknown> {
    return this.request("POST", `inject/${encodeURIComponent(id)}`);
  }

  setDebugActive(id: string, active: boolean): Promise<unknown> {
    return this.request("POST", `debug/${encodeURIComponent(id)}/${active ? "enable" : "disable"}`);
  }
}
