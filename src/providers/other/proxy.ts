/** API proxy: the custom API's key as `Authorization: Bearer`. */
import { withHeaders } from "../proxy-auth.ts";
import type { ProviderContext } from "../runtime.ts";
import { bearerHeader } from "./bearer.ts";

export const authorize = (ctx: ProviderContext, request: Request): Promise<Request> =>
  withHeaders(request, bearerHeader(ctx, "api_key"));
