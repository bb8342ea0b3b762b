// DOM helpers of the web UI: element builder, banner, dates, badges, copy buttons, tables.

export const $ = (sel, root = document) => root.querySelector(sel);

/** Builds an element: h("button", {class: "btn", onclick}, "text", child...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function banner(text, kind = "info") {
  const b = $("#banner");
  b.textContent = text;
  b.className = `banner ${kind}`;
  b.hidden = !text;
}

export const fmtDate = (s) => (s ? new Date(s).toLocaleString() : "—");

export function badge(status) {
  return h("span", { class: `badge badge-${status}` }, status);
}

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
