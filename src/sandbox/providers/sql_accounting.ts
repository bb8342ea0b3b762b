/**
 * Simulated SQL Account API Service: the sales-agent list (`GET /agent`) behind a SigV4 check.
 * The sandbox cannot know the secret key, so it checks the signature's form instead: an
 * `AWS4-HMAC-SHA256` Authorization header whose credential scope matches `x-amz-date`, a
 * recent `x-amz-date`, `host` and `x-amz-date` among the signed headers, and a 64-hex signature.
 * An access key containing "invalid" is refused. SQL's real error bodies are UNCONFIRMED; these
 * are the `{"message"}` bodies of the AWS API Gateway-style SigV4 front its samples target.
 *
 * Record sync: `GET /customer`, `/stockitem`, `/salesinvoice` (and `/customerinvoice`, the AR
 * invoice object, over the same invoices) list `{pagination, data}` by `offset`, at most 50
 * records whatever `limit` says, in dockey order, filtered by any `field=value` header field
 * and by `lastmodified=<from>~<to>` (Unix seconds, inclusive). Hard and soft deletions are
 * simply absent: SQL keeps no tombstones. POST creates; PUT `/customer/{code}`,
 * `/stockitem/{dockey}` and `/<invoice object>/{dockey}` update, and a write whose
 * `updatecount` is not the stored one + 1 is refused with "Record has been changed by another
 * user" (required on invoices, checked on the others when sent). An empty `{}` body answers
 * 500, as the real backend crashes on it. No rate limit is documented, so none is enforced
 * (requests are still counted).
 *
 * The dataset account is the access key (`<32 hex>.sql.my/<USERCODE>`) of the request's
 * SigV4 credential: see `sqlSandboxAccount`.
 */
import { countRequest, type DatasetItem, dataset, itemOf, takeFault } from "../dataset.ts";
import { isInvalidCredential, simulator } from "../lib.ts";

export const sql_accounting = simulator();

const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=(\S+), ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const MAX_SKEW_MS = 5 * 60_000;

const denied = (message: string) => Response.json({ message }, { status: 403 });

/** The dataset account of an access key: the access key itself. */
export const sqlSandboxAccount = (accessKey: string): string => accessKey;

/** Why the request's SigV4 authorization is refused, or null when it is acceptable. */
function sigv4Problem(authorization: string | undefined, amzDate: string | undefined): string | null {
  if (!authorization) return "Missing Authentication Token";
  const m = authorization.match(AUTH_RE);
  if (!m) {
    return "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.";
  }
  const [, credential = "", signedHeaders = ""] = m;
  const date = amzDate?.match(AMZ_DATE_RE);
  if (!amzDate || !date)
    return "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";
  // The access key itself contains "/", so the scope is the last four parts.
  const parts = credential.split("/");
  const scope = parts.slice(-4);
  const accessKey = parts.slice(0, -4).join("/");
  if (parts.length < 5 || scope[3] !== "aws4_request") {
    return `Credential should be scoped to a valid region, not '${scope[1] ?? ""}'. Credential should be scoped to correct service. Credential should be scoped with a valid terminator: 'aws4_request', not '${scope[3] ?? ""}'.`;
  }
  if (scope[0] !== amzDate.slice(0, 8)) {
    return `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope[0]}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`;
  }
  const signed = signedHeaders.split(";");
  if (!signed.includes("host") || !signed.includes("x-amz-date")) {
    return "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
  }
  const [, y, mo, d, h, mi, s] = date.map(Number);
  const at = Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s);
  if (Math.abs(Date.now() - at) > MAX_SKEW_MS)
    return `Signature expired: ${amzDate} is now earlier or later than allowed.`;
  if (isInvalidCredential(accessKey)) return "The security token included in the request is invalid.";
  return null;
}

sql_accounting.get("/agent", (c) => {
  const problem = sigv4Problem(c.req.header("authorization"), c.req.header("x-amz-date"));
  if (problem) return denied(problem);
  return c.json({
    pagination: { offset: Number(c.req.query("offset") ?? 0), limit: 50, count: 1 },
    data: [{ code: "SBX", description: "Sandbox Agent", isactive: true, lastmodified: 1767225600 }],
  });
});

// ---------------------------------------------------------------------------------------------
// Record sync.

const PROVIDER = "sql_accounting";
const PAGE_MAX = 50;

