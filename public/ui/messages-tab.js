// @ts-check
// The detail view's messages tab: the integration's messages, newest first, each with its
// status timeline (queued, retries with their reasons, sent, the provider's receipts, failed)
// opened in place from GET /api/messages/{id}.

import { api } from "./api.js";
import { badge, fmtDate, h, table } from "./dom.js";

/** What each step of a timeline is called. */
const STEP = {
  scheduled: "Scheduled",
  queued: "Accepted",
  retry: "Attempt failed, will retry",
  sent: "Sent to the provider",
  receipt: "Provider reported",
  failed: "Failed",
  cancelled: "Cancelled",
};

/**
 * @typedef {{ step: keyof typeof STEP, status: string, detail: string | null, error: string | null,
 *   at: string }} TimelineStep
 * @typedef {{ id: string, channel: string, to: string, status: string, attempts: number,
 *   last_error: string | null, created_at: string }} Message
 */

/**
 * @param {{ id: string }} i the integration
 * @param {HTMLElement} panel
 */
export async function renderMessages(i, panel) {
  const r = await api("GET", `/api/messages?integration_id=${encodeURIComponent(i.id)}`);
  panel.replaceChildren(
    table(
      "Messages",
      [
        ["Created", (/** @type {Message} */ m) => fmtDate(m.created_at)],
        ["Channel", (/** @type {Message} */ m) => m.channel],
        ["To", (/** @type {Message} */ m) => m.to],
        ["Status", (/** @type {Message} */ m) => badge(m.status)],
        ["Attempts", (/** @type {Message} */ m) => String(m.attempts)],
        ["Error", (/** @type {Message} */ m) => m.last_error],
        ["Timeline", (/** @type {Message} */ m) => timelineViewer(m)],
      ],
      r.messages,
    ),
  );
}

/** @param {Message} m */
function timelineViewer(m) {
  const body = h("div", { class: "timeline-body" }, h("p", { class: "muted" }, "Loading…"));
  const details = h(
    "details",
    {
      class: "payload timeline",
      ontoggle: async () => {
        if (!(details instanceof HTMLDetailsElement) || !details.open) return;
        try {
          const r = await api("GET", `/api/messages/${encodeURIComponent(m.id)}`);
          body.replaceChildren(steps(r.message.timeline));
        } catch (error) {
          body.replaceChildren(h("p", { class: "error" }, /** @type {Error} */ (error).message));
        }
      },
    },
    h("summary", {}, "View", h("span", { class: "visually-hidden" }, ` timeline of the message to ${m.to}`)),
    body,
  );
  return details;
}

/** @param {TimelineStep[]} timeline */
function steps(timeline) {
  if (!timeline.length) return h("p", { class: "muted" }, "No steps recorded.");
  return h(
    "ol",
    { class: "steps" },
    timeline.map((s) =>
      h(
        "li",
        { class: `step step-${s.step}` },
        h("time", { datetime: s.at }, fmtDate(s.at)),
        " ",
        h("strong", {}, STEP[s.step] ?? s.step),
        " ",
        badge(s.status),
        s.step === "retry" && s.detail
          ? h("span", { class: "small" }, ` next attempt ${fmtDate(s.detail)}`)
          : s.detail
            ? h("span", { class: "small mono" }, ` ${s.detail}`)
            : null,
        s.error ? h("div", { class: "small step-error" }, s.error) : null,
      ),
    ),
  );
}
