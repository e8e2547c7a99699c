/**
 * Hotlist entries and the two-person rule (R12): a member enters a plate, which is `pending`
 * until someone else approves it (an ALPR administrator for a new entry; never its own
 * enterer). The server enforces both; the console only shows its answers.
 */
import type { components } from "@alpr/sdk";

import { api } from "./api";
import { h, refuse, say, statusLine } from "./dom";

type Entry = components["schemas"]["EntryPublic"];

export class EntriesPanel {
  readonly element: HTMLElement;
  private readonly status = statusLine();
  private readonly hotlist = h("select", { id: "entry-hotlist", name: "hotlist" });
  private readonly pending = h("tbody");
  /** Counts refreshes: an answer to an older one (slower than a newer one) is dropped. */
  private refreshes = 0;

  constructor() {
    const plate = h("input", { id: "entry-plate", name: "plate", required: true, maxlength: "24" });
    const state = h("input", { id: "entry-state", name: "state", required: true, value: "CA", size: "2" });
    const caseNumber = h("input", {
      id: "entry-case",
      name: "case_number",
      required: true,
      placeholder: "2026-000123",
    });
    const synopsis = h("input", { id: "entry-synopsis", name: "synopsis", required: true });
    const enter = async (event: Event): Promise<void> => {
      event.preventDefault();
      const { data, error } = await api.POST("/api/hotlist/v1/hotlists/{hotlist_id}/entries", {
        params: { path: { hotlist_id: this.hotlist.value } },
        body: {
          plate: plate.value,
          state: state.value,
          case_number: caseNumber.value,
          synopsis: synopsis.value,
        },
      });
      if (error) return refuse(this.status, error);
      say(this.status, `Entered ${data.plate}: ${data.status}, awaiting another user's approval.`);
      await this.refresh();
    };
    this.element = h(
      "section",
      { id: "entries", "aria-labelledby": "entries-title" },
      h("h2", { id: "entries-title" }, "Hotlist entries"),
      h("label", {}, "Hotlist ", this.hotlist),
      h(
        "form",
        { onsubmit: (e) => void enter(e) },
        h("label", {}, "Plate ", plate),
        h("label", {}, "State ", state),
        h("label", {}, "Case number ", caseNumber),
        h("label", {}, "Synopsis ", synopsis),
        h("button", { type: "submit" }, "Enter plate"),
      ),
      this.status,
      h(
        "h3",
        {},
        "Awaiting approval ",
        h("button", { type: "button", onclick: () => void this.refresh() }, "Refresh"),
      ),
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h("tr", {}, ...["Plate", "State", "Case", "Entered by", "Status", ""].map((t) => h("th", {}, t))),
        ),
        this.pending,
      ),
    );
    this.hotlist.addEventListener("change", () => void this.refresh());
  }

  /** The agency's hotlists, then the selected one's entries awaiting approval. */
  async start(): Promise<void> {
    const { data, error } = await api.GET("/api/hotlist/v1/hotlists");
    if (error) return refuse(this.status, error);
    this.hotlist.replaceChildren(...data.items.map((list) => h("option", { value: list.id }, list.name)));
    await this.refresh();
  }

  async refresh(): Promise<void> {
    if (!this.hotlist.value) return;
    const refresh = ++this.refreshes;
    const { data, error } = await api.GET("/api/hotlist/v1/hotlists/{hotlist_id}/entries", {
      params: { path: { hotlist_id: this.hotlist.value }, query: { awaiting_approval: true } },
    });
    // A refresh begun on sign-in may answer after the one an approval began: the newer wins,
    // or an approved entry would come back as pending.
    if (refresh !== this.refreshes) return;
    if (error) return refuse(this.status, error);
    this.pending.replaceChildren(...data.items.map((entry) => this.row(entry)));
  }

  private row(entry: Entry): HTMLTableRowElement {
    return h(
      "tr",
      { "data-entry-id": entry.id, "data-plate": entry.plate },
      h("td", {}, entry.plate),
      h("td", {}, entry.state),
      h("td", {}, entry.case_number ?? ""),
      h("td", {}, entry.entered_by?.name ?? ""),
      h("td", { class: "state" }, entry.status),
      h("td", {}, h("button", { type: "button", onclick: () => void this.approve(entry) }, "Approve")),
    );
  }

  private async approve(entry: Entry): Promise<void> {
    const { data, error } = await api.POST(
      "/api/hotlist/v1/hotlists/{hotlist_id}/entries/{entry_id}:approve",
      {
        params: { path: { hotlist_id: entry.hotlist_id, entry_id: entry.id } },
        body: { note: "Approved from the reference console" },
      },
    );
    if (error) return refuse(this.status, error); // e.g. your own entry, or not your role
    say(this.status, `Approved ${data.plate}: ${data.status} (by ${data.approved_by?.name ?? "you"}).`);
    await this.refresh();
  }
}
