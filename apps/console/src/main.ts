// The reference console: sign-in first, then three panels that each call the platform through
// the SDK. Read session.ts (PKCE), alerts.ts (live stream) and search.ts (a refusal as worded).
import "./style.css";

import { AlertsPanel } from "./alerts";
import { h, refuse } from "./dom";
import { EntriesPanel } from "./entries";
import { searchPanel } from "./search";
import { accessToken, completeSignIn, identity, signIn, signOut } from "./session";

const header = document.getElementById("session")!;
const app = document.getElementById("app")!;

async function main(): Promise<void> {
  const failure = await completeSignIn(); // when the issuer has just sent the browser back
  const who = identity();
  if (!accessToken() || !who) {
    const problem = h("p", { class: "status" });
    if (failure) refuse(problem, new Error(failure));
    header.replaceChildren(h("button", { type: "button", onclick: () => void signIn() }, "Sign in"));
    app.replaceChildren(
      h(
        "p",
        {},
        "Sign in with your agency account (the development issuer's users are demo-<role>, password demo).",
      ),
      problem,
    );
    return;
  }
  const alerts = new AlertsPanel();
  const entries = new EntriesPanel();
  header.replaceChildren(
    h("span", { id: "who", "data-sub": who.sub }, `${who.name} (${who.roles.join(", ")}) of ${who.agency}`),
    " ",
    h(
      "button",
      {
        type: "button",
        onclick: () => {
          alerts.stop();
          signOut();
          void main();
        },
      },
      "Sign out",
    ),
  );
  app.replaceChildren(searchPanel(), alerts.element, entries.element);
  await Promise.all([alerts.start(), entries.start()]);
}

void main();
