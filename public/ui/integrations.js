// Switchboard web UI: /integrations. Plain JS module, no build step, no external assets.
// The organization API key lives in sessionStorage only; a connect session (?session=sbcs_…)
// can only start OAuth connections.

const KEY_STORAGE = "switchboard.api_key";
const MASK = "••••••";

/** The cards, in 002's order first; provider categories map onto them. */
const CARDS = [
  { id: "email", title: "Email", text: "Send transactional and marketing email." },
  { id: "whatsapp", title: "WhatsApp", text: "Message customers on WhatsApp Business." },
  { id: "sms", title: "SMS", text: "Send text messages through an SMS gateway." },
  { id: "signup_page", title: "Sign Up Page", text: "Capture leads from landing pages and embedded forms." },
  {
    id: "facebook",
    title: "Facebook",
    text: "Lead Ads, Messenger and Instagram messaging.",
    also: ["social"],
  },
  { id: "crm", title: "CRM", text: "Sync contacts, companies and products." },
  {
    id: "accounting",
    title: "Accounting",
    text: "Sync customers, products and invoices; push changes back.",
  },
  { id: "messaging", title: "Messaging", text: "Chat channels such as Telegram." },
  { id: "calendar", title: "Calendar", text: "Read and create calendar events." },
  { id: "other", title: "Other", text: "Any other API with a key." },
];

const $ = (sel, root = document) => root.querySelector(sel);

/** Builds an element: h("button", {class: "btn", onclick}, "text", child...). */
function h(tag, attrs = {}, ...children) {
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

const state = {
  key: sessionStorage.getItem(KEY_STORAGE) ?? "",
  session: new URLSearchParams(location.search).get("session") ?? "",
  providers: [],
  byId: new Map(),
  integrations: [],
  detailTab: "logs",
  pollTimer: 0,
};

// ---- API -----------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.body = body ?? {};
    this.issues = Array.isArray(body?.issues) ? body.issues : [];
  }
}

async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (state.key) headers.authorization = `Bearer ${state.key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: text.slice(0, 200) };
  }
  if (res.status === 401 && state.key && !path.startsWith("/api/integrations/providers")) {
    signOut("Your API key was not accepted. Sign in again.");
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// ---- banner, helpers -----------------------------------------------------------------------

function banner(text, kind = "info") {
  const b = $("#banner");
  b.textContent = text;
  b.className = `banner ${kind}`;
  b.hidden = !text;
}

const fmtDate = (s) => (s ? new Date(s).toLocaleString() : "—");
const providerName = (id) => state.byId.get(id)?.display_name ?? id;
const cardOf = (category) =>
  CARDS.find((c) => c.id === category || c.also?.includes(category)) ?? CARDS.at(-1);

function badge(status) {
  return h("span", { class: `badge badge-${status}` }, status);
}

async function copy(text, button) {
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

function copyRow(label, value, id) {
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

// ---- sign-in -------------------------------------------------------------------------------

function show(view) {
  for (const id of ["signin", "session-view", "overview", "detail"]) $(`#${id}`).hidden = id !== view;
}

function signOut(message) {
  state.key = "";
  sessionStorage.removeItem(KEY_STORAGE);
  $("#whoami").hidden = true;
  show("signin");
  if (message) $("#api-key-error").textContent = message;
  $("#api-key").focus();
}

