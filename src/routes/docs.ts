/**
 * GET /docs: an API reference page rendered in the browser from /openapi.json. Self-contained
 * (no CDN), so it works offline and under a strict CSP.
 */

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchboard API reference</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f7f8fa}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c4cad6}
main{max-width:1000px;margin:0 auto;padding:16px 24px}h2{margin-top:32px;border-bottom:1px solid #dde1e8;padding-bottom:4px}
details{background:#fff;border:1px solid #dde1e8;border-radius:6px;margin:8px 0}summary{cursor:pointer;padding:8px 12px;display:flex;gap:12px;align-items:baseline}
.m{font:600 12px ui-monospace,monospace;padding:2px 6px;border-radius:4px;color:#fff;min-width:52px;text-align:center}
.get{background:#2f7d32}.post{background:#1565c0}.put,.patch{background:#a36100}.delete{background:#b71c1c}
code,pre{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}pre{background:#f1f3f6;padding:8px;overflow:auto;border-radius:4px}
.body{padding:0 12px 12px}.p{font-family:ui-monospace,monospace}
</style></head><body>
<header><h1>Switchboard API reference</h1><p>Generated from <a style="color:#9cc4ff" href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Send <code>Authorization: Bearer &lt;api key&gt;</code>.</p></header>
<main id="root">Loading…</main>
<script>
const esc=(s)=>String(s).replace(/[&<>"]/g,(c)=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]));
const deref=(doc,s)=>{if(s&&s.$ref){const n=s.$ref.split("/").pop();return doc.components.schemas[n]}return s};
fetch("/openapi.json").then(r=>r.json()).then(doc=>{
  const byTag={};
  for(const [path,ops] of Object.entries(doc.paths)) for(const [m,op] of Object.entries(ops)){
    const t=(op.tags&&op.tags[0])||"Other";(byTag[t]??=[]).push({path,m,op});}
  let h="";
  for(const [tag,ops] of Object.entries(byTag)){
    h+="<h2>"+esc(tag)+"</h2>";
    for(const {path,m,op} of ops){
      h+='<details><summary><span class="m '+m+'">'+m.toUpperCase()+'</span><span class="p">'+esc(path)+'</span><span>'+esc(op.summary||"")+'</span></summary><div class="body">';
      if(op.description)h+="<p>"+esc(op.description)+"</p>";
      if(op.parameters&&op.parameters.length)h+="<p><b>Parameters:</b> "+op.parameters.map(p=>"<code>"+esc(p.name)+"</code> ("+esc(p.in)+(p.required?", required":"")+")").join(", ")+"</p>";
      const body=op.requestBody&&op.requestBody.content&&op.requestBody.content["application/json"];
      if(body)h+="<p><b>Body:</b></p><pre>"+esc(JSON.stringify(deref(doc,body.schema),null,2))+"</pre>";
      h+="<p><b>Responses:</b> "+Object.entries(op.responses||{}).map(([s,r])=>"<code>"+s+"</code> "+esc(r.description||"")).join("; ")+"</p></div></details>";
    }
  }
  document.getElementById("root").innerHTML=h;
}).catch(e=>{document.getElementById("root").textContent="Could not load /openapi.json: "+e});
</script></body></html>`;
