/**
 * A sign-up page's embed code (`embed_html`, shown with the integration): an accessible HTML form
 * that posts to the page's public URL, each value escaped for its context.
 */
import type { Settings } from "../../config.ts";
import type { IntegrationRow } from "../../db/schema.ts";
import { type FieldType, formFieldsOf, redirectUrlOf, signupUrl } from "./form.ts";

/** Escapes text for HTML element content and for quoted attribute values. */
const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch,
  );

/**
 * A value as a JavaScript literal inside `<script>`: JSON with `<`, `>` and `&` escaped (so
 * neither `</script` nor `<!--` can appear) and U+2028/U+2029 escaped (line terminators in
 * older engines), per the HTML standard's "restrictions for contents of script elements".
 */
export const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

const INPUT_TYPES: Record<FieldType, string> = {
  text: "text",
  email: "email",
  phone: "tel",
  number: "number",
  textarea: "",
  select: "",
  checkbox: "checkbox",
};

/**
 * A minimal, accessible embed: a `<form>` posting to the page's URL (it works without script:
 * the browser follows the 303 to `redirect_url`), the honeypot hidden from people and screen
 * readers, and an inline script that posts with fetch and shows the answer. No external assets.
 */
export function embedHtml(row: Pick<IntegrationRow, "id" | "config" | "name">, settings: Settings): string {
  const action = signupUrl(settings, row.id);
  const honeypot = typeof row.config.honeypot_field === "string" ? row.config.honeypot_field.trim() : "";
  const redirect = redirectUrlOf(row.config) ?? "";
  const fid = `sb-signup-${row.id.slice(0, 8)}`;
  const lines: string[] = [`<form id="${fid}" action="${esc(action)}" method="post" novalidate>`];
  for (const f of formFieldsOf(row.config).filter((x) => x.name !== honeypot)) {
    const id = `${fid}-${f.name}`;
    const label = esc(f.label ?? f.name.replace(/[_-]+/g, " ").replace(/^./, (c) => c.toUpperCase()));
    const req = f.required ? " required" : "";
    const mark = f.required ? ' <span aria-hidden="true">*</span>' : "";
    const name = esc(f.name);
    if (f.type === "checkbox") {
      lines.push(
        `  <p><input type="checkbox" id="${id}" name="${name}" value="on"${req}> <label for="${id}">${label}${mark}</label></p>`,
      );
    } else if (f.type === "textarea") {
      lines.push(
        `  <p><label for="${id}">${label}${mark}</label><br><textarea id="${id}" name="${name}" rows="4"${req}></textarea></p>`,
      );
    } else if (f.type === "select") {
      const opts = (f.options ?? []).map((o) => `<option value="${esc(o)}">${esc(o)}</option>`).join("");
      lines.push(
        `  <p><label for="${id}">${label}${mark}</label><br><select id="${id}" name="${name}"${req}><option value=""></option>${opts}</select></p>`,
      );
    } else {
      const ac =
        f.type === "email" ? ' autocomplete="email"' : f.type === "phone" ? ' autocomplete="tel"' : "";
      lines.push(
        `  <p><label for="${id}">${label}${mark}</label><br><input type="${INPUT_TYPES[f.type]}" id="${id}" name="${name}"${ac}${req}></p>`,
      );
    }
  }
  if (honeypot) {
    lines.push(
      `  <div aria-hidden="true" style="position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden"><label>Leave this empty <input type="text" name="${esc(honeypot)}" tabindex="-1" autocomplete="off"></label></div>`,
    );
  }
  lines.push('  <p><button type="submit">Sign up</button></p>');
  lines.push('  <p role="status" aria-live="polite"></p>');
  lines.push("</form>");
  const script = `(function(){var f=document.getElementById(${scriptJson(fid)});var s=f.querySelector('[role=status]');var r=${scriptJson(redirect)};f.addEventListener('submit',function(e){e.preventDefault();var d={};new FormData(f).forEach(function(v,k){d[k]=v;});s.textContent='Sending…';fetch(f.action,{method:'POST',headers:{'Content-Type':'application/json',Accept:'application/json'},body:JSON.stringify(d)}).then(function(res){return res.json().catch(function(){return {};}).then(function(b){if(res.ok){if(r){location.href=r;return;}f.reset();s.textContent='Thank you for signing up!';}else{s.textContent=(b&&b.error)||'Something went wrong; please try again.';}});}).catch(function(){s.textContent='Something went wrong; please try again.';});});})();`;
  lines.push(`<script>${script}</script>`);
  return lines.join("\n");
}
