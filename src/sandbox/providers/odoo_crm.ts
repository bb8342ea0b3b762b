/**
 * Simulated Odoo external API over JSON-RPC (`POST /jsonrpc`): the `common` service's
 * `version`, `login` and `authenticate`. Like Odoo, JSON-RPC errors come back with HTTP 200 and
 * an `error` object naming the Python exception; a refused login is `result: false`, not an
 * error; a request that is not JSON is refused before dispatch with werkzeug's 400 page.
 */
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
  if (service !== "common") {
    return serverError(id, "builtins.KeyError", `'${String(service)}'`);
  }
  const params = typeof method === "string" ? COMMON[method] : undefined;
  if (!params) return serverError(id, "builtins.KeyError", `'exp_${String(method)}'`);
  if (!Array.isArray(args)) return serverError(id, "builtins.TypeError", "args must be a list");
  const wrong = arityError(String(method), params, args.length);
  if (wrong) return serverError(id, "builtins.TypeError", wrong);
  return common(id, String(method), args);
});
