/**
 * Simulated Odoo external API over JSON-RPC (`POST /jsonrpc`): the `common` service's
 * `version`, `login` and `authenticate`, and the `object` service's `execute_kw` with
 * `search_read` on res.partner, product.product and account.move over the sandbox dataset
 * (domains in Odoo's prefix notation, `order`, `limit`, `offset`, `fields`). Like Odoo, JSON-RPC
 * errors come back with HTTP 200 and an `error` object naming the Python exception; a refused
 * login is `result: false`, not an error; a request that is not JSON is refused before dispatch
 * with werkzeug's 400 page. The dataset account is the database name (`odooAccount`).
 */
import { countRequest, type Dataset, dataset, itemOf, takeFault } from "../dataset.ts";
import { isInvalidCredential, simulator } from "../lib.ts";

export const odoo_crm = simulator();

const SANDBOX_UID = 2;

const result = (id: unknown, value: unknown) => Response.json({ jsonrpc: "2.0", id, result: value });

/** An Odoo server error: HTTP 200, code 200, `data.name` the exception's qualified name. */
const serverError = (id: unknown, name: string, message: string) =>
  Response.json({
    jsonrpc: "2.0",
    id,
    error: {
      code: 200,
      message: "Odoo Server Error",
      data: {
        name,
        debug: `Traceback (most recent call last):\n${name}: ${message}\n`,
        message,
        arguments: [message],
        context: {},
      },
    },
  });

const NOT_JSON = `<!doctype html>
<html lang=en>
<title>400 Bad Request</title>
<h1>Bad Request</h1>
<p>Request inferred type is compatible with [&#39;http&#39;] but &#39;/jsonrpc&#39; is type=&#39;json&#39;.

Please verify the Content-Type request header and try again.</p>
`;

/** The `common` service's methods by their Python parameter names (`exp_<method>`). */
const COMMON: Record<string, string[]> = {
  version: [],
  login: ["db", "login", "password"],
  authenticate: ["db", "login", "password", "user_agent_env"],
};

/** Python's TypeError text for a wrong number of positional arguments, if the count is wrong. */
function arityError(method: string, params: string[], given: number): string | null {
  if (given === params.length) return null;
  if (given > params.length) {
    return `exp_${method}() takes ${params.length} positional arguments but ${given} were given`;
  }
  const missing = params.slice(given).map((p) => `'${p}'`);
  const n = missing.length;
  const names = n === 1 ? missing[0] : `${missing.slice(0, -1).join(", ")} and ${missing[n - 1]}`;
  return `exp_${method}() missing ${n} required positional argument${n === 1 ? "" : "s"}: ${names}`;
}

function common(id: unknown, method: string, args: unknown[]): Response {
  if (method === "version") {
    return result(id, {
      server_version: "17.0",
      server_version_info: [17, 0, 0, "final", 0, ""],
      server_serie: "17.0",
      protocol_version: 1,
    });
  }
  const [db, login, password] = args;
  if (typeof db !== "string" || !db) return serverError(id, "odoo.exceptions.AccessDenied", "Access Denied");
  const ok = typeof login === "string" && login !== "" && typeof password === "string";
  return result(id, ok && !isInvalidCredential(password) ? SANDBOX_UID : false);
}

odoo_crm.post("/jsonrpc", async (c) => {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json(-rpc)?\b/.test(type)) return c.html(NOT_JSON, 400);
  let body: { id?: unknown; params?: { service?: unknown; method?: unknown; args?: unknown } };
  try {
    body = await c.req.json();
  } catch {
    return serverError(null, "werkzeug.exceptions.BadRequest", "400 Bad Request: Invalid JSON data");
  }
  const id = body?.id ?? null;
  const { service, method, args = [] } = body?.params ?? {};
  if (service !== "common" && service !== "object") {
    return serverError(id, "builtins.KeyError", `'${String(service)}'`);
  }
  if (service === "object") return object(id, method, args);
  const params = typeof method === "string" ? COMMON[method] : undefined;
  if (!params) return serverError(id, "builtins.KeyError", `'exp_${String(method)}'`);
  if (!Array.isArray(args)) return serverError(id, "builtins.TypeError", "args must be a list");
  const wrong = arityError(String(method), params, args.length);
  if (wrong) return serverError(id, "builtins.TypeError", wrong);
  return common(id, String(method), args);
});

// ---------------------------------------------------------------------------------------------
// The `object` service: execute_kw(db, uid, password, model, method, args, kwargs).

/** The dataset account of a call: the Odoo database it names. */
export const odooAccount = (db: string): string => db;

type DatasetEntry = ReturnType<Dataset["list"]>[number];
type OdooRecord = Record<string | symbol, unknown>;

/** Each model: its dataset entity and how an item reads. */
const MODELS: Record<string, { entity: string; read(e: DatasetEntry): OdooRecord }> = {
  "res.partner": { entity: "customers", read: partner },
  "product.product": { entity: "products", read: product },
  "account.move": { entity: "invoices", read: move },
};

