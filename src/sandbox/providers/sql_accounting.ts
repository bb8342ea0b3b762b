/**
 * Simulated SQL Account API Service: the sales-agent list (`GET /agent`) behind a SigV4 check.
 * The sandbox cannot know the secret key, so it checks the signature's form instead: an
 * `AWS4-HMAC-SHA256` Authorization header whose credential scope matches `x-amz-date`, a
 * recent `x-amz-date`, `host` and `x-amz-date` among the signed headers, and a 64-hex signature.
 * An access key containing "invalid" is refused. SQL's real error bodies are UNCONFIRMED; these
 * are the `{"message"}` bodies of the AWS API Gateway-style SigV4 front its samples target.
 */
import { isInvalidCredential, simulator } from "../lib.ts";

export const sql_accounting = simulator();

const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=(\S+), ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const MAX_SKEW_MS = 5 * 60_000;

const denied = (message: string) => Response.json({ message }, { status: 403 });

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
