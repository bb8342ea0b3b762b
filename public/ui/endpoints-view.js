// @ts-check
// The event endpoints view (#/events): the organization's endpoints (where the hub announces
// what happens: lead.created, message.status, …) and, for the one chosen, its deliveries with
// every attempt (status code, latency, the endpoint's answer), Redeliver, and a test event.
// Endpoints belong to the organization, not to one integration: each gets every integration's
// events of the types it asked for.

import { api } from "./api.js";
import { $, badge, banner, fmtDate, h, table } from "./dom.js";
import { show } from "./nav.js";

/**
 * @typedef {{ id: string, url: string, description: string | null, event_types: string[] | null,
 *   status: string, disabled_reason: string | null, created_at: string }} Endpoint
 * @typedef {{ id: string, event_id: string, event_type: string | null, endpoint_id: string,
 *   status: string, attempts: number, last_status_code: number | null, last_error: string | null,
 *   created_at: string, delivered_at: string | null }} Delivery
 * @typedef {{ attempt: number, status_code: number | null, latency_ms: number,
 *   error: string | null, response_body: string | null, created_at: string }} Attempt
 */

/** Renders the view into #endpoints; `chosen` names the endpoint whose deliveries show. */
export async function renderEndpoints(/** @type {string | undefined} */ chosen) {
  show("endpoints");
  const sec = /** @type {HTMLElement} */ ($("#endpoints"));
  sec.replaceChildren(
    h("p", {}, h("a", { href: "#", class: "back" }, "← All integrations")),
    h("h2", { id: "endpoints-title", tabindex: "-1" }, "Event endpoints"),
    h("p", { class: "muted" }, "Loading…"),
  );
  let r;
  try {
    r = await api("GET", "/api/event-endpoints?limit=200");
  } catch (error) {
    sec.lastElementChild?.replaceWith(h("p", { class: "error" }, /** @type {Error} */ (error).message));
    return;
  }
  /** @type {Endpoint[]} */
  const endpoints = r.endpoints;
  const current = endpoints.find((e) => e.id === chosen) ?? endpoints[0];
  const deliveries = h("div", { id: "deliveries" });
  sec.replaceChildren(
    h("p", {}, h("a", { href: "#", class: "back" }, "← All integrations")),
    h("h2", { id: "endpoints-title", tabindex: "-1" }, "Event endpoints"),
    h(
      "p",
      { class: "muted" },
      "Each endpoint receives the organization's events (from every integration) of the types it lists, signed as Standard Webhooks. Add endpoints with POST /api/event-endpoints.",
    ),
    table(
      "Event endpoints",
      [
        ["URL", (/** @type {Endpoint} */ e) => h("a", { href: `#/events/${e.id}` }, e.url)],
        ["Events", (/** @type {Endpoint} */ e) => (e.event_types?.length ? e.event_types.join(", ") : "all")],
        ["Status", (/** @type {Endpoint} */ e) => badge(e.status)],
        ["Created", (/** @type {Endpoint} */ e) => fmtDate(e.created_at)],
      ],
      endpoints,
    ),
    deliveries,
  );
  /** @type {HTMLElement} */ ($("#endpoints-title")).focus();
  if (current)
    await renderDeliveries(current, deliveries).catch((error) =>
      deliveries.replaceChildren(h("p", { class: "error" }, /** @type {Error} */ (error).message)),
    );
}

/**
 * @param {Endpoint} endpoint
 * @param {HTMLElement} box
 */