const pad = (n: number) => String(n).padStart(5, "0");
/** Odoo's datetime as read: UTC, whole seconds. */
const odooTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");
/** Stored datetimes keep their fractions; domains compare with them (see `compare`). */
const PRECISE = Symbol("precise");
const COUNTRIES: Record<string, [number, string]> = {
  MY: [157, "Malaysia"],
  SG: [197, "Singapore"],
  US: [233, "United States"],
  GB: [231, "United Kingdom"],
};

function base(e: DatasetEntry): OdooRecord {
  return {
    id: e.n,
    create_date: odooTime(e.createdAt),
    write_date: odooTime(e.modifiedAt),
    [PRECISE]: { write_date: e.modifiedAt, create_date: e.createdAt },
  };
}

function partner(e: DatasetEntry): OdooRecord {
  const f = itemOf(e).fields;
  const [countryId, countryName] = COUNTRIES[f.country] ?? [0, f.country];
  // Every 20th partner is a vendor only (customer_rank 0).
  const vendor = f.n % 20 === 0;
  return {
    ...base(e),
    name: f.name,
    display_name: `${f.company}, ${f.name}`,
    email: f.email,
    phone: f.phone,
    mobile: false,
    is_company: false,
    parent_id: [100_000 + f.n, f.company],
    commercial_company_name: f.company,
    street: f.street,
    street2: false,
    city: f.city,
    state_id: [1000 + (f.n % 4), `${f.region} (${f.country})`],
    zip: f.postalCode,
    country_id: [countryId, countryName],
    country_code: f.country,
    customer_rank: vendor ? 0 : 1,
    supplier_rank: vendor ? 1 : 0,
    active: true,
  };
}

function product(e: DatasetEntry): OdooRecord {
  const f = itemOf(e).fields;
  const name = f.lines[0]?.description ?? f.sku;
  return {
    ...base(e),
    name,
    display_name: `[${f.sku}] ${name}`,
    default_code: f.sku,
    description_sale: `Sandbox product ${f.sku}`,
    list_price: f.price,
    currency_id: [1, f.currency],
    product_tmpl_id: [f.n, name],
    active: true,
  };
}

function move(e: DatasetEntry): OdooRecord {
  const f = itemOf(e).fields;
  // Every 10th is a credit note, every 25th a vendor bill (not an out_* move).
  const type = f.n % 25 === 0 ? "in_invoice" : f.n % 10 === 0 ? "out_refund" : "out_invoice";
  const state = f.status === "draft" ? "draft" : f.status === "void" ? "cancel" : "posted";
  const prefix = type === "out_refund" ? "RINV" : type === "in_invoice" ? "BILL" : "INV";
  return {
    ...base(e),
    name: state === "draft" ? "/" : `${prefix}/2026/${pad(f.n)}`,
    move_type: type,
    partner_id: [f.customerN, fieldsName(f.customerN)],
    invoice_date: state === "draft" ? false : f.issueDate,
    invoice_date_due: f.dueDate,
    currency_id: [1, f.currency],
    amount_untaxed: f.total,
    amount_total: f.total,
    state,
    payment_state: f.status === "paid" ? "paid" : "not_paid",
    invoice_line_ids: f.lines.map((_, i) => f.n * 10 + i),
  };
}

/** The partner name of dataset item `n` (what partner_id's display name shows). */
const fieldsName = (n: number) =>
  itemOf({ n, createdAt: 0, modifiedAt: 0, deleted: false, version: 1 }).fields.name;

/** A domain leaf's value for a record: a many2one compares by id; datetimes with their fractions. */
function compare(record: OdooRecord, name: string, op: string, value: unknown): boolean {
  const precise = (record[PRECISE] as Record<string, number> | undefined)?.[name];
  let left: unknown = record[name];
  let right: unknown = value;
  if (precise !== undefined && typeof value === "string") {
    left = precise;
    right = Date.parse(`${value.replace(" ", "T")}Z`);
  } else if (Array.isArray(left)) {
    left = left[0];
  }
  switch (op) {
    case "=":
      return left === right || (right === false && (left === null || left === undefined));
    case "!=":
      return left !== right;
    case ">":
      return (left as number) > (right as number);
    case ">=":
      return (left as number) >= (right as number);
    case "<":
      return (left as number) < (right as number);
    case "<=":
      return (left as number) <= (right as number);
    case "in":
      return Array.isArray(right) && right.includes(left);
    case "not in":
      return Array.isArray(right) && !right.includes(left);
    default:
      throw new DomainError(`Invalid leaf ${JSON.stringify([name, op, value])}`);
  }
}

class DomainError extends Error {}

