/** API proxy: the request signed with SigV4 for SNS. */
import { signAws } from "../aws_ses/sigv4.ts";
import type { ProviderContext } from "../runtime.ts";

export const authorize = (ctx: ProviderContext, request: Request): Promise<Request> =>
  signAws(ctx, "sns", request);
