// A few lines in place of a UI framework: build elements, show a result or a problem.
import { describeProblem, isProblem } from "@alpr/sdk";

type Attrs = Record<string, string | boolean | ((event: Event) => void)>;
type Child = Node | string | null | undefined | false;

/** `h("button", { onclick: go }, "Go")`: an element with attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(name, "");
    else if (value !== false) el.setAttribute(name, value);
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

/** A status line for a panel; `role="alert"` lines are read out by screen readers at once. */
export function statusLine(): HTMLParagraphElement {
  return h("p", { class: "status", role: "status" });
}

export function say(line: HTMLElement, text: string): void {
  line.className = "status";
  line.setAttribute("role", "status");
  line.textContent = text;
}

/**
 * A refusal exactly as the server worded it: the problem's `title` and `detail` (RFC 9457), and
 * for a validation problem the fields it names. Anything else (a network failure) as an error.
 */
export function refuse(line: HTMLElement, error: unknown): void {
  line.className = "status problem";
  line.setAttribute("role", "alert");
  if (isProblem(error)) {
    const fields = (error.errors ?? []).map((e) => e.loc.join(".")).join(", ");
    line.textContent = describeProblem(error) + (fields ? ` (${fields})` : "");
    line.dataset.problemType = error.type;
  } else {
    line.textContent = `Request failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}
