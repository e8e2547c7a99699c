// Purpose-bound search (R4-R8): every search states why (a purpose) and for which case.
import type { components } from "@alpr/sdk";

import { api } from "./api";
import { h, refuse, say, statusLine } from "./dom";

type Purpose = components["schemas"]["Purpose"];
type SearchRequest = components["schemas"]["SearchRequest"];
type Detection = components["schemas"]["DetectionPublic"];

// The authorized purposes (R6), typed by the SDK: a value the platform does not know fails tsc.
// (The prohibited ones exist too; the server refuses them with 403 and records the attempt.)
const PURPOSES: Purpose[] = [
  "stolen_vehicle",
  "wanted_person",
  "criminal_investigation",
  "violent_crime_witness_or_victim",
  "missing_person",
  "amber_alert",
  "silver_alert",
];

export function searchPanel(): HTMLElement {
  const purpose = h(
    "select",
    { id: "search-purpose", name: "purpose" },
    h("option", { value: "" }, "(no purpose)"),
    ...PURPOSES.map((p) => h("option", { value: p }, p.replace(/_/g, " "))),
  );
  const caseNumber = h("input", { id: "search-case", name: "case_number", placeholder: "2026-000123" });
  const plate = h("input", { id: "search-plate", name: "plate", placeholder: "7ABC* (optional)" });
  const hours = h("input", { id: "search-hours", name: "hours", type: "number", min: "1", value: "24" });
  const status = statusLine();
  const results = h("tbody");

  async function run(event: Event): Promise<void> {
    event.preventDefault();
    const to = new Date();
    const from = new Date(to.getTime() - Number(hours.value || "24") * 3_600_000);
    // The schema marks `purpose` required, so a stricter form would stop here. This one sends
    // the search anyway: the server decides (and records the refused attempt, R5), and the
    // console shows its answer as worded.
    const body = {
      ...(purpose.value ? { purpose: purpose.value as Purpose } : {}),
      ...(caseNumber.value ? { case_number: caseNumber.value } : {}),
      ...(plate.value ? { plate: plate.value } : {}),
      from: from.toISOString(),
      to: to.toISOString(),
    } as SearchRequest;
    say(status, "Searching...");
    results.replaceChildren();
    const { data, error } = await api.POST("/api/search/v1/searches", { body });
    if (error) return refuse(status, error);
    say(status, `${data.items.length} detection(s); search ${data.search_id} is on the audit ledger.`);
    results.replaceChildren(...data.items.map(row));
  }

  return h(
    "section",
    { id: "search", "aria-labelledby": "search-title" },
    h("h2", { id: "search-title" }, "Search"),
    h(
      "form",
      { onsubmit: (e) => void run(e) },
      h("label", {}, "Purpose ", purpose),
      h("label", {}, "Case number ", caseNumber),
      h("label", {}, "Plate ", plate),
      h("label", {}, "Last hours ", hours),
      h("button", { type: "submit" }, "Search"),
    ),
    status,
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h("tr", {}, h("th", {}, "Plate"), h("th", {}, "Region"), h("th", {}, "Seen"), h("th", {}, "Camera")),
      ),
      results,
    ),
  );
}

function row(d: Detection): HTMLTableRowElement {
  return h(
    "tr",
    {},
    h("td", {}, d.plate),
    h("td", {}, d.region),
    h("td", {}, new Date(d.captured_at).toLocaleString()),
    h("td", {}, d.camera_id.slice(0, 8)),
  );
}
