// Switchboard API reference at /docs: renders /openapi.json in the page. Plain JS module, no
// build step, no external assets, so it works offline and under the hub's CSP (script-src 'self').

const esc = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );

const deref = (doc, s) => {
  if (s?.$ref) return doc.components.schemas[s.$ref.split("/").pop()];
  return s;
};

function render(doc) {
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(ops)) {
      const t = op.tags?.[0] || "Other";
      byTag[t] ??= [];
      byTag[t].push({ path, m, op });
    }
  }
  let h = "";
  for (const [tag, ops] of Object.entries(byTag)) {
    h += `<h2>${esc(tag)}</h2>`;
    for (const { path, m, op } of ops) {
      h += `<details><summary><span class="m ${esc(m)}">${esc(m.toUpperCase())}</span><span class="p">${esc(path)}</span><span>${esc(op.summary || "")}</span></summary><div class="body">`;
      if (op.description) h += `<p>${esc(op.description)}</p>`;
      if (op.parameters?.length) {
        const params = op.parameters.map(
          (p) => `<code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ", required" : ""})`,
        );
        h += `<p><b>Parameters:</b> ${params.join(", ")}</p>`;
      }
      const body = op.requestBody?.content?.["application/json"];
      if (body) h += `<p><b>Body:</b></p><pre>${esc(JSON.stringify(deref(doc, body.schema), null, 2))}</pre>`;
      const responses = Object.entries(op.responses || {}).map(
        ([s, r]) => `<code>${esc(s)}</code> ${esc(r.description || "")}`,
      );
      h += `<p><b>Responses:</b> ${responses.join("; ")}</p></div></details>`;
    }
  }
  document.getElementById("root").innerHTML = h;
}

fetch("/openapi.json")
  .then((r) => r.json())
  .then(render)
  .catch((e) => {
    document.getElementById("root").textContent = `Could not load /openapi.json: ${e}`;
  });
