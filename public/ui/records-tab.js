// @ts-check
// The detail view's record browser: an entity's synced records (or a lead source's leads) with
// search, paging by cursor, each record's provider item opened in place, and, for leads, a CSV
// export. Everything comes from GET /api/integrations/{id}/records/{entity}.

import { api } from "./api.js";
import { banner, fmtDate, h } from "./dom.js";
import { state } from "./state.js";

/** Records a page. */
const PAGE = 25;
/** Fields a record's summary shows, in this order, when it has them. */
const SUMMARY = ["name", "display_name", "title", "summary", "email", "phone", "company", "number", "status"];

/**
 * @typedef {{ id: string, external_id: string, data: Record<string, unknown>, raw?: unknown,
 *   created_at: string, updated_at: string }} SyncedRecord
 * @typedef {{ entities: string[], leads?: boolean }} BrowserOptions
 */

/**
 * @param {{ id: string, name: string }} i the integration
 * @param {HTMLElement} panel
 * @param {BrowserOptions} opts `leads`: the integration's leads (its `contacts`), with export
 */
export async function renderRecords(i, panel, opts) {
  const view = {
    entity: opts.entities[0] ?? "contacts",
    q: "",
    /** Cursors of the pages before the current one; the current page's is `cursor`. */
    back: /** @type {(string | null)[]} */ ([]),
    cursor: /** @type {string | null} */ (null),
  };
  const results = h("div", { class: "records-results", "aria-live": "polite" });
  const search = h("input", {
    type: "search",
    id: "records-q",
    name: "q",
    maxLength: 100,
    placeholder: opts.leads ? "Name, email, phone…" : "Any value or provider id",
  });
  const entitySelect =
    opts.entities.length > 1
      ? h(
          "select",
          { id: "records-entity", onchange: () => restart() },
          opts.entities.map((e) => h("option", { value: e }, e)),
        )
      : null;

  const load = async () => {
    results.setAttribute("aria-busy", "true");
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (view.q) q.set("q", view.q);
    if (view.cursor) q.set("cursor", view.cursor);
    try {
      const r = await api("GET", `/api/integrations/${i.id}/records/${view.entity}?${q}`);
      results.replaceChildren(...page(i, view, r.records, r.next_cursor, opts, load));
    } catch (error) {
      results.replaceChildren(h("p", { class: "error" }, /** @type {Error} */ (error).message));
    } finally {
      results.setAttribute("aria-busy", "false");
    }
  };
  const restart = () => {
    if (entitySelect instanceof HTMLSelectElement) view.entity = entitySelect.value;
    view.q = search instanceof HTMLInputElement ? search.value.trim() : "";
    view.back = [];
    view.cursor = null;
    return load();
  };

  panel.replaceChildren(
    h(
      "form",
      {
        class: "records-search inline",
        role: "search",
        "aria-label": opts.leads ? "Lead search" : "Record search",
        onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          restart();
        },
      },
      entitySelect
        ? h("div", { class: "field" }, h("label", { for: "records-entity" }, "Entity"), entitySelect)
        : null,
      h(
        "div",
        { class: "field" },
        h("label", { for: "records-q" }, opts.leads ? "Search leads" : "Search records"),
        search,
      ),
      h("button", { type: "submit", class: "btn" }, "Search"),
      opts.leads
        ? h(
            "button",
            { type: "button", class: "btn", onclick: (/** @type {Event} */ e) => exportCsv(i, view, e) },
            "Export CSV",
          )
        : null,
    ),
    results,
  );
  await load();
}

/**
 * One page: the table, a line saying which records these are, and the paging buttons.
 * @param {{ id: string }} i
 * @param {{ entity: string, q: string, back: (string | null)[], cursor: string | null }} view
 * @param {SyncedRecord[]} records
 * @param {string | null} next
 * @param {BrowserOptions} opts
 * @param {() => Promise<void>} load
 */
