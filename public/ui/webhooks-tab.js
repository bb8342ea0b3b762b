// @ts-check
// The detail view's webhook events tab: what the provider sent (the payload, opened in place),
// what processing did with it, and Replay, which processes a received event again.

import { api } from "./api.js";
import { badge, banner, fmtDate, h, table } from "./dom.js";

/**
 * @param {{ id: string }} i the integration
 * @param {HTMLElement} panel
 */
export async function renderWebhooks(i, panel) {
  const r = await api("GET", `/api/integrations/${i.id}/webhook-events`);
  panel.replaceChildren(
    table(
      "Webhook events",
      [
        ["Received", (/** @type {any} */ e) => fmtDate(e.received_at)],
        ["Type", (/** @type {any} */ e) => e.event_type],
        ["Status", (/** @type {any} */ e) => h("span", { class: "event-status" }, badge(e.status))],
        ["Attempts", (/** @type {any} */ e) => String(e.attempts)],
        ["Error", (/** @type {any} */ e) => e.last_error],
        ["Payload", (/** @type {any} */ e) => payloadViewer(e)],
        ["", (/** @type {any} */ e) => replayButton(i, e)],
      ],
      r.events,
    ),
  );
}

/** The payload as the hub stored it (secret-looking values masked), opened on demand. */
function payloadViewer(/** @type {any} */ e) {
  return h(
    "details",
    { class: "payload" },
    h("summary", {}, "View", h("span", { class: "visually-hidden" }, ` payload of ${e.event_type}`)),
    h("pre", { tabindex: "0" }, JSON.stringify(e.payload, null, 2)),
    e.result ? h("p", { class: "small muted" }, `Result: ${JSON.stringify(e.result)}`) : null,
  );
}

/**
 * @param {{ id: string }} i
 * @param {any} e
 */
function replayButton(i, e) {
  const busy = e.status === "pending" || e.status === "processing";
  const button = h(
    "button",
    {
      type: "button",
      class: "btn small replay",
      disabled: busy,
      "aria-label": `Replay ${e.event_type} received ${fmtDate(e.received_at)}`,
      onclick: async () => {
        button.disabled = true;
        try {
          const r = await api("POST", `/api/integrations/${i.id}/webhook-events/${e.id}/replay`);
          button.closest("tr")?.querySelector(".event-status")?.replaceChildren(badge(r.event.status));
          banner(`${e.event_type}: queued for processing again.`, "ok");
        } catch (error) {
          banner(`Replay refused: ${/** @type {Error} */ (error).message}`, "fail");
          button.disabled = false;
        }
      },
    },
    "Replay",
  );
  return button;
}