type Row = Record<string, unknown>;
type Entity = "customers" | "products" | "invoices";

const pad = (n: number, w = 5) => String(n).padStart(w, "0");
const seconds = (ms: number) => Math.floor(ms / 1000);

/** The access key of an acceptable SigV4 request, or the 403 to answer. */
function accountOf(c: { req: { header(name: string): string | undefined } }): string | Response {
  const authorization = c.req.header("authorization");
  const problem = sigv4Problem(authorization, c.req.header("x-amz-date"));
  if (problem) return denied(problem);
  const credential = authorization?.match(AUTH_RE)?.[1] ?? "";
  return sqlSandboxAccount(credential.split("/").slice(0, -4).join("/"));
}

/** A record as the API Service lists it: generated fields, overlaid by what pushes sent. */
function recordOf(entity: Entity, item: DatasetItem, version: number): Row {
  const f = item.fields;
  let base: Row;
  if (entity === "customers") {
    base = {
      code: `300-${pad(item.n)}`,
      companyname: f.company,
      controlaccount: "300-000",
      creditterm: "30 Days",
      currencycode: "----",
      sdsbranch: [
        {
          branchtype: "B",
          branchname: "BILLING",
          address1: f.street,
          address2: "",
          postcode: f.postalCode,
          city: f.city,
          state: f.region,
          country: f.country,
          attention: f.name,
          phone1: f.phone,
          email: f.email,
        },
      ],
    };
  } else if (entity === "products") {
    base = {
      dockey: item.n,
      code: f.sku,
      description: `${f.lines[0]?.description ?? f.sku}`,
      description2: `Sandbox stock item ${pad(item.n)}`,
      stockgroup: "DEFAULT",
      refprice: f.price,
      isactive: true,
    };
  } else {
    base = {
      dockey: item.n,
      docno: `IV-${pad(item.n)}`,
      docdate: f.issueDate,
      postdate: f.issueDate,
      code: `300-${pad(f.customerN)}`,
      terms: "30 Days",
      currencycode: "----",
      docamt: f.total,
      paymentamt: f.status === "paid" ? f.total : 0,
      cancelled: f.status === "void",
    };
  }
  return {
    ...base,
    ...(item.body ?? {}),
    ...(entity === "customers" ? {} : { dockey: item.n }),
    lastmodified: seconds(item.modifiedAt),
    updatecount: version,
  };
}

/** The live records of an entity, with their dataset index. */
function records(entity: Entity, account: string, sinceMs?: number): { n: number; row: Row }[] {
  return dataset(PROVIDER, account, entity)
    .list({ sinceMs })
    .map((e) => ({ n: e.n, row: recordOf(entity, itemOf(e), e.version) }));
}

const badRequest = (message: string) => Response.json({ message }, { status: 400 });

function list(entity: Entity) {
  return (c: { req: { header(name: string): string | undefined; queries(): Record<string, string[]> } }) => {
    const fault = takeFault(PROVIDER);
    if (fault) {
      const headers: Record<string, string> =
        fault.status === 429 ? { "retry-after": String(fault.retryAfter) } : {};
      const message = fault.status === 429 ? "Too Many Requests" : "Internal server error";
      return Response.json({ message }, { status: fault.status, headers });
    }
    const account = accountOf(c);
    if (account instanceof Response) return account;
    countRequest(PROVIDER, account);
    const q: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.req.queries())) if (v[0] !== undefined) q[k.toLowerCase()] = v[0];
    const offset = Number(q.offset ?? 0);
    if (!Number.isInteger(offset) || offset < 0) return badRequest("Invalid offset");
    let sinceMs: number | undefined;
    let untilS = Number.POSITIVE_INFINITY;
    if (q.lastmodified !== undefined) {
      const [from = "", to] = q.lastmodified.split("~");
      if (!/^\d+$/.test(from) || (to !== undefined && !/^\d+$/.test(to)))
        return badRequest("Invalid lastmodified");
      sinceMs = Number(from) * 1000 - 1;
      untilS = to === undefined ? Number(from) : Number(to);
    }
    const filters = Object.entries(q).filter(([k]) => !["offset", "limit", "lastmodified"].includes(k));
    const rows = records(entity, account, sinceMs)
      .map((r) => r.row)
      .filter((r) => Number(r.lastmodified) <= untilS)
      .filter((r) => filters.every(([k, v]) => String(r[k] ?? "") === v));
    const data = rows.slice(offset, offset + PAGE_MAX);
    return Response.json({ pagination: { offset, limit: PAGE_MAX, count: data.length }, data });
  };
}