function page(i, view, records, next, opts, load) {
  const first = view.back.length * PAGE + 1;
  const what = opts.leads ? "leads" : `${view.entity} records`;
  if (!records.length)
    return [h("p", { class: "muted" }, view.q ? `No ${what} match “${view.q}”.` : `No ${what} yet.`)];
  const go = async (/** @type {string | null} */ cursor, /** @type {boolean} */ forward) => {
    if (forward) view.back.push(view.cursor);
    else cursor = view.back.pop() ?? null;
    view.cursor = cursor;
    await load();
  };
  const columns = opts.leads
    ? [
        ["Name", (/** @type {SyncedRecord} */ r) => text(r.data.name)],
        ["Email", (/** @type {SyncedRecord} */ r) => text(r.data.email)],
        ["Phone", (/** @type {SyncedRecord} */ r) => text(r.data.phone)],
        ["Received", (/** @type {SyncedRecord} */ r) => fmtDate(r.created_at)],
      ]
    : [
        ["Provider id", (/** @type {SyncedRecord} */ r) => h("code", {}, r.external_id)],
        ["Summary", (/** @type {SyncedRecord} */ r) => summary(r)],
        ["Updated", (/** @type {SyncedRecord} */ r) => fmtDate(r.updated_at)],
      ];
  return [
    h(
      "p",
      { class: "small muted records-range" },
      `${what[0]?.toUpperCase()}${what.slice(1)} ${first}–${first + records.length - 1}${view.q ? ` matching “${view.q}”` : ""}`,
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h("caption", { class: "visually-hidden" }, what),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            columns.map(([label]) => h("th", { scope: "col" }, /** @type {string} */ (label))),
            h("th", { scope: "col" }, opts.leads ? "Submission" : "Provider item"),
          ),
        ),
        h(
          "tbody",
          {},
          records.map((r) =>
            h(
              "tr",
              {},
              columns.map(([label, cell]) =>
                h(
                  "td",
                  { "data-label": /** @type {string} */ (label) },
                  /** @type {(r: SyncedRecord) => Node | string} */ (cell)(r),
                ),
              ),
              h("td", { "data-label": "Item" }, rawViewer(i, view.entity, r)),
            ),
          ),
        ),
      ),
    ),
    h(
      "div",
      { class: "inline pager" },
      h(
        "button",
        { type: "button", class: "btn", disabled: !view.back.length, onclick: () => go(null, false) },
        "Previous",
      ),
      h("button", { type: "button", class: "btn", disabled: !next, onclick: () => go(next, true) }, "Next"),
    ),
  ];
}

/** @param {unknown} v */
const text = (v) => (v === undefined || v === null || v === "" ? "—" : String(v));

/** The record's best-known fields, a line. @param {SyncedRecord} r */
function summary(r) {
  const parts = SUMMARY.filter((k) => typeof r.data[k] === "string" || typeof r.data[k] === "number").map(
    (k) => String(r.data[k]),
  );
  return parts.slice(0, 3).join(" · ") || JSON.stringify(r.data).slice(0, 80);
}

/**
 * The provider's item as the hub received it (and the normalized data), read when opened.
 * @param {{ id: string }} i
 * @param {string} entity
 * @param {SyncedRecord} r
 */
function rawViewer(i, entity, r) {
  const pre = h("pre", { tabindex: "0" }, "Loading…");
  const details = h(
    "details",
    {
      class: "payload",
      ontoggle: async () => {
        if (!(details instanceof HTMLDetailsElement) || !details.open || details.dataset.loaded) return;
        details.dataset.loaded = "1";
        try {
          const one = await api(
            "GET",
            `/api/integrations/${i.id}/records/${entity}/${encodeURIComponent(r.id)}`,
          );
          pre.textContent = JSON.stringify({ data: one.record.data, raw: one.record.raw }, null, 2);
        } catch (error) {
          pre.textContent = /** @type {Error} */ (error).message;
          delete details.dataset.loaded;
        }
      },
    },
    h("summary", {}, "View", h("span", { class: "visually-hidden" }, ` ${r.external_id}`)),
    pre,
  );
  return details;
}

/**
 * Downloads what the search shows as CSV (the hub writes it; the key goes as a header, so the
 * file is fetched and handed to the browser as a download).
 * @param {{ id: string, name: string }} i
 * @param {{ entity: string, q: string }} view
 * @param {Event} e
 */
async function exportCsv(i, view, e) {
  const button = /** @type {HTMLButtonElement} */ (e.currentTarget);
  button.disabled = true;
  try {
    const q = new URLSearchParams({ format: "csv" });
    if (view.q) q.set("q", view.q);
    const res = await fetch(`/api/integrations/${i.id}/records/${view.entity}?${q}`, {
      headers: { authorization: `Bearer ${state.key}` },
    });
    if (!res.ok) throw new Error((await res.json().catch(() => null))?.error ?? `HTTP ${res.status}`);
    const url = URL.createObjectURL(await res.blob());
    const a = h("a", { href: url, download: `${i.name.replace(/[^\w.-]+/g, "_")}-leads.csv`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    const more = res.headers.get("x-next-cursor")
      ? " (the first 10,000; narrow the search for the rest)"
      : "";
    banner(`Leads exported${more}.`, "ok");
  } catch (error) {
    banner(`Export failed: ${/** @type {Error} */ (error).message}`, "fail");
  } finally {
    button.disabled = false;
  }
}