async function onSignIn(e) {
  e.preventDefault();
  const input = $("#api-key");
  const key = input.value.trim();
  const err = $("#api-key-error");
  err.textContent = "";
  if (!key) {
    err.textContent = "Enter an API key.";
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  state.key = key;
  try {
    await api("GET", "/api/integrations?limit=1");
  } catch (error) {
    state.key = "";
    err.textContent = error.status === 401 ? "This key was not accepted." : error.message;
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  input.value = "";
  sessionStorage.setItem(KEY_STORAGE, key);
  await enter();
}

async function enter() {
  $("#whoami").hidden = false;
  $("#whoami-text").textContent = `Key ${state.key.slice(0, 8)}…${state.key.slice(-4)}`;
  await route();
}

// ---- overview ------------------------------------------------------------------------------

async function loadIntegrations() {
  const all = [];
  let cursor = "";
  for (let i = 0; i < 20; i++) {
    const page = await api(
      "GET",
      `/api/integrations?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    all.push(...page.integrations);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  state.integrations = all;
}

async function renderOverview(focusId) {
  show("overview");
  await loadIntegrations();
  const cards = $("#cards");
  cards.replaceChildren(...CARDS.map(renderCard));
  if (focusId) $(`[data-integration="${focusId}"] .name`)?.focus();
}

function renderCard(card) {
  const providers = state.providers.filter((p) => cardOf(p.category) === card);
  const items = state.integrations.filter(
    (i) => cardOf(state.byId.get(i.provider)?.category ?? i.integration_type) === card,
  );
  const oauth = providers.filter((p) => p.capabilities.oauth);
  const headingId = `card-${card.id}`;
  return h(
    "article",
    {
      class: "card",
      id: `card-${card.id}-box`,
      "aria-labelledby": headingId,
      dataset: { category: card.id },
    },
    h(
      "header",
      { class: "card-head" },
      h(
        "h3",
        { id: headingId },
        card.title,
        " ",
        h("span", { class: "count", "aria-label": `${items.length} connected` }, String(items.length)),
      ),
      h("p", { class: "muted" }, card.text),
    ),
    items.length
      ? h("ul", { class: "items" }, items.map(renderItem))
      : h("p", { class: "muted empty" }, "Nothing connected yet."),
    h(
      "div",
      { class: "card-actions" },
      h(
        "button",
        { type: "button", class: "btn primary", onclick: () => openForm({ card }) },
        `Add ${card.title}`,
      ),
      oauth.map((p) =>
        h(
          "button",
          { type: "button", class: "btn oauth", onclick: () => connect(p.id) },
          `Connect ${p.display_name}`,
        ),
      ),
    ),
  );
}

function renderItem(i) {
  const p = state.byId.get(i.provider);
  const result = h("p", { class: "result", role: "status", "aria-live": "polite" });
  return h(
    "li",
    { class: "item", dataset: { integration: i.id, provider: i.provider } },
    h(
      "div",
      { class: "item-head" },
      h("a", { class: "name", href: `#/integration/${i.id}` }, i.name),
      badge(i.status),
    ),
    h(
      "p",
      { class: "muted small" },
      providerName(i.provider),
      " · last sync ",
      h("span", { class: "last-sync" }, fmtDate(i.last_sync_at)),
    ),
    i.missing_fields?.length
      ? h("p", { class: "small warn" }, `Missing: ${i.missing_fields.join(", ")}`)
      : null,
    i.last_error
      ? h("p", { class: "small last-error" }, h("strong", {}, "Last error: "), i.last_error)
      : null,
    h(
      "div",
      { class: "item-actions" },
      h(
        "button",
        { type: "button", class: "btn small", onclick: () => openForm({ integration: i }) },
        "Edit",
      ),
      p?.capabilities.test
        ? h(
            "button",
            {
              type: "button",
              class: "btn small",
              onclick: (e) => testConnection(i, e.currentTarget, result),
            },
            "Test",
          )
        : null,
      h(
        "button",
        { type: "button", class: "btn small", "aria-pressed": String(i.is_active), onclick: () => toggle(i) },
        i.is_active ? "Deactivate" : "Activate",
      ),
      p?.capabilities.oauth
        ? h(
            "button",
            { type: "button", class: "btn small", onclick: () => connect(i.provider, i.id) },
            "Reconnect",
          )
        : null,
      h("button", { type: "button", class: "btn small danger", onclick: () => confirmDelete(i) }, "Delete"),
    ),
    result,
  );
}

async function testConnection(i, button, out) {
  button.disabled = true;
  out.className = "result";
  out.textContent = "Testing…";
  try {
    const r = await api("POST", `/api/integrations/${i.id}/test`);
    out.className = `result ${r.ok ? "ok" : "fail"}`;
    out.textContent = `${r.ok ? "✓ Connected" : "✗ Failed"}: ${r.message}`;
    Object.assign(i, r.integration);
    const li = out.closest(".item");
    li.querySelector(".badge").replaceWith(badge(i.status));
    li.querySelector(".last-sync").textContent = fmtDate(i.last_sync_at);
  } catch (error) {
    out.className = "result fail";
    out.textContent = `✗ ${error.message}`;
  } finally {
    button.disabled = false;
  }
}

async function toggle(i) {
  try {
    await api("PATCH", `/api/integrations/${i.id}`, { is_active: !i.is_active });
    banner(`${i.name} ${i.is_active ? "deactivated" : "activated"}.`, "ok");
    await rerender(i.id);
  } catch (error) {
    banner(error.message, "fail");
  }
}

async function rerender(focusId) {
  if (location.hash.startsWith("#/integration/")) await renderDetail(location.hash.split("/")[2]);
  else await renderOverview(focusId);
}

// ---- confirm dialog ------------------------------------------------------------------------

function confirmDialog(title, text, okLabel) {
  const d = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel;
  const opener = document.activeElement;
  d.returnValue = "";
  d.showModal();
  $("#confirm-cancel").focus();
  return new Promise((res) => {
    d.addEventListener(
      "close",
      () => {
        opener?.focus?.();
        res(d.returnValue === "ok");
      },
      { once: true },
    );
  });
}

async function confirmDelete(i) {
  const ok = await confirmDialog(
    `Delete ${i.name}?`,
    `This deletes the ${providerName(i.provider)} integration "${i.name}" and its stored credentials. This cannot be undone.`,
    "Delete",
  );
  if (!ok) return;
  try {
    await api("DELETE", `/api/integrations/${i.id}`);
    banner(`${i.name} deleted.`, "ok");
    if (location.hash) location.hash = "";
    await renderOverview();
    $("#main").focus();
  } catch (error) {
    banner(error.message, "fail");
  }
}

// ---- create / edit form --------------------------------------------------------------------

let formCtx = null;

function openForm({ card, integration }) {
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

function currentProvider() {
  const sel = $("#f-provider");
  return sel ? state.byId.get(sel.value) : formCtx.providers[0];
}

function renderFields() {
  const p = currentProvider();
  const i = formCtx.integration;
  const wrap = $("#f-fields");
  wrap.replaceChildren();
  if (!i && !$("#f-name").value) $("#f-name").placeholder = p.display_name;
  if (p.description) wrap.append(h("p", { class: "muted small" }, p.description));
  for (const f of p.fields) wrap.append(fieldInput(f, i));
}

function fieldInput(f, i) {
  const id = `f-${f.name}`;
  const stored = i ? (f.secret ? i.secrets?.[f.name] : i.config?.[f.name]) : undefined;
  const described = [f.help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(" ");
  const common = { id, name: f.name, "aria-describedby": described, dataset: { field: f.name } };
  if (f.required) common["aria-required"] = "true";
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
    const type =
      f.secret || f.type === "password"
        ? "password"
        : ({ email: "email", url: "url", phone: "tel", number: "number" }[f.type] ?? "text");
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

function clearErrors() {
  $("#form-error").textContent = "";
  for (const el of $("#integration-form").querySelectorAll(".error")) el.textContent = "";
  for (const el of $("#integration-form").querySelectorAll("[aria-invalid]"))
    el.removeAttribute("aria-invalid");
}

function showIssue(path, message) {
  const name = String(path).replace(/^(credentials|config)\./, "");
  const input = $("#integration-form").querySelector(`[name="${CSS.escape(name)}"]`);
  const err = input && $(`#f-${CSS.escape(name)}-error`);
  if (!err) return false;
  err.textContent = message;
  input.setAttribute("aria-invalid", "true");
  return true;
}

function readValue(f, el) {
  if (f.type === "boolean") return el.checked;
  const v = el.value;
  if (f.type === "number") return v === "" ? "" : Number(v);
  return v;
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
    const stored = i?.config?.[f.name];
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

// ---- OAuth ---------------------------------------------------------------------------------

function returnUrl() {
  const u = new URL("/integrations", location.origin);
  if (state.session) u.searchParams.set("session", state.session);
  return u.toString();
}

async function connect(provider, integrationId) {
  const q = new URLSearchParams({ return_to: returnUrl() });
  if (integrationId) q.set("integration_id", integrationId);
  if (state.session) {
    q.set("session", state.session);
    location.assign(`/api/integrations/${encodeURIComponent(provider)}/auth?${q}`);
    return;
  }
  q.set("format", "json");
  try {
    const r = await api("GET", `/api/integrations/${encodeURIComponent(provider)}/auth?${q}`);
    location.assign(r.url);
  } catch (error) {
    banner(`${providerName(provider)}: ${error.message}`, "fail");
  }
}

/** The OAuth callback's redirect lands here with success=…: say so, then clean the URL. */
function oauthReturn() {
  const q = new URLSearchParams(location.search);
  if (!q.has("success")) return undefined;
  const name = providerName(q.get("provider") ?? "");
  if (q.get("success") === "true") banner(`${name} connected.`, "ok");
  else banner(`${name} was not connected: ${q.get("error") ?? "unknown error"}`, "fail");
  const clean = new URL(location.href);
  for (const k of ["success", "provider", "integration_id", "error"]) clean.searchParams.delete(k);
  history.replaceState(null, "", clean);
  return q.get("integration_id") ?? undefined;
}

function renderSession() {
  show("session-view");
  const oauth = state.providers.filter((p) => p.capabilities.oauth);
  $("#session-providers").replaceChildren(
    ...oauth.map((p) =>
      h(
        "article",
        { class: "card" },
        h("h3", {}, p.display_name),
        h("p", { class: "muted small" }, p.description),
        h(
          "div",
          { class: "card-actions" },
          h(
            "button",
            { type: "button", class: "btn oauth", onclick: () => connect(p.id) },
            `Connect ${p.display_name}`,
          ),
        ),
      ),
    ),
  );
}

// ---- detail view ---------------------------------------------------------------------------

const TABS = [
  { id: "logs", label: "Logs" },
  { id: "webhooks", label: "Webhook events" },
  { id: "messages", label: "Messages" },
  { id: "sync", label: "Sync", when: (p) => p?.capabilities.sync?.length },
];

async function renderDetail(id) {
  stopPolling();
  show("detail");
  const sec = $("#detail");
  let i;
  try {
    i = (await api("GET", `/api/integrations/${id}`)).integration;
  } catch (error) {
    sec.replaceChildren(
      h("p", { class: "error" }, error.message),
      h("a", { href: "#" }, "Back to integrations"),
    );
    return;
  }
  const p = state.byId.get(i.provider);
  const tabs = TABS.filter((t) => !t.when || t.when(p));
  if (!tabs.some((t) => t.id === state.detailTab)) state.detailTab = "logs";
  const panel = h("div", { class: "tabpanel", role: "tabpanel", id: "tabpanel", tabindex: "0" });
  const tablist = h(
    "div",
    { class: "tabs", role: "tablist", "aria-label": "Integration details", onkeydown: tabKeys },
    tabs.map((t) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `tab-${t.id}`,
          "aria-controls": "tabpanel",
          "aria-selected": String(t.id === state.detailTab),
          tabindex: t.id === state.detailTab ? "0" : "-1",
          onclick: () => selectTab(i, t.id),
        },
        t.label,
      ),
    ),
  );
  const info = [];
  if (i.webhook_url) info.push(copyRow("Webhook URL", i.webhook_url, "d-webhook-url"));
  if (i.webhook_verify_token)
    info.push(copyRow("Webhook verify token", i.webhook_verify_token, "d-verify-token"));
  if (i.signup_url) info.push(copyRow("Sign-up URL", i.signup_url, "d-signup-url"));
  if (i.embed_html)
    info.push(
      h(
        "div",
        { class: "field" },
        h("label", { for: "d-embed" }, "Embed code"),
        h("textarea", { id: "d-embed", class: "mono", rows: 6, readOnly: true }, i.embed_html),
        h(
          "div",
          {},
          h(
            "button",
            { type: "button", class: "btn", onclick: (e) => copy(i.embed_html, e.currentTarget) },
            "Copy embed code",
          ),
        ),
      ),
    );
  const result = h("p", { class: "result", role: "status", "aria-live": "polite" });
  sec.replaceChildren(
    h("p", {}, h("a", { href: "#", class: "back" }, "← All integrations")),
    h(
      "div",
      { class: "detail-head" },
      h("h2", { id: "detail-title", tabindex: "-1" }, i.name),
      badge(i.status),
    ),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Provider"),
      h("dd", {}, providerName(i.provider)),
      h("dt", {}, "Active"),
      h("dd", {}, i.is_active ? "yes" : "no"),
      h("dt", {}, "Last sync"),
      h("dd", { id: "d-last-sync" }, fmtDate(i.last_sync_at)),
      h("dt", {}, "Last error"),
      h("dd", { class: "last-error" }, i.last_error ?? "—"),
      i.missing_fields?.length ? [h("dt", {}, "Missing"), h("dd", {}, i.missing_fields.join(", "))] : null,
    ),
    h(
      "div",
      { class: "item-actions" },
      h("button", { type: "button", class: "btn", onclick: () => openForm({ integration: i }) }, "Edit"),
      p?.capabilities.test
        ? h(
            "button",
            { type: "button", class: "btn", onclick: (e) => testConnection(i, e.currentTarget, result) },
            "Test",
          )
        : null,
      h(
        "button",
        { type: "button", class: "btn", onclick: () => toggle(i) },
        i.is_active ? "Deactivate" : "Activate",
      ),
      h("button", { type: "button", class: "btn danger", onclick: () => confirmDelete(i) }, "Delete"),
    ),
    result,
    info.length ? h("div", { class: "panel info" }, info) : null,
    tablist,
    panel,
  );
  // testConnection updates the badge in the closest .item
  sec.classList.add("item");
  $("#detail-title").focus();
  await loadTab(i, state.detailTab);
}

function tabKeys(e) {
  const tabs = [...e.currentTarget.querySelectorAll('[role="tab"]')];
  const at = tabs.indexOf(document.activeElement);
  if (at < 0) return;
  let next = -1;
  if (e.key === "ArrowRight") next = (at + 1) % tabs.length;
  else if (e.key === "ArrowLeft") next = (at - 1 + tabs.length) % tabs.length;
  else if (e.key === "Home") next = 0;
  else if (e.key === "End") next = tabs.length - 1;
  if (next < 0) return;
  e.preventDefault();
  tabs[next].focus();
  tabs[next].click();
}

async function selectTab(i, id) {
  state.detailTab = id;
  for (const t of document.querySelectorAll('#detail [role="tab"]')) {
    const on = t.id === `tab-${id}`;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
  }
  await loadTab(i, id);
}

function table(caption, columns, rows) {
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

async function loadTab(i, id) {
  stopPolling();
  const panel = $("#tabpanel");
  panel.setAttribute("aria-labelledby", `tab-${id}`);
  panel.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    if (id === "logs") {
      const r = await api("GET", `/api/integrations/${i.id}/logs`);
      panel.replaceChildren(
        table(
          "Logs",
          [
            ["Time", (l) => fmtDate(l.created_at)],
            ["Level", (l) => h("span", { class: `level level-${l.level}` }, l.level)],
            ["Action", (l) => l.action],
            ["Message", (l) => l.message],
          ],
          r.logs,
        ),
      );
    } else if (id === "webhooks") {
      const r = await api("GET", `/api/integrations/${i.id}/webhook-events`);
      panel.replaceChildren(
        table(
          "Webhook events",
          [
            ["Received", (e) => fmtDate(e.received_at)],
            ["Type", (e) => e.event_type],
            ["Status", (e) => e.status],
            ["Attempts", (e) => String(e.attempts)],
            ["Error", (e) => e.last_error],
          ],
          r.events,
        ),
      );
    } else if (id === "messages") {
      const r = await api("GET", `/api/messages?integration_id=${encodeURIComponent(i.id)}`);
      panel.replaceChildren(
        table(
          "Messages",
          [
            ["Created", (m) => fmtDate(m.created_at)],
            ["Channel", (m) => m.channel],
            ["To", (m) => m.to],
            ["Status", (m) => m.status],
            ["Attempts", (m) => String(m.attempts)],
            ["Error", (m) => m.last_error],
          ],
          r.messages,
        ),
      );
    } else if (id === "sync") {
      await renderSync(i, panel);
    }
  } catch (error) {
    panel.replaceChildren(h("p", { class: "error" }, error.message));
  }
}

const ACTIVE = new Set(["queued", "running", "paused"]);

function progressOf(e) {
  const job = e.current_job ?? e.last_job;
  if (e.state === "success" || e.state === "partial") return { value: 100, job };
  if (!job || e.state === "idle") return { value: 0, job };
  if (e.state === "failed") return { value: 0, job };
  // The total is unknown until the provider's last page: approach 95% as pages arrive.
  const pages = job.pages_done ?? 0;
  return { value: Math.round(95 * (1 - 1 / (1 + pages / 4))), job };
}

async function renderSync(i, panel) {
  const [status, logs] = await Promise.all([
    api("GET", `/api/integrations/${i.id}/sync-status`),
    api("GET", `/api/integrations/${i.id}/sync-logs`),
  ]);
  if (!$("#tabpanel") || state.detailTab !== "sync") return;
  if ($("#d-last-sync")) $("#d-last-sync").textContent = fmtDate(status.last_sync_at);
  const rows = status.entities.map((e) => {
    const { value, job } = progressOf(e);
    const label = `${e.entity}: ${e.state}${job ? `, ${job.records_synced ?? 0} records, ${job.pages_done ?? 0} pages` : ""}`;
    return h(
      "li",
      { class: `entity state-${e.state}`, dataset: { entity: e.entity, state: e.state } },
      h("div", { class: "entity-head" }, h("strong", {}, e.entity), badge(e.state)),
      h("progress", { max: 100, value, "aria-label": `${e.entity} sync progress`, "aria-valuetext": label }),
      h(
        "p",
        { class: "small muted entity-count" },
        job
          ? `${job.records_synced ?? 0} records · ${job.pages_done ?? 0} pages${job.error_message ? ` · ${job.error_message}` : ""}`
          : "Never synced",
      ),
      h(
        "button",
        {
          type: "button",
          class: "btn small",
          disabled: ACTIVE.has(e.state),
          onclick: () => syncNow(i, e.entity),
        },
        `Sync ${e.entity} now`,
      ),
    );
  });
  panel.replaceChildren(
    h("h3", {}, "Status"),
    h("p", { class: "small muted" }, `Last sync: ${fmtDate(status.last_sync_at)}`),
    h("ul", { class: "entities" }, rows),
    h("h3", {}, "History"),
    table(
      "Sync history",
      [
        ["Entity", (j) => j.entity],
        ["Direction", (j) => j.direction],
        ["Status", (j) => j.status],
        ["Synced", (j) => String(j.records_synced ?? 0)],
        ["Failed", (j) => String(j.records_failed ?? 0)],
        ["Started", (j) => fmtDate(j.started_at)],
        ["Completed", (j) => fmtDate(j.completed_at)],
        ["Error", (j) => j.error_message],
      ],
      logs.logs,
    ),
  );
  if (status.entities.some((e) => ACTIVE.has(e.state))) {
    state.pollTimer = setTimeout(() => {
      if (state.detailTab === "sync" && $("#tabpanel")) renderSync(i, $("#tabpanel")).catch(() => {});
    }, 1000);
  }
}

function stopPolling() {
  clearTimeout(state.pollTimer);
}

async function syncNow(i, entity) {
  try {
    await api("POST", `/api/integrations/${i.id}/sync/${encodeURIComponent(entity)}`, {});
    banner(`Sync of ${entity} started.`, "ok");
  } catch (error) {
    banner(error.message, "fail");
  }
  stopPolling();
  await renderSync(i, $("#tabpanel"));
  $(`[data-entity="${CSS.escape(entity)}"] button`)?.focus();
}

// ---- routing -------------------------------------------------------------------------------

async function route(focusId) {
  stopPolling();
  $("#detail").classList.remove("item");
  const m = location.hash.match(/^#\/integration\/([\w-]+)$/);
  if (m) await renderDetail(m[1]);
  else await renderOverview(focusId);
}

async function main() {
  $("#signin-form").addEventListener("submit", onSignIn);
  $("#sign-out").addEventListener("click", () => {
    signOut();
    banner("Signed out.");
  });
  $("#integration-form").addEventListener("submit", onSubmitForm);
  $("#form-dialog").addEventListener("close", () => formCtx?.opener?.focus?.());
  for (const b of document.querySelectorAll("[data-close]"))
    b.addEventListener("click", () => b.closest("dialog").close());
  window.addEventListener("hashchange", () => state.key && route().catch((e) => banner(e.message, "fail")));
  try {
    const catalog = await api("GET", "/api/integrations/providers");
    state.providers = catalog.providers;
    state.byId = new Map(state.providers.map((p) => [p.id, p]));
  } catch (error) {
    banner(`Could not load the provider catalog: ${error.message}`, "fail");
    return;
  }
  const connected = oauthReturn();
  if (state.session) {
    renderSession();
    return;
  }
  if (state.key) await enter().then(() => connected && $(`[data-integration="${connected}"] .name`)?.focus());
  else signOut();
}

main().catch((e) => banner(e.message, "fail"));
