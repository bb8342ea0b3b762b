/**
 * Simulated HubSpot API: the account details call (`GET /account-info/v3/details`) with a
 * Bearer token (private-app or OAuth), and HubSpot's `{status:"error", category}` auth errors.
 */
import { simulator } from "../lib.ts";
import { bearerToken, validBearer } from "./other.ts";

export const hubspot = simulator();

const authError = (category: string, message: string) =>
  Response.json(
    { status: "error", message, correlationId: crypto.randomUUID(), category },
    { status: 401, headers: { "x-hubspot-auth-failure": "401 Unauthorized" } },
  );

const NOT_FOUND =
  "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview";

hubspot.get("/account-info/v3/details", (c) => {
  const header = c.req.header("authorization");
  if (/expired/i.test(bearerToken(header) ?? "")) {
    return authError(
      "EXPIRED_AUTHENTICATION",
      "The OAuth token used to make this call expired 2 hour(s) ago.",
    );
  }
  if (!validBearer(header)) return authError("INVALID_AUTHENTICATION", NOT_FOUND);
  return c.json({
    portalId: 24681357,
    accountType: "STANDARD",
    timeZone: "US/Eastern",
    companyCurrency: "USD",
    additionalCurrencies: [],
    utcOffset: "-05:00",
    utcOffsetMilliseconds: -18000000,
    uiDomain: "app.hubspot.com",
    dataHostingLocation: "na1",
  });
});
