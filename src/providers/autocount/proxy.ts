/**
 * API proxy: the static `Key-ID` and `API-Key` headers. The caller's path includes the account
 * book (`/{accountBookId}/...`), as AutoCount's routes do.
 */
import { withHeaders } from "../proxy-auth.ts";
import { type ProviderContext, secret, setting } from "../runtime.ts";

export const authorize = (ctx: ProviderContext, request: Request): Promise<Request> =>
  withHeaders(request, { "Key-ID": setting(ctx, "key_id"), "API-Key": secret(ctx, "api_key") });
