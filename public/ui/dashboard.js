// @ts-check
// The dashboard above the catalog: each integration's health, messages and webhooks a day over
// the last 7 days as stacked bars (each with the same numbers in a table for screen readers),
// and the latest sync runs. Everything comes from GET /api/dashboard and the loaded integrations.

import { api } from "./api.js";
import { $, badge, fmtDate, h } from "./dom.js";
import { providerName, state } from "./state.js";

const SVG = "http://www.w3.org/2000/svg";

/** The series of a chart, bottom to top: which statuses, their label and colour. */
const MESSAGE_SERIES = [
  { key: "delivered", label: "Delivered", color: "#17713a" },
  { key: "sent", label: "Sent", color: "#4f9a6a" },
  { key: "queued", label: "Queued or sending", color: "#8aa4c8", also: ["sending"] },
  { key: "failed", label: "Failed", color: "#a4231c" },
];
const WEBHOOK_SERIES = [
  { key: "processed", label: "Processed", color: "#1558b0" },
  { key: "pending", label: "Pending", color: "#8aa4c8", also: ["processing"] },
  { key: "ignored", label: "Ignored (inactive)", color: "#b8bfcb" },
  { key: "failed", label: "Failed", color: "#a4231c" },
];

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {...(Node | string)} children
 */
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/** @param {{ key: string, also?: string[] }} s @param {Record<string, number>} byStatus */
const countOf = (s, byStatus) => [s.key, ...(s.also ?? [])].reduce((n, k) => n + (byStatus[k] ?? 0), 0);

/**
 * A stacked bar a day, with the numbers as a table beside it for screen readers.
 * @param {string} id
 * @param {string} title
 * @param {{ date: string, total: number, by_status: Record<string, number> }[]} days
 * @param {typeof MESSAGE_SERIES} series
 */
export function barChart(id, title, days, series) {
  const width = 320;
  const height = 140;
  const top = Math.max(1, ...days.map((d) => d.total));
  const slot = width / days.length;
  const bars = days.map((d, i) => {
    let y = height;
    const g = svg("g", { class: "bar", "data-date": d.date, "data-total": d.total });
    for (const s of series) {
      const v = countOf(s, d.by_status);
      if (!v) continue;
      const hgt = (v / top) * (height - 10);
      y -= hgt;
      g.append(
        svg(
          "rect",
          { x: i * slot + slot * 0.15, y, width: slot * 0.7, height: hgt, fill: s.color },
          svg("title", {}, `${d.date}: ${v} ${s.label.toLowerCase()}`),
        ),
      );
    }
    return g;
  });
  const labels = days.map((d, i) =>
    svg(
      "text",
      { x: i * slot + slot / 2, y: height + 14, "text-anchor": "middle", class: "axis" },
      d.date.slice(5),
    ),
  );
  const total = days.reduce((n, d) => n + d.total, 0);
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height + 18}`, role: "img", "aria-labelledby": `${id}-title`, class: "chart" },
    ...bars,
    ...labels,
  );
  return h(
    "figure",
    { class: "card chart-card", id },
    h("figcaption", { id: `${id}-title` }, h("strong", {}, title), ` — ${total} in ${days.length} days`),
    chart,
    h(
      "ul",
      { class: "legend small" },
      series.map((s) =>
        h(
          "li",
          {},
          svg(
            "svg",
            { class: "swatch", viewBox: "0 0 10 10", "aria-hidden": "true" },
            svg("rect", { width: 10, height: 10, rx: 2, fill: s.color }),
          ),
          s.label,
        ),
      ),
    ),
    h(
      "table",
      { class: "visually-hidden" },
      h("caption", {}, title),
      h(
        "tr",
        {},
        h("th", {}, "Day"),
        series.map((s) => h("th", {}, s.label)),
      ),
      days.map((d) =>
        h(
          "tr",
          {},
          h("th", {}, d.date),
          series.map((s) => h("td", {}, String(countOf(s, d.by_status)))),
        ),
      ),
    ),
  );
}

/** Each integration's health: the failing ones first, with what failed and when it was last tested. */
function health() {
  const all = state.integrations;
  /** @type {Record<string, number>} */
  const counts = { active: 0, error: 0, pending: 0, inactive: 0 };
  for (const i of all) counts[i.status] = (counts[i.status] ?? 0) + 1;
  const failing = all.filter((i) => i.status === "error");
  return h(
    "section",
    { class: "card health", "aria-labelledby": "health-title" },
    h("h3", { id: "health-title" }, "Health"),
    h(
      "p",
      { class: "health-counts" },
      Object.entries(counts).map(([s, n]) =>
        h("span", { class: "health-count", dataset: { status: s } }, badge(s), ` ${n}`),
      ),
    ),
    failing.length
      ? h(
          "ul",
          { class: "failing" },
          failing.map((i) =>
            h(
              "li",
              {},
              h("a", { href: `#/integration/${i.id}` }, i.name),
              ` (${providerName(i.provider)}): ${i.last_error ?? "error"}`,
              h("span", { class: "muted small" }, ` · last tested ${fmtDate(i.last_tested_at)}`),
            ),
          ),
        )
      : h("p", { class: "muted small" }, all.length ? "No integration is failing." : "No integrations yet."),
  );
}

