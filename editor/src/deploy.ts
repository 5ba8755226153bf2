// Deploy: Full / Modified Flows / Modified Nodes, v2 with rev; conflicts and refused flows are explained.
import { ApiError, type AdminApi, type DeploymentType } from "./api/client";
import type { Workspace } from "./model/workspace";
import { element, notify, openDialog } from "./dialogs/dialog";

export async function deploy(api: AdminApi, workspace: Workspace, type: DeploymentType, reveal: (id: string) => void, reload: () => Promise<void>): Promise<boolean> {
  try {
    const answer = await api.deploy(workspace.nodes, workspace.rev, type);
    workspace.markDeployed(answer.rev);
    notify("Successfully deployed", "success");
    return true;
  } catch (error) {
    if (!(error instanceof ApiError)) {
      notify(`Deploy failed: ${(error as Error).message}`, "error", 0);
      return false;
    }
    if (error.status === 409) {
      showConflict(api, workspace, type, reveal, reload);
    } else if (error.code === "invalid_flows" && error.problems.length > 0) {
      showProblems(workspace, error, reveal);
    } else {
      notify(`Deploy refused: ${error.message}`, "error", 0);
    }
    return false;
  }
}

function showConflict(api: AdminApi, workspace: Workspace, type: DeploymentType, reveal: (id: string) => void, reload: () => Promise<void>): void {
  const body = element("div", { class: "deploy-conflict" });
  body.append(element("p", {}, "The flows on the server have changed since you loaded them (someone else deployed)."),
    element("p", {}, "Load the server's flows (your undeployed changes are lost), or overwrite them with yours."));
  openDialog("Deploy conflict", body, [
    { label: "Cancel", action: () => undefined },
    { label: "Load server flows", action: async () => { await reload(); } },
    {
      label: "Overwrite", primary: true, action: async () => {
        workspace.rev = null;
        await deploy(api, workspace, type, reveal, reload);
      },
    },
  ], "conflict-dialog");
}

function showProblems(workspace: Workspace, error: ApiError, reveal: (id: string) => void): void {
  workspace.problems = new Set(error.problems.map((p) => p.id).filter((id): id is string => !!id));
  workspace.notify();
  const body = element("div", { class: "deploy-problems" });
  body.appendChild(element("p", {}, error.message));
  const list = element("ul");
  for (const problem of error.problems) {
    const item = element("li", { class: "deploy-problem" });
    const node = problem.id ? workspace.byId.get(problem.id) : undefined;
    const who = node ? workspace.label(node) : problem.name ?? problem.id ?? "flow";
    const link = element("a", { href: "#" }, `${who}${problem.type ? ` (${problem.type})` : ""}`);
    link.onclick = (event) => { event.preventDefault(); if (problem.id) reveal(problem.id); };
    item.append(link, document.createTextNode(`${problem.property ? ` · ${problem.property}` : ""}: ${problem.reason ?? "invalid"}`));
    list.appendChild(item);
  }
  body.appendChild(list);
  openDialog("Deploy refused", body, [{ label: "Close", primary: true, action: () => undefined }], "problems-dialog");
  const first = error.problems.find((p) => p.id && workspace.byId.has(p.id));
  if (first?.id) reveal(first.id);
}
