// Light JavaScript highlighting for code fields: a coloured copy of the text drawn under a transparent textarea.

const keywords = new Set(["break", "case", "catch", "const", "continue", "default", "delete", "do", "else", "false", "finally", "for",
  "function", "if", "in", "instanceof", "let", "new", "null", "of", "return", "switch", "this", "throw", "true", "try", "typeof",
  "undefined", "var", "void", "while", "async", "await", "msg", "node", "context", "flow", "global", "env"]);

const token = /(\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|("(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|`(?:[^`\\]|\\.)*`?)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_$][\w$]*)/g;

function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!);
}

export function highlightJavaScript(code: string): string {
  let html = "";
  let last = 0;
  for (const match of code.matchAll(token)) {
    html += escapeHtml(code.slice(last, match.index));
    const [text, comment, string, number, word] = match;
    const kind = comment ? "comment" : string ? "string" : number ? "number" : word && keywords.has(word) ? "keyword" : null;
    html += kind ? `<span class="hl-${kind}">${escapeHtml(text)}</span>` : escapeHtml(text);
    last = match.index + text.length;
  }
  return html + escapeHtml(code.slice(last)) + "\n";
}

/** Wraps a textarea so that its text is shown highlighted; the textarea keeps focus, selection and editing. */
export function withHighlighting(area: HTMLTextAreaElement): HTMLElement {
  const wrapper = document.createElement("div");
  wrapper.className = "code-editor";
  const view = document.createElement("pre");
  view.className = "code-highlight";
  view.setAttribute("aria-hidden", "true");
  const draw = (): void => {
    view.innerHTML = highlightJavaScript(area.value);
    view.scrollTop = area.scrollTop;
    view.scrollLeft = area.scrollLeft;
  };
  area.addEventListener("input", draw);
  area.addEventListener("scroll", draw);
  wrapper.append(view, area);
  draw();
  return wrapper;
}
