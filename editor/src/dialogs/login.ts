// The login page, shown when GET /auth/login answers prompts (settings adminAuth).
import { ApiError, type AdminApi } from "../api/client";
import { element } from "./dialog";

export function showLogin(api: AdminApi, prompts: { id: string; type: string; label: string }[]): Promise<void> {
  return new Promise((resolve) => {
    const page = element("div", { class: "login-page" });
    const form = element("form", { class: "login-form" });
    form.appendChild(element("h1", {}, "FlowEngine"));
    const inputs = new Map<string, HTMLInputElement>();
    for (const prompt of prompts) {
      if (prompt.type !== "text" && prompt.type !== "password") continue;
      const input = element("input", { type: prompt.type, name: prompt.id, autocomplete: prompt.type === "password" ? "current-password" : "username" });
      const label = element("label", {}, prompt.label.replace(/^user\./, ""));
      label.appendChild(input);
      form.appendChild(label);
      inputs.set(prompt.id, input);
    }
    const error = element("div", { class: "form-error", role: "alert" });
    const submit = element("button", { type: "submit", class: "primary" }, "Log in");
    form.append(error, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        await api.login(inputs.get("username")?.value ?? "", inputs.get("password")?.value ?? "");
        page.remove();
        resolve();
      } catch (failure) {
        error.textContent = failure instanceof ApiError && failure.status === 403 ? "Login failed: wrong user name or password." : `Login failed: ${(failure as Error).message}`;
      } finally {
        submit.disabled = false;
      }
    });
    page.appendChild(form);
    document.body.appendChild(page);
    form.querySelector("input")?.focus();
  });
}
