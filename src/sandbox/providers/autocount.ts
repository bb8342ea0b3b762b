/**
 * Simulated AutoCount Cloud Accounting Integration API: the creditor listing
 * (`GET /{accountBookId}/creditor/listing?page=N`) with the `Key-ID` and `API-Key` headers, and
 * AutoCount's `{"statusCode", "message"}` errors (401 documented; the 404 and 400 bodies follow
 * the same documented shape but are UNCONFIRMED).
 */
import { isInvalidCredential, simulator } from "../lib.ts";

export const autocount = simulator();

const RATE_HEADERS = { "x-rate-limit-limit": "1m", "x-rate-limit-remaining": "99" };

const fail = (statusCode: 400 | 401 | 404, text: string) =>
  Response.json({ statusCode, message: `${statusCode} ${text}.` }, { status: statusCode });

autocount.get("/:book/creditor/listing", (c) => {
  const keyId = c.req.header("key-id");
  const apiKey = c.req.header("api-key");
  if (!keyId || isInvalidCredential(apiKey) || isInvalidCredential(keyId)) return fail(401, "Unauthorized");
  if (!/^\d+$/.test(c.req.param("book"))) return fail(404, "Not Found");
  const page = Number(c.req.query("page") ?? "1");
  if (!Number.isInteger(page) || page < 1) return fail(400, "Bad Request");
  const data =
    page === 1 ? [{ accNo: "400-S001", companyName: "Sandbox Supplies Sdn Bhd", isActive: true }] : [];
  return c.json({ data, totalCount: 1 }, 200, RATE_HEADERS);
});
