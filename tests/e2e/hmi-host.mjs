// A FlowEngine host for the HMI tests that can be stopped and started again on the same port with the same user
// directory (the "page survives a runtime restart" test), with adminAuth users of each role.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./host.mjs";

const defaultDll = join(repoRoot, "runtime/FlowEngine.Host/bin/Debug/net10.0/flowengine.dll");
let built = false;

function hostDll() {
  if (process.env.FLOWENGINE_DLL) return process.env.FLOWENGINE_DLL;
  if (!built && !(process.env.FLOWENGINE_E2E_NO_BUILD && existsSync(defaultDll))) {
    const build = spawnSync("dotnet", ["build", join(repoRoot, "runtime/FlowEngine.Host"), "-v", "quiet", "-nologo"], { stdio: "inherit" });
    if (build.status !== 0) throw new Error("dotnet build runtime/FlowEngine.Host failed");
  }
  built = true;
  return defaultDll;
}

/** bcrypt of "password" (Node-RED's documentation example). */
export const PASSWORD = "password";
const HASH = "$2a$08$zZWtXTja0fB1pzD4sHCMyOCMYz2Z6dNbM6tl8sJogENOMcxWV9DN.";

export const hmiSettings = {
  adminAuth: {
    type: "credentials",
    users: [
      { username: "admin", password: HASH, role: "admin" },
      { username: "olivia", password: HASH, role: "operator" },
      { username: "victor", password: HASH, role: "viewer" },
    ],
  },
};

function launch(userDir, port) {
  const child = spawn("dotnet", [hostDll(), "-p", String(port), "-u", userDir], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start in 60 s:\n${output}`)), 60000);
    const read = (chunk) => {
      output += chunk;
      const match = /Server now running at (http:\/\/[^\s]+)/.exec(output);
      if (match) { clearTimeout(timer); resolveUrl(match[1].endsWith("/") ? match[1] : match[1] + "/"); }
    };
    child.stdout.setEncoding("utf8").on("data", read);
    child.stderr.setEncoding("utf8").on("data", read);
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`host exited with ${code}:\n${output}`)); });
  });
  return { child, ready, log: () => output };
}

/** The admin API (login included) answers 503 until the flows are loaded. */
async function waitForFlows(baseUrl) {
  for (let i = 0; i < 300; i++) {
    const response = await fetch(baseUrl + "auth/login").catch(() => null);
    if (response && response.status !== 503) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startHmiHost(settings = hmiSettings) {
  const userDir = mkdtempSync(join(tmpdir(), "flowengine-hmi-e2e-"));
  writeFileSync(join(userDir, "settings.json"), JSON.stringify(settings));
  let running = launch(userDir, 0);
  const baseUrl = await running.ready;
  const port = Number(new URL(baseUrl).port);
  await waitForFlows(baseUrl);
  const stopChild = async () => {
    const { child } = running;
    if (child.exitCode !== null) return;
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
  };
  return {
    baseUrl,
    log: () => running.log(),
    /** Stops the process and starts it again on the same port and user directory. */
    async restart({ whileDown } = {}) {
      await stopChild();
      if (whileDown) await whileDown();
      running = launch(userDir, port);
      await running.ready;
      await waitForFlows(baseUrl);
    },
    async stop() {
      await stopChild();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}

export async function login(baseUrl, username) {
  const response = await fetch(baseUrl + "auth/token", {
    method: "POST",
    body: new URLSearchParams({ client_id: "node-red-editor", grant_type: "password", scope: "", username, password: PASSWORD }),
  });
  if (!response.ok) throw new Error(`login ${username}: ${response.status}`);
  return (await response.json()).access_token;
}

export async function deploy(baseUrl, token, flows) {
  const auth = { Authorization: `Bearer ${token}`, "Node-RED-API-Version": "v2" };
  const current = await (await fetch(baseUrl + "flows", { headers: auth })).json();
  const response = await fetch(baseUrl + "flows", {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/json", "Node-RED-Deployment-Type": "full" },
    body: JSON.stringify({ flows, rev: current.rev }),
  });
  if (!response.ok) throw new Error(`deploy failed: ${response.status} ${await response.text()}`);
}

export async function inject(baseUrl, token, id) {
  const response = await fetch(`${baseUrl}inject/${id}`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`inject ${id}: ${response.status}`);
}
