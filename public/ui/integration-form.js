// @ts-check
// The create/edit dialog: provider choice, name and the provider's fields; sends only what
// changed and shows the API's validation issues next to the fields they name.

import { api } from "./api.js";
import { $, banner, h, logo } from "./dom.js";
import { fieldInput, readValue, storedValue } from "./form-fields.js";
import { rerender } from "./nav.js";
import { cardOf, state } from "./state.js";

/** @import { ApiError } from "./api.js" */
/** @import { FieldElement } from "./form-fields.js" */
/** @import { Card, Integration, Provider } from "./types.js" */

/**
 * The dialog open now: the integration edited (none when creating), the providers it offers
 * and the element to give focus back to.
 * @type {{ integration: Integration | undefined, providers: Provider[], opener: HTMLElement | null } | null}
 */
let formCtx = null;

/** Wires the dialog: submit, and focus back to the opener when it closes. */
export function bindForm() {
  $("#integration-form").addEventListener("submit", onSubmitForm);
  $("#form-dialog").addEventListener("close", () => formCtx?.opener?.focus?.());
}

/**
 * Opens the dialog to add an integration of a card's providers, or to edit one.
 * @param {{ card: Card, integration?: undefined } | { card?: undefined, integration: Integration }} what
 */
export function openForm({ card, integration }) {
  const d = /** @type {HTMLDialogElement} */ ($("#form-dialog"));
  const providers = integration
    ? /** @type {Provider[]} */ ([state.byId.get(integration.provider)])
    : state.providers.filter((p) => cardOf(p.category) === card);
  formCtx = { integration, providers, opener: /** @type {HTMLElement | null} */ (document.activeElement) };
  $("#form-title").textContent = integration ? `Edit ${integration.name}` : `Add ${card?.title}`;
  $("#form-submit").textContent = integration ? "Save" : "Create";
  $("#form-error").textContent = "";
  const body = $("#form-body");
  body.replaceChildren();
  if (!integration && providers.length > 1) {
    const sel = h(
      "select",
      { id: "f-provider", name: "provider", onchange: () => renderFields() },
      providers.map((p) => h("option", { value: p.id }, p.display_name)),
    );
    body.append(
      h(
        "div",
        { class: "field" },
        h("label", { for: "f-provider" }, "Provider"),
        sel,
        h("p", { class: "error", id: "f-provider-error" }),
      ),
    );
  }
  body.append(
    h(
      "div",
      { class: "field" },
      h("label", { for: "f-name" }, "Name ", h("span", { class: "req", "aria-hidden": "true" }, "*")),
      h("input", {
        id: "f-name",
        name: "name",
        value: integration?.name ?? "",
        "aria-required": "true",
        "aria-describedby": "f-name-error",
        autocomplete: "off",
      }),
      h("p", { class: "error", id: "f-name-error" }),
    ),
    h("div", { id: "f-fields" }),
  );
  renderFields();
  d.showModal();
  ($("select, input", body) ?? $("#f-name")).focus();
}

/** The open dialog's form context (the dialog is open whenever its form is used). */
const ctx = () => /** @type {NonNullable<typeof formCtx>} */ (formCtx);

/**
 * The provider the form is for: the one chosen, else the only one.
 * @returns {Provider}
 */
export function currentProvider() {
  const sel = /** @type {HTMLSelectElement | null} */ ($("#f-provider"));
  // The choice's options are the dialog's providers, each in the catalog.
  return sel
    ? /** @type {Provider} */ (state.byId.get(sel.value))
    : /** @type {Provider} */ (ctx().providers[0]);
}

/** Shows the current provider's fields (with the edited integration's values). */
export function renderFields() {
  const p = currentProvider();
  const i = ctx().integration;
  const wrap = $("#f-fields");
  const nameInput = /** @type {HTMLInputElement} */ ($("#f-name"));
  wrap.replaceChildren();
  if (!i && !nameInput.value) nameInput.placeholder = p.display_name;
  wrap.append(h("p", { class: "provider-name" }, logo(p.id), p.display_name));
  if (p.description) wrap.append(h("p", { class: "muted small" }, p.description));
  for (const f of p.fields) wrap.append(fieldInput(f, i));
}

