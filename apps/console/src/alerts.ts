/**
 * Live alerts (Server-Sent Events) with the browser's own `EventSource`.
 *
 * An `EventSource` cannot send an `Authorization` header, and a long-lived token does not belong
 * in a URL (logs, history). So each connection first buys a one-time ticket with the bearer
 * token (`POST /v1/alerts/stream-tickets`, valid 30 s, single use) and opens the stream with
 * `?ticket=`. Because a ticket works once, the browser's automatic reconnection (which repeats
 * the same URL) cannot succeed: on any error the console closes the source itself and opens a
 * new one with a new ticket and `last_event_id` = the last event's id (what the `Last-Event-ID`
 * header says for a reconnection, which a new `EventSource` cannot send), so no event is missed.
 *
 * Alerts then move one step at a time (R13): alert -> tentative hit (the read checked against
 * the image) -> live query (the entry is still active) -> confirmed (by the entering agency).
 */
import type { components } from "@alpr/sdk";

import { api } from "./api";
import { h, refuse, say, statusLine } from "./dom";

type Alert = components["schemas"]["AlertPublic"];
type AlertState = components["schemas"]["AlertState"];
type Disposition = components["schemas"]["Disposition"];

const STREAM = "/api/hotlist/v1/alerts/stream";
const RECONNECT_MS = 2000;
// The next step of an open alert and the words on its button; closed states have none.
const NEXT: Partial<Record<AlertState, [AlertState, string]>> = {
  alert: ["tentative_hit", "Tentative hit"],
  tentative_hit: ["live_query", "Live query"],
  live_query: ["confirmed", "Confirm"],
};

// What came of a confirmed hit (R14): the move to `confirmed` must say one; the SB 34 report
// counts them. (`misread` is its own closing state, not offered here.)
const OUTCOMES: [Disposition, string][] = [
  ["no_action", "No action"],
  ["stop", "Stop"],
  ["arrest", "Arrest"],
  ["vehicle_recovered", "Vehicle recovered"],
];

export class AlertsPanel {
  readonly element: HTMLElement;
  private readonly status = statusLine();
  private readonly connection = h("span", { id: "stream-state", "data-state": "closed" }, "closed");
  private readonly rows = h("tbody");
  private readonly alerts = new Map<string, Alert>();
  private source: EventSource | undefined;
  private lastEventId: string | undefined;
  private reconnect: number | undefined;
  private stopped = true;