/** Evaluates an Odoo domain (prefix `&`, `|`, `!`; leaves `[field, op, value]`; implicit AND). */
function matches(domain: unknown[], record: OdooRecord): boolean {
  let i = 0;
  const expr = (): boolean => {
    const token = domain[i++];
    if (token === "&") {
      const a = expr();
      const b = expr();
      return a && b;
    }
    if (token === "|") {
      const a = expr();
      const b = expr();
      return a || b;
    }
    if (token === "!") return !expr();
    if (Array.isArray(token) && token.length === 3 && typeof token[0] === "string") {
      if (!(token[0] in record))
        throw new DomainError(`Invalid field ${record.__model}.${token[0]} in leaf ${JSON.stringify(token)}`);
      return compare(record, token[0], String(token[1]), token[2]);
    }
    throw new DomainError(`Invalid domain term ${JSON.stringify(token)}`);
  };
  let ok = true;
  while (i < domain.length) ok = expr() && ok;
  return ok;
}

/** Sorts by an `order` spec like `write_date asc, id asc` (datetimes with their fractions). */
function sortBy(records: OdooRecord[], order: string): OdooRecord[] {
  const keys = order
    .split(",")
    .map((part) => part.trim().split(/\s+/))
    .filter(([name]) => name)
    .map(([name = "id", dir = "asc"]) => ({ name, desc: dir.toLowerCase() === "desc" }));
  const value = (r: OdooRecord, name: string) =>
    (r[PRECISE] as Record<string, number> | undefined)?.[name] ?? r[name];
  return [...records].sort((a, b) => {
    for (const k of keys) {
      const x = value(a, k.name) as number | string;
      const y = value(b, k.name) as number | string;
      if (x !== y) return (x < y ? -1 : 1) * (k.desc ? -1 : 1);
    }
    return 0;
  });
}

/** An armed fault as an Odoo server (behind its proxy) answers it. */
function faultResponse(id: unknown, fault: { status: number; retryAfter: number }): Response {
  if (fault.status === 429) {
    return new Response("<html><body><h1>429 Too Many Requests</h1></body></html>", {
      status: 429,
      headers: { "content-type": "text/html", "retry-after": String(fault.retryAfter) },
    });
  }
  if (fault.status === 401 || fault.status === 403) {
    return serverError(id, "odoo.exceptions.AccessDenied", "Access Denied");
  }
  if (fault.status >= 500) {
    return new Response(`<html><body><h1>${fault.status} Server Error</h1></body></html>`, {
      status: fault.status,
      headers: { "content-type": "text/html" },
    });
  }
  return serverError(id, "odoo.exceptions.ValidationError", "Invalid request");
}

function object(id: unknown, method: unknown, args: unknown): Response {
  if (method !== "execute_kw") return serverError(id, "builtins.KeyError", `'exp_${String(method)}'`);
  if (!Array.isArray(args) || args.length < 6 || args.length > 7) {
    return serverError(
      id,
      "builtins.TypeError",
      `exp_execute_kw() takes from 6 to 7 positional arguments but ${Array.isArray(args) ? args.length : 0} were given`,
    );
  }
  const [db, uid, password, model, name, positional, kwargs = {}] = args as [
    unknown,
    unknown,
    unknown,
    unknown,
    unknown,
    unknown,
    Record<string, unknown>?,
  ];
  const fault = takeFault("odoo_crm");
  if (fault) return faultResponse(id, fault);
  if (
    typeof db !== "string" ||
    !db ||
    uid !== SANDBOX_UID ||
    typeof password !== "string" ||
    isInvalidCredential(password)
  ) {
    return serverError(id, "odoo.exceptions.AccessDenied", "Access Denied");
  }
  countRequest("odoo_crm", odooAccount(db));
  const spec = typeof model === "string" ? MODELS[model] : undefined;
  if (!spec) return serverError(id, "builtins.KeyError", `'${String(model)}'`);
  if (name !== "search_read") {
    return serverError(
      id,
      "builtins.AttributeError",
      `The method '${String(name)}' does not exist on the model '${String(model)}'`,
    );
  }
  const [domain = []] = Array.isArray(positional) ? positional : [];
  if (!Array.isArray(domain)) return serverError(id, "builtins.ValueError", "Invalid domain");
  const fields = Array.isArray(kwargs.fields) ? (kwargs.fields as unknown[]).map(String) : null;
  const limit = typeof kwargs.limit === "number" ? kwargs.limit : null;
  const offset = typeof kwargs.offset === "number" ? kwargs.offset : 0;
  const order = typeof kwargs.order === "string" ? kwargs.order : "id";
  // Generated items are all active; active_test=false would also list archived ones.
  const records = dataset("odoo_crm", db, spec.entity).list().map(spec.read);
  let found: OdooRecord[];
  try {
    found = records.filter((r) => matches(domain, { ...r, __model: model }));
  } catch (e) {
    if (e instanceof DomainError) return serverError(id, "builtins.ValueError", e.message);
    throw e;
  }
  const sample = records[0] ?? {};
  const unknown = fields?.find((f) => !(f in sample));
  if (records.length && unknown) {
    return serverError(id, "builtins.ValueError", `Invalid field '${unknown}' on model '${String(model)}'`);
  }
  const page = sortBy(found, order).slice(offset, limit === null ? undefined : offset + limit);
  return result(
    id,
    page.map((r) => (fields ? Object.fromEntries(["id", ...fields].map((f) => [f, r[f]])) : { ...r })),
  );
}
