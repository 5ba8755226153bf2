// Starts the real FlowEngine host (flowengine.dll) on a free port with a temporary user directory, and a headless Chromium.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

export const repoRoot = resolve(import.meta.dirname, "../..");
const defaultDll = join(repoRoot, "runtime/FlowEngine.Host/bin/Debug/net10.0/flowengine.dll");

/**
 * FLOWENGINE_DLL names a built host. Otherwise the repository's Debug build, brought up to date first (an incremental
 * dotnet build, whose BuildEditor target also rebuilds the editor when a source changed) so the tests never drive a
 * stale editor. FLOWENGINE_E2E_NO_BUILD=1 skips that build when the dll exists.
 */
function hostDll() {
  if (process.env.FLOWENGINE_DLL) return process.env.FLOWENGINE_DLL;
  if (!(process.env.FLOWENGINE_E2E_NO_BUILD && existsSync(defaultDll))) {
    const build = spawnSync("dotnet", ["build", join(repoRoot, "runtime/FlowEngine.Host"), "-v", "quiet", "-nologo"], { stdio: "inherit" });
    if (build.status !== 0) throw new Error("dotnet build runtime/FlowEngine.Host failed");
  }
  return defaultDll;
}

/** `settings`, when given, is written to <userDir>/settings.json before the host starts. */
export async function startHost(settings) {
  const userDir = mkdtempSync(join(tmpdir(), "flowengine-e2e-"));
  if (settings) writeFileSync(join(userDir, "settings.json"), JSON.stringify(settings));
  const child = spawn("dotnet", [hostDll(), "-p", "0", "-u", userDir], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const baseUrl = await new Promise((resolveUrl, reject) => {
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
  // The admin API answers 503 until the flows are loaded.
  for (let i = 0; i < 100; i++) {
    const response = await fetch(baseUrl + "flows").catch(() => null);
    if (response && response.status !== 503) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    log: () => output,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
}

/** Deploys flows through the admin API (v2) and answers the new rev. */
export async function deployFlows(baseUrl, flows) {
  const current = await (await fetch(baseUrl + "flows", { headers: { "Node-RED-API-Version": "v2" } })).json();
  const response = await fetch(baseUrl + "flows", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Node-RED-API-Version": "v2", "Node-RED-Deployment-Type": "full" },
    body: JSON.stringify({ flows, rev: current.rev }),
  });
  if (!response.ok) throw new Error(`deploy failed: ${response.status} ${await response.text()}`);
  return (await response.json()).rev;
}

export async function getFlows(baseUrl) {
  return (await (await fetch(baseUrl + "flows", { headers: { "Node-RED-API-Version": "v2" } })).json()).flows;
}