/**
 * The latest sync runs with their progress in pages and records.
 * @param {any[]} runs
 */
function syncRuns(runs) {
  return h(
    "section",
    { class: "card runs", "aria-labelledby": "runs-title" },
    h("h3", { id: "runs-title" }, "Recent sync runs"),
    runs.length
      ? h(
          "table",
          { class: "small" },
          h(
            "tr",
            {},
            ["Integration", "Entity", "Status", "Pages", "Records", "Started"].map((t) =>
              h("th", { scope: "col" }, t),
            ),
          ),
          runs.map((r) =>
            h(
              "tr",
              { dataset: { run: r.id } },
              h(
                "td",
                {},
                h("a", { href: `#/integration/${r.integration_id}` }, r.integration_name ?? r.provider),
              ),
              h("td", {}, r.entity),
              h("td", {}, badge(r.status)),
              h("td", {}, String(r.pages_done)),
              h("td", {}, String(r.records_synced)),
              h("td", {}, fmtDate(r.started_at)),
            ),
          ),
        )
      : h("p", { class: "muted small" }, "No sync has run yet."),
  );
}

/**
 * Delivery over the last 7 days by channel (GET /api/messages/analytics): the delivery rate as
 * a meter, with what was sent, delivered, failed and opened, and the median time to delivery.
 * @param {{ groups: any[] }} a
 */
function delivery(a) {
  return h(
    "section",
    // Focusable: on a phone the table scrolls sideways, and a keyboard must be able to scroll it.
    { class: "card delivery", id: "delivery", "aria-labelledby": "delivery-title", tabindex: "0" },
    h("h3", { id: "delivery-title" }, "Delivery by channel, 7 days"),
    a.groups.length
      ? h(
          "table",
          { class: "small" },
          h(
            "tr",
            {},
            ["Channel", "Delivery rate", "Sent", "Delivered", "Failed", "Opened", "Median time"].map((t) =>
              h("th", { scope: "col" }, t),
            ),
          ),
          a.groups.map((g) =>
            h(
              "tr",
              { dataset: { channel: g.key } },
              h("td", {}, g.key),
              h(
                "td",
                {},
                g.delivery_rate === null
                  ? "—"
                  : [
                      h("meter", {
                        min: "0",
                        max: "1",
                        value: String(g.delivery_rate),
                        "aria-label": `${g.key} delivery rate`,
                      }),
                      ` ${Math.round(g.delivery_rate * 100)}%`,
                    ],
              ),
              h("td", {}, String(g.sent)),
              h("td", {}, String(g.delivered)),
              h("td", {}, String(g.failed)),
              h("td", {}, String(g.opened)),
              h(
                "td",
                {},
                g.median_delivery_seconds === null ? "—" : `${g.median_delivery_seconds.toFixed(1)} s`,
              ),
            ),
          ),
        )
      : h("p", { class: "muted small" }, "No messages sent in the last 7 days."),
  );
}

/** Renders the dashboard into #dashboard (the integrations are loaded already). */
export async function renderDashboard() {
  const box = $("#dashboard");
  try {
    const [d, a] = await Promise.all([
      api("GET", "/api/dashboard?days=7"),
      api("GET", "/api/messages/analytics?group_by=channel"),
    ]);
    box.replaceChildren(
      health(),
      barChart("chart-messages", "Messages", d.messages, MESSAGE_SERIES),
      barChart("chart-webhooks", "Webhooks", d.webhooks, WEBHOOK_SERIES),
      delivery(a),
      syncRuns(d.sync_runs),
    );
  } catch (error) {
    box.replaceChildren(
      h(
        "p",
        { class: "muted" },
        `The dashboard could not be loaded: ${/** @type {Error} */ (error).message}`,
      ),
    );
  }
}
