/** OAuth flows in progress and the connect sessions a browser uses to connect integrations. */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { organizations } from "./orgs.ts";
import { now } from "./shared.ts";

/**
 * OAuth `state` values of flows in progress: stored hashed, single use, bound to the
 * organization, provider, integration and return URL, with the PKCE verifier, for 10 minutes.
 */
export const oauthStates = sqliteTable(
  "oauth_states",
  {
    /** SHA-256 (hex) of the state sent to the provider. */
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    /** The integration to connect; null creates one on success. */
    integrationId: text("integration_id"),
    returnTo: text("return_to"),
    codeVerifier: text("code_verifier"),
    actor: text("actor").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("oauth_states_expires_idx").on(t.expiresAt)],
);

/** Short-lived tokens a browser uses to connect integrations without an API key. */
export const connectSessions = sqliteTable(
  "connect_sessions",
  {
    id: text("id").primaryKey(),
    /** SHA-256 (hex) of the token; the token itself is shown once. */
    tokenHash: text("token_hash").notNull().unique(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Providers the session may connect; null means any. */
    allowedProviders: text("allowed_providers", { mode: "json" }).$type<string[] | null>(),
    returnTo: text("return_to"),
    actor: text("actor").notNull(),
    expiresAt: integer("expires_at").notNull(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("connect_sessions_org_idx").on(t.orgId, t.id)],
);

export type OAuthStateRow = typeof oauthStates.$inferSelect;
export type ConnectSessionRow = typeof connectSessions.$inferSelect;
