/** Hono context typing shared by middleware and routes. */
import type { Logger } from "./lib/log.ts";
import type { Services } from "./services/index.ts";

export type Role = "admin" | "member";

export type Auth =
  | { kind: "admin" }
  | { kind: "org"; orgId: string; orgSlug: string; role: Role; keyId: string; actor: string };

export type OrgAuth = Extract<Auth, { kind: "org" }>;

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    log: Logger;
    services: Services;
    auth: Auth;
  };
}