const CONFLICT = "Record has been changed by another user";

interface WriteContext {
  req: {
    header(name: string): string | undefined;
    param(name: string): string | undefined;
    json(): Promise<unknown>;
  };
}

/** Reads a write's JSON body, or the answer the API Service gives a bad one. */
async function writeBody(c: WriteContext): Promise<Row | Response> {
  const body = await c.req.json().catch(() => null);
  if (!body || typeof body !== "object" || Array.isArray(body)) return badRequest("Invalid JSON body");
  // An empty body crashes the real backend.
  if (Object.keys(body).length === 0)
    return Response.json({ message: "Internal server error" }, { status: 500 });
  return body as Row;
}

function create(entity: Entity) {
  return async (c: WriteContext) => {
    const account = accountOf(c);
    if (account instanceof Response) return account;
    countRequest(PROVIDER, account);
    const body = await writeBody(c);
    if (body instanceof Response) return body;
    const existing = records(entity, account);
    const d = dataset(PROVIDER, account, entity);
    const stored: Row = { ...body };
    delete stored.dockey;
    delete stored.updatecount;
    if (entity === "invoices") {
      const code = typeof body.code === "string" ? body.code : "";
      if (!code) return badRequest("Customer code is required");
      if (!Array.isArray(body.sdsdocdetail)) stored.sdsdocdetail = [];
      const docno = typeof body.docno === "string" ? body.docno : "";
      if (docno && existing.some((r) => r.row.docno === docno))
        return badRequest(`Duplicate document no. ${docno}`);
      const [n = 0] = d.create(1, Date.now(), stored);
      if (!docno) d.update(n, { docno: `IV-${pad(n)}` });
      const e = d.get(n);
      return e ? Response.json({ data: [recordOf(entity, itemOf(e), e.version)] }) : badRequest("not stored");
    }
    const code = typeof body.code === "string" ? body.code.trim() : "";
    if (!code) return badRequest("Code is required");
    if (code.length > 30) return badRequest("Code is too long");
    if (entity === "customers" && !body.companyname) return badRequest("Company name is required");
    if (entity === "products" && !body.description) return badRequest("Description is required");
    if (existing.some((r) => r.row.code === code)) return badRequest(`Duplicate code ${code}`);
    const [n = 0] = d.create(1, Date.now(), stored);
    const e = d.get(n);
    return e ? Response.json({ data: [recordOf(entity, itemOf(e), e.version)] }) : badRequest("not stored");
  };
}

function update(entity: Entity) {
  return async (c: WriteContext) => {
    const account = accountOf(c);
    if (account instanceof Response) return account;
    countRequest(PROVIDER, account);
    const key = c.req.param("key") ?? "";
    const body = await writeBody(c);
    if (body instanceof Response) return body;
    const found = records(entity, account).find((r) =>
      entity === "customers" ? r.row.code === key : String(r.n) === key,
    );
    if (!found) return Response.json({ message: "Record not found" }, { status: 404 });
    const stored = Number(found.row.updatecount);
    if (entity === "invoices" && body.updatecount === undefined) return badRequest(CONFLICT);
    if (body.updatecount !== undefined && Number(body.updatecount) !== stored + 1)
      return badRequest(CONFLICT);
    if (entity === "customers" && body.code !== undefined && body.code !== key) {
      return badRequest("Code cannot be changed");
    }
    const patch: Row = { ...body };
    delete patch.dockey;
    delete patch.updatecount;
    const d = dataset(PROVIDER, account, entity);
    const e = d.update(found.n, patch);
    return e ? Response.json({ data: [recordOf(entity, itemOf(e), e.version)] }) : badRequest("not stored");
  };
}

const OBJECTS: [string, Entity, string][] = [
  ["/customer", "customers", "/customer/:key"],
  ["/stockitem", "products", "/stockitem/:key"],
  ["/salesinvoice", "invoices", "/salesinvoice/:key"],
  ["/customerinvoice", "invoices", "/customerinvoice/:key"],
];

for (const [path, entity, keyed] of OBJECTS) {
  sql_accounting.get(path, list(entity));
  sql_accounting.post(path, create(entity));
  sql_accounting.put(keyed, update(entity));
}