async function renderDeliveries(endpoint, box) {
  const r = await api("GET", `/api/event-endpoints/${endpoint.id}/deliveries?limit=50`);
  const test = h(
    "button",
    {
      type: "button",
      class: "btn",
      onclick: async () => {
        test.disabled = true;
        try {
          await api("POST", `/api/event-endpoints/${endpoint.id}/test`);
          banner(`Test event sent to ${endpoint.url}.`, "ok");
          await renderDeliveries(endpoint, box);
        } catch (error) {
          banner(`Test event refused: ${/** @type {Error} */ (error).message}`, "fail");
          test.disabled = false;
        }
      },
    },
    "Send test event",
  );
  box.replaceChildren(
    h("h3", {}, `Deliveries to ${endpoint.url}`),
    h(
      "div",
      { class: "item-actions" },
      endpoint.disabled_reason ? h("p", { class: "error" }, `Disabled: ${endpoint.disabled_reason}`) : null,
      test,
    ),
    table(
      "Deliveries",
      [
        ["Created", (/** @type {Delivery} */ d) => fmtDate(d.created_at)],
        ["Event", (/** @type {Delivery} */ d) => d.event_type ?? "—"],
        ["Status", (/** @type {Delivery} */ d) => h("span", { class: "delivery-status" }, badge(d.status))],
        ["Attempts", (/** @type {Delivery} */ d) => String(d.attempts)],
        ["Last answer", (/** @type {Delivery} */ d) => lastAnswer(d)],
        ["History", (/** @type {Delivery} */ d) => attemptsViewer(endpoint, d)],
        ["", (/** @type {Delivery} */ d) => redeliverButton(endpoint, d)],
      ],
      r.deliveries,
    ),
  );
}

/** @param {Delivery} d */
const lastAnswer = (d) =>
  d.last_status_code
    ? `HTTP ${d.last_status_code}${d.last_error ? `: ${d.last_error}` : ""}`
    : (d.last_error ?? "—");

/**
 * @param {Endpoint} endpoint
 * @param {Delivery} d
 */
function attemptsViewer(endpoint, d) {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const details = h(
    "details",
    {
      class: "payload",
      ontoggle: async () => {
        if (!(details instanceof HTMLDetailsElement) || !details.open) return;
        try {
          const r = await api("GET", `/api/event-endpoints/${endpoint.id}/deliveries/${d.id}`);
          /** @type {Attempt[]} */
          const attempts = r.attempts;
          body.replaceChildren(
            attempts.length
              ? h(
                  "ol",
                  { class: "steps" },
                  attempts.map((a) =>
                    h(
                      "li",
                      {},
                      h("time", { datetime: a.created_at }, fmtDate(a.created_at)),
                      ` attempt ${a.attempt}: ${a.status_code ? `HTTP ${a.status_code}` : (a.error ?? "no answer")} in ${a.latency_ms} ms`,
                      a.response_body ? h("pre", { tabindex: "0" }, a.response_body) : null,
                    ),
                  ),
                )
              : h("p", { class: "muted" }, "Not attempted yet."),
          );
        } catch (error) {
          body.replaceChildren(h("p", { class: "error" }, /** @type {Error} */ (error).message));
        }
      },
    },
    h("summary", {}, "View", h("span", { class: "visually-hidden" }, ` attempts of ${d.event_type ?? d.id}`)),
    body,
  );
  return details;
}

/**
 * @param {Endpoint} endpoint
 * @param {Delivery} d
 */
function redeliverButton(endpoint, d) {
  const button = h(
    "button",
    {
      type: "button",
      class: "btn small redeliver",
      disabled: d.status === "pending" || d.status === "delivering",
      "aria-label": `Redeliver ${d.event_type ?? "event"} of ${fmtDate(d.created_at)}`,
      onclick: async () => {
        button.disabled = true;
        try {
          const r = await api("POST", `/api/event-endpoints/${endpoint.id}/deliveries/${d.id}/redeliver`);
          button.closest("tr")?.querySelector(".delivery-status")?.replaceChildren(badge(r.delivery.status));
          banner(`${d.event_type ?? "Event"}: queued for delivery again.`, "ok");
        } catch (error) {
          banner(`Redeliver refused: ${/** @type {Error} */ (error).message}`, "fail");
          button.disabled = false;
        }
      },
    },
    "Redeliver",
  );
  return button;
}
