/** Hono context typing shared by middleware and routes. */
import type { Auth } from "./auth.ts";
import type { Logger } from "./lib/log.ts";
import type { Services } from "./services/index.ts";

export type { Auth, OrgAuth, Role } from "./auth.ts";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    log: Logger;
    services: Services;
    auth: Auth;
  };
}
