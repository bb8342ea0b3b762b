/** API proxy: the OAuth access token as Bearer plus the organisation's `xero-tenant-id`. */
import { oauthBearer } from "../other/bearer.ts";
import { withHeaders } from "../proxy-auth.ts";
import { type ProviderContext, setting } from "../runtime.ts";

export const authorize = (ctx: ProviderContext, request: Request): Promise<Request> =>
  withHeaders(request, { ...oauthBearer(ctx), "xero-tenant-id": setting(ctx, "tenant_id") });
