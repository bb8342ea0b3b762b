/**
 * Odoo external API over JSON-RPC (`POST /jsonrpc`): test connection calls
 * `common.authenticate(db, login, api_key, {})`, which answers the user id or `false`.
 * JSON-RPC is deprecated from Odoo 19 (JSON-2 replaces it) but served until Odoo 22.
 */
import {
  errorFrom,
  field,
  type ProviderContext,
  ProviderError,
  type ProviderResponse,
  request,
  secret,
  setting,
  type TestResult,
} from "../runtime.ts";

let rpcId = 0;

/**
 * Calls `service.method(...args)`. Odoo answers JSON-RPC errors with HTTP 200 and
 * `{error: {code, message, data: {name, message}}}`; anything but 200 is an HTTP-level failure.
 */
export async function rpc(ctx: ProviderContext, service: string, method: string, args: unknown[]) {
  if (!ctx.baseUrl) throw new ProviderError("permanent", "the integration has no api_base_url configured");
  const res = await request(ctx, {
    method: "POST",
    path: "/jsonrpc",
    json: { jsonrpc: "2.0", method: "call", params: { service, method, args }, id: ++rpcId },
  });
  if (res.status !== 200) throw httpFailure(res);
  const error = field(res.data, "error");
  if (error !== undefined) throw rpcFailure(error);
  if (!res.data || typeof res.data !== "object" || !("result" in res.data)) {
    throw new ProviderError(
      "permanent",
      "Odoo: the answer is not JSON-RPC (is the base URL an Odoo server?)",
    );
  }
  return (res.data as { result: unknown }).result;
}

function httpFailure(res: ProviderResponse): ProviderError {
  const reason =
    res.status === 404
      ? "no JSON-RPC endpoint at this URL (is the base URL an Odoo server?)"
      : String(field(res.data, "message") ?? "unexpected answer");
  return errorFrom(res, `Odoo: ${reason}`);
}

/** An Odoo server error: `data.name` is the Python exception (odoo.exceptions.AccessDenied, ...). */
function rpcFailure(error: unknown): ProviderError {
  const name = String(field(error, "data", "name") ?? "");
  const message = String(field(error, "data", "message") || field(error, "message") || "server error");
  const kind = /AccessDenied|AccessError|SessionExpired/.test(name) ? "auth" : "permanent";
  return new ProviderError(kind, `Odoo: ${message}`, { code: name || undefined });
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const db = setting(ctx, "database");
  const login = setting(ctx, "username");
  const uid = await rpc(ctx, "common", "authenticate", [db, login, secret(ctx, "api_key"), {}]);
  if (typeof uid !== "number") {
    throw new ProviderError("auth", `Odoo: wrong login or API key for database "${db}"`);
  }
  return {
    message: `Connected to Odoo database "${db}" as ${login} (user id ${uid})`,
    details: { uid },
  };
}