/** Clears the form's error messages and invalid marks. */
export function clearErrors() {
  $("#form-error").textContent = "";
  for (const el of $("#integration-form").querySelectorAll(".error")) el.textContent = "";
  for (const el of $("#integration-form").querySelectorAll("[aria-invalid]"))
    el.removeAttribute("aria-invalid");
}

/**
 * Shows a validation issue next to the field it names: false when no field has that name.
 * @param {string} path a field's name, or `credentials.`/`config.` and its name
 * @param {string} message
 */
export function showIssue(path, message) {
  const name = String(path).replace(/^(credentials|config)\./, "");
  const input = $("#integration-form").querySelector(`[name="${CSS.escape(name)}"]`);
  const err = input && $(`#f-${CSS.escape(name)}-error`);
  if (!err) return false;
  err.textContent = message;
  input.setAttribute("aria-invalid", "true");
  return true;
}

/**
 * Creates the integration, or saves what changed: only the fields whose value changed are sent.
 * @param {SubmitEvent} e
 */
async function onSubmitForm(e) {
  e.preventDefault();
  clearErrors();
  const p = currentProvider();
  const i = ctx().integration;
  /** @type {Record<string, unknown>} */
  const body = {};
  const name = /** @type {HTMLInputElement} */ ($("#f-name")).value.trim();
  /** @type {[string, string][]} */
  const problems = [];
  if (!name && !i) body.name = p.display_name;
  else if (!name) problems.push(["name", "Enter a name."]);
  else if (name !== i?.name) body.name = name;
  for (const f of p.fields) {
    const el = /** @type {FieldElement | null} */ ($(`#f-${CSS.escape(f.name)}`));
    if (!el) continue;
    /** @type {unknown} */
    let v = readValue(f, el);
    // A JSON field's value is its textarea's text.
    if (f.type === "json" && typeof v === "string" && v.trim()) {
      try {
        v = JSON.parse(v);
      } catch {
        problems.push([f.name, "Enter valid JSON."]);
        continue;
      }
    }
    if (f.secret) {
      if (v !== "") body[f.name] = v;
      else if (f.required && !i) problems.push([f.name, `${f.label} is required.`]);
      continue;
    }
    const stored = i ? storedValue(f, i) : undefined;
    if (!i) {
      if (v === "" || (f.type === "boolean" && v === (f.default ?? false) && !f.required)) {
        if (f.required && v === "") problems.push([f.name, `${f.label} is required.`]);
        continue;
      }
      body[f.name] = v;
    } else {
      const before =
        stored === undefined || stored === null ? (f.type === "boolean" ? (f.default ?? false) : "") : stored;
      const same =
        typeof v === "object" ? JSON.stringify(v) === JSON.stringify(before) : String(v) === String(before);
      if (same) continue;
      if (v === "" && f.required) {
        problems.push([f.name, `${f.label} is required.`]);
        continue;
      }
      body[f.name] = v === "" ? null : v;
    }
  }
  if (problems.length) {
    for (const [path, message] of problems) showIssue(path, message);
    $("#form-error").textContent = "Check the highlighted fields.";
    $("[aria-invalid]", $("#integration-form"))?.focus();
    return;
  }
  const submit = /** @type {HTMLButtonElement} */ ($("#form-submit"));
  submit.disabled = true;
  try {
    /** @type {Integration} */
    let saved;
    if (i) saved = (await api("PATCH", `/api/integrations/${i.id}`, body)).integration;
    else
      saved = (
        await api("POST", "/api/integrations", { provider: p.id, integration_type: p.category, ...body })
      ).integration;
    /** @type {HTMLDialogElement} */ ($("#form-dialog")).close();
    banner(
      `${saved.name} ${i ? "saved" : "created"}${saved.status === "pending" ? ` (pending: ${saved.missing_fields.join(", ")} missing)` : ""}.`,
      "ok",
    );
    await rerender(saved.id);
  } catch (caught) {
    const error = /** @type {ApiError} */ (caught);
    let inline = 0;
    for (const issue of error.issues) if (showIssue(issue.path, issue.message)) inline++;
    $("#form-error").textContent = inline ? "Check the highlighted fields." : error.message;
    ($("[aria-invalid]", $("#integration-form")) ?? $("#form-error")).focus?.();
  } finally {
    submit.disabled = false;
  }
}