  constructor() {
    this.element = h(
      "section",
      { id: "alerts", "aria-labelledby": "alerts-title" },
      h("h2", { id: "alerts-title" }, "Live alerts"),
      h(
        "p",
        {},
        "Stream: ",
        this.connection,
        " ",
        h("button", { type: "button", onclick: () => this.stop() }, "Disconnect"),
        " ",
        h("button", { type: "button", onclick: () => void this.start() }, "Reconnect"),
      ),
      this.status,
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h("tr", {}, ...["Plate", "Hotlist", "Reason", "Seen", "State", ""].map((t) => h("th", {}, t))),
        ),
        this.rows,
      ),
    );
  }

  /**
   * The stream from now on (or, after `stop()`, from the last event seen), then the latest
   * alerts below what it brings: in this order no alert made meanwhile falls in between.
   */
  async start(): Promise<void> {
    this.stopped = false;
    const first = this.lastEventId === undefined && this.alerts.size === 0;
    await this.open();
    if (!first) return;
    const { data, error } = await api.GET("/api/hotlist/v1/alerts", { params: { query: { limit: 20 } } });
    if (error) return refuse(this.status, error);
    for (const alert of data.items) {
      if (!this.alerts.has(alert.id)) this.show(alert, "bottom"); // the stream's copy is newer
    }
  }

  /** Closes the stream; `start()` resumes it after the last event seen. */
  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.reconnect);
    this.source?.close();
    this.source = undefined;
    this.setConnection("closed");
  }

  private async open(): Promise<void> {
    window.clearTimeout(this.reconnect);
    this.source?.close();
    let ticket;
    try {
      ticket = await api.POST("/api/hotlist/v1/alerts/stream-tickets");
    } catch {
      return this.retry(); // no answer at all (the network, the gateway): try again shortly
    }
    const { data, error } = ticket;
    if (error) {
      this.setConnection("closed");
      return refuse(this.status, error); // e.g. the token expired: sign in again
    }
    if (this.stopped) return;
    const url = new URL(STREAM, window.location.origin);
    url.searchParams.set("ticket", data.ticket);
    if (this.lastEventId !== undefined) url.searchParams.set("last_event_id", this.lastEventId);
    const source = new EventSource(url);
    this.source = source;
    this.setConnection("connecting");
    source.onopen = () => this.setConnection("live");
    for (const kind of ["alert.created", "alert.transitioned"]) {
      source.addEventListener(kind, (event) => {
        const message = event as MessageEvent<string>;
        this.lastEventId = message.lastEventId;
        this.show(JSON.parse(message.data) as Alert);
      });
    }
    source.onerror = () => {
      // The stream ended (the server closes it now and then) or broke: a new ticket, then resume.
      source.close();
      if (this.source === source) this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    this.setConnection("reconnecting");
    this.reconnect = window.setTimeout(() => void this.open(), RECONNECT_MS);
  }

  private setConnection(state: string): void {
    this.connection.dataset.state = state;
    this.connection.textContent = state;
  }

  /** Adds an alert (newest on top), or replaces it with its newer version (a transition). */
  private show(alert: Alert, where: "top" | "bottom" = "top"): void {
    this.alerts.set(alert.id, alert);
    const shown = this.rows.querySelector<HTMLTableRowElement>(`tr[data-alert-id="${alert.id}"]`);
    // The same move arrives twice (the POST's answer, then the stream's event): keep the row
    // as it is, so an outcome being chosen in it is not reset.
    if (shown?.dataset.state === alert.state) return;
    const next = NEXT[alert.state];
    const row = h(
      "tr",
      {
        "data-alert-id": alert.id,
        "data-read-id": alert.read_id,
        "data-plate": alert.plate,
        "data-state": alert.state,
        "data-disposition": alert.disposition ?? "",
      },
      h("td", {}, alert.plate),
      h("td", {}, alert.entry.hotlist_name),
      h("td", {}, alert.entry.reason ?? ""),
      h("td", {}, new Date(alert.captured_at).toLocaleTimeString()),
      h(
        "td",
        { class: "state" },
        alert.state.replace(/_/g, " ") + (alert.disposition ? ` (${alert.disposition.replace(/_/g, " ")})` : ""),
      ),
      h("td", {}, ...(next ? this.actions(alert, next) : [])),
    );
    const old = this.rows.querySelector(`tr[data-alert-id="${alert.id}"]`);
    if (old) old.replaceWith(row);
    else if (where === "top") this.rows.prepend(row);
    else this.rows.append(row);
  }

  /** The button to the next state; before `confirmed`, a choice of outcome as well. */
  private actions(alert: Alert, [to, words]: [AlertState, string]): HTMLElement[] {
    const outcome =
      to === "confirmed"
        ? h(
            "select",
            { "aria-label": "Outcome", name: "disposition" },
            ...OUTCOMES.map(([value, label]) => h("option", { value }, label)),
          )
        : null;
    const move = (): void => void this.move(alert, to, (outcome?.value as Disposition | undefined) ?? null);
    const button = h("button", { type: "button", onclick: move }, words);
    return outcome ? [outcome, button] : [button];
  }

  private async move(alert: Alert, to: AlertState, disposition: Disposition | null): Promise<void> {
    const { data, error } = await api.POST("/api/hotlist/v1/alerts/{alert_id}/transitions", {
      params: { path: { alert_id: alert.id } },
      body: { to, note: `Moved from the reference console`, disposition },
    });
    if (error) return refuse(this.status, error);
    say(this.status, `Alert on ${data.plate}: ${data.state.replace(/_/g, " ")}.`);
    this.show(data);
  }
}
