/** API proxy: the request signed with SigV4 for SES. */
import type { ProviderContext } from "../runtime.ts";
import { signAws } from "./sigv4.ts";

export const authorize = (ctx: ProviderContext, request: Request): Promise<Request> =>
  signAws(ctx, "ses", request);
