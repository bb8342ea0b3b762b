// @ts-check
// DOM helpers of the web UI: element builder, banner, dates, badges, copy buttons, tables.

/** @import { Attrs, Child } from "./types.js" */

/**
 * The first element matching `sel` in `root` (the page by default), as `E` (an HTMLElement
 * unless a cast says which). Typed as found: the page's own elements always are; where one may
 * be missing, callers check (`$("#x")?.focus()`).
 * @template {Element} [E=HTMLElement]
 * @param {string} sel
 * @param {ParentNode} [root]
 * @returns {E}
 */
export const $ = (sel, root = document) => /** @type {E} */ (root.querySelector(sel));

/**
 * Builds an element: h("button", {class: "btn", onclick}, "text", child...).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs<HTMLElementTagNameMap[K]> | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function")
      el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else if (k === "class") el.className = /** @type {string} */ (v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string")
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (el))[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/**
 * Shows `text` in the page's banner (hides it when empty).
 * @param {string} text
 * @param {string} [kind] info, ok or fail
 */
/** The view the page shows, as its URL hash says ("" for the overview). */
const viewKey = () => location.hash.replace(/^#\/?$/, "");

/**
 * Shows `text` in the banner (empty: hides it), for the view the page is on: going to another
 * view hides it (see clearStaleBanner), so a banner never speaks of a page no longer shown.
 * @param {string} text
 * @param {"info" | "ok" | "fail"} [kind]
 */
export function banner(text, kind = "info") {
  const b = $("#banner");
  b.textContent = text;
  b.className = `banner ${kind}`;
  b.hidden = !text;
  b.dataset.view = viewKey();
}

/** Hides the banner if it was shown for another view than the one the page is on now. */
export function clearStaleBanner() {
  const b = $("#banner");
  if (!b.hidden && b.dataset.view !== viewKey()) banner("");
}

/**
 * A provider's logo (public/ui/logos/<id>.svg), decorative: its name is always beside it.
 * @param {string} providerId a catalog provider's id
 */
export const logo = (providerId) =>
  h("img", {
    class: "logo",
    src: `/ui/logos/${encodeURIComponent(providerId)}.svg`,
    alt: "",
    width: "24",
    height: "24",
  });

/** @param {string | null | undefined} s an ISO date, or none ("—") */
export const fmtDate = (s) => (s ? new Date(s).toLocaleString() : "—");

/** @param {string} status */
export function badge(status) {
  return h("span", { class: `badge badge-${status}` }, status);
}

/**
 * Copies `text` to the clipboard; the button says so for a moment.
 * @param {string} text
 * @param {HTMLElement} button
 */
export async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const ta = h("textarea", { class: "visually-hidden" }, text);
    document.body.append(ta);
    ta.select();
    document.execCommand("copy");
    ta.remove();
  }
  const old = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => (button.textContent = old), 1500);
}

/**
 * A read-only input with its label and a Copy button.
 * @param {string} label
 * @param {string} value
 * @param {string} id
 */
export function copyRow(label, value, id) {
  const input = h("input", { id, value, readOnly: true, class: "mono" });
  return h(
    "div",
    { class: "field copy-row" },
    h("label", { for: id }, label),
    h(
      "div",
      { class: "inline" },
      input,
      h(
        "button",
        {
          type: "button",
          class: "btn",
          onclick: (e) => copy(value, e.currentTarget),
          "aria-label": `Copy ${label}`,
        },
        "Copy",
      ),
    ),
  );
}

/**
 * A table of `rows`, a column per `[heading, cell]` (an empty cell shows "—"), or a line saying
 * there are none yet.
 * @template T
 * @param {string} caption
 * @param {[string, (row: T) => Child][]} columns
 * @param {T[]} rows
 */
export function table(caption, columns, rows) {
  if (!rows.length) return h("p", { class: "muted" }, `No ${caption.toLowerCase()} yet.`);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map((c) => h("th", { scope: "col" }, c[0])),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((r) =>
          h(
            "tr",
            {},
            columns.map((c) => h("td", { "data-label": c[0] }, c[1](r) ?? "—")),
          ),
        ),
      ),
    ),
  );
}
