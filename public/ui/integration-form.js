// The create/edit dialog: provider choice, name and the provider's fields; sends only what
// changed and shows the API's validation issues next to the fields they name.

import { api } from "./api.js";
import { $, banner, h } from "./dom.js";
import { fieldInput, readValue, storedValue } from "./form-fields.js";
import { rerender } from "./nav.js";
import { cardOf, state } from "./state.js";

let formCtx = null;

/** Wires the dialog: submit, and focus back to the opener when it closes. */
export function bindForm() {
  $("#integration-form").addEventListener("submit", onSubmitForm);
  $("#form-dialog").addEventListener("close", () => formCtx?.opener?.focus?.());
}

export function openForm({ card, integration }) {
  const d = $("#form-dialog");
  const providers = integration
    ? [state.byId.get(integration.provider)]
    : state.providers.filter((p) => cardOf(p.category) === card);
  formCtx = { integration, providers, opener: document.activeElement };
  $("#form-title").textContent = integration ? `Edit ${integration.name}` : `Add ${card.title}`;
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
  (body.querySelector("select, input") ?? $("#f-name")).focus();
}

export function currentProvider() {
  const sel = $("#f-provider");
  return sel ? state.byId.get(sel.value) : formCtx.providers[0];
}

export function renderFields() {
  const p = currentProvider();
  const i = formCtx.integration;
  const wrap = $("#f-fields");
  wrap.replaceChildren();
  if (!i && !$("#f-name").value) $("#f-name").placeholder = p.display_name;
  if (p.description) wrap.append(h("p", { class: "muted small" }, p.description));
  for (const f of p.fields) wrap.append(fieldInput(f, i));
}

export function clearErrors() {
  $("#form-error").textContent = "";
  for (const el of $("#integration-form").querySelectorAll(".error")) el.textContent = "";
  for (const el of $("#integration-form").querySelectorAll("[aria-invalid]"))
    el.removeAttribute("aria-invalid");
}

export function showIssue(path, message) {
  const name = String(path).replace(/^(credentials|config)\./, "");
  const input = $("#integration-form").querySelector(`[name="${CSS.escape(name)}"]`);
  const err = input && $(`#f-${CSS.escape(name)}-error`);
  if (!err) return false;
  err.textContent = message;
  input.setAttribute("aria-invalid", "true");
  return true;
}

async function onSubmitForm(e) {
  e.preventDefault();
  clearErrors();
  const p = currentProvider();
  const i = formCtx.integration;
  const body = {};
  const name = $("#f-name").value.trim();
  const problems = [];
  if (!name && !i) body.name = p.display_name;
  else if (!name) problems.push(["name", "Enter a name."]);
  else if (name !== i?.name) body.name = name;
  for (const f of p.fields) {
    const el = $(`#f-${CSS.escape(f.name)}`);
    if (!el) continue;
    let v = readValue(f, el);
    if (f.type === "json" && v.trim()) {
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
    $("#integration-form").querySelector("[aria-invalid]")?.focus();
    return;
  }
  const submit = $("#form-submit");
  submit.disabled = true;
  try {
    let saved;
    if (i) saved = (await api("PATCH", `/api/integrations/${i.id}`, body)).integration;
    else
      saved = (
        await api("POST", "/api/integrations", { provider: p.id, integration_type: p.category, ...body })
      ).integration;
    $("#form-dialog").close();
    banner(
      `${saved.name} ${i ? "saved" : "created"}${saved.status === "pending" ? ` (pending: ${saved.missing_fields.join(", ")} missing)` : ""}.`,
      "ok",
    );
    await rerender(saved.id);
  } catch (error) {
    let inline = 0;
    for (const issue of error.issues) if (showIssue(issue.path, issue.message)) inline++;
    $("#form-error").textContent = inline ? "Check the highlighted fields." : error.message;
    ($("#integration-form").querySelector("[aria-invalid]") ?? $("#form-error")).focus?.();
  } finally {
    submit.disabled = false;
  }
}
