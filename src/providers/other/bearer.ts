/**
 * Bearer-token helpers shared by the providers that authenticate with `Authorization: Bearer`:
 * the custom integration (its API key) and the OAuth providers (HubSpot, Salesforce, Google
 * Calendar, QuickBooks, Xero), whose access token the OAuth connection stores.
 */
import { type ProviderContext, ProviderError } from "../runtime.ts";

/**
 * The `Authorization: Bearer` header with the first of `names` the integration has a secret for.
 * Throws a permanent error naming the missing token otherwise.
 */
export function bearerHeader(ctx: ProviderContext, ...names: string[]): { authorization: string } {
  for (const name of names) {
    const token = ctx.secrets[name];
    if (token) return { authorization: `Bearer ${token}` };
  }
  throw new ProviderError("permanent", `the integration has no ${names.join(" or ")} configured`);
}

/**
 * The OAuth access token as a Bearer header. Until the OAuth flow exists the token is the
 * integration's `access_token` secret, entered by hand or filled in by a connection.
 */
export function oauthBearer(ctx: ProviderContext): { authorization: string } {
  if (!ctx.secrets.access_token) {
    throw new ProviderError(
      "permanent",
      "the integration has no access_token yet (connect it through OAuth)",
    );
  }
  return bearerHeader(ctx, "access_token");
}
