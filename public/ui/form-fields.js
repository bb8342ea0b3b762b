// @ts-check
// One input per catalog field of the create/edit form, and reading a value back from it.
// A stored secret is never shown: its input stays empty with a mask as placeholder.

import { h } from "./dom.js";

/** @import { Attrs, Integration, ProviderField } from "./types.js" */
/** @typedef {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} FieldElement */

const MASK = "••••••";

/**
 * The input types of the catalog's field types that are not text.
 * @type {Record<string, string>}
 */
const INPUT_TYPES = { email: "email", url: "url", phone: "tel", number: "number" };

/**
 * A field's stored value: a secret's mask, the integration's own field (`location`), or its config's.
 * @param {ProviderField} f
 * @param {Integration} i
 * @returns {unknown}
 */
export function storedValue(f, i) {
  if (f.secret) return i.secrets?.[f.name];
  const own = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (i));
  return f.location === "integration" ? (own[f.name] ?? undefined) : i.config?.[f.name];
}

/**
 * The field's label, input (its stored value in it, a secret's never) and help.
 * @param {ProviderField} f
 * @param {Integration | undefined} i the integration edited, none when creating
 */
export function fieldInput(f, i) {
  const id = `f-${f.name}`;
  const stored = i ? storedValue(f, i) : undefined;
  const described = [f.help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(" ");
  /** @type {Attrs} */
  const common = { id, name: f.name, "aria-describedby": described, dataset: { field: f.name } };
  if (f.required) common["aria-required"] = "true";
  /** @type {FieldElement} */
  let input;
  const initial = stored ?? f.default;
  if (f.type === "boolean") {
    input = h("input", { ...common, type: "checkbox", checked: initial === true || initial === "true" });
  } else if (f.type === "select") {
    input = h(
      "select",
      common,
      f.required ? null : h("option", { value: "" }, "—"),
      (f.options ?? []).map((o) => h("option", { value: o, selected: String(initial ?? "") === o }, o)),
    );
  } else if (f.type === "textarea" || f.type === "json") {
    const v =
      initial === undefined ? "" : typeof initial === "string" ? initial : JSON.stringify(initial, null, 2);
    input = h(
      "textarea",
      {
        ...common,
        rows: f.type === "json" ? 4 : 3,
        placeholder: f.placeholder,
        class: f.type === "json" ? "mono" : "",
      },
      v,
    );
  } else {
    const type = f.secret || f.type === "password" ? "password" : (INPUT_TYPES[f.type] ?? "text");
    /** @type {Attrs} */
    const attrs = {
      ...common,
      type,
      placeholder: f.placeholder,
      autocomplete: f.secret ? "new-password" : "off",
      spellcheck: "false",
    };
    if (f.secret) {
      // A stored secret is never sent back: show the mask, send only what is typed.
      attrs.value = "";
      if (stored) attrs.placeholder = MASK;
      attrs.dataset = { ...attrs.dataset, stored: stored ? "1" : "" };
    } else attrs.value = initial === undefined || initial === null ? "" : String(initial);
    input = h("input", attrs);
  }
  const label = h(
    "label",
    { for: id },
    f.label ?? f.name,
    f.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null,
    f.required ? h("span", { class: "visually-hidden" }, " (required)") : null,
  );
  const help = f.help
    ? h(
        "p",
        { class: "help", id: `${id}-help` },
        f.help,
        f.secret && stored ? " A value is stored; leave empty to keep it." : "",
      )
    : f.secret && stored
      ? h("p", { class: "help", id: `${id}-help` }, "A value is stored; leave empty to keep it.")
      : null;
  if (!f.help && f.secret && stored) input.setAttribute("aria-describedby", `${id}-help ${id}-error`);
  return h(
    "div",
    { class: `field${f.type === "boolean" ? " check" : ""}` },
    f.type === "boolean" ? [input, label] : [label, input],
    help,
    h("p", { class: "error", id: `${id}-error` }),
  );
}

/**
 * The value in a field's input: a checkbox's boolean, a number field's number ("" when empty),
 * else the text.
 * @param {ProviderField} f
 * @param {FieldElement} el
 * @returns {string | number | boolean}
 */
export function readValue(f, el) {
  if (f.type === "boolean") return /** @type {HTMLInputElement} */ (el).checked;
  const v = el.value;
  if (f.type === "number") return v === "" ? "" : Number(v);
  return v;
}
