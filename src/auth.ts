/** Who a request is made by: the admin token, or an organization's key with its role. */

export type Role = "admin" | "member";

export type Auth =
  | { kind: "admin" }
  | { kind: "org"; orgId: string; orgSlug: string; role: Role; keyId: string; actor: string };

export type OrgAuth = Extract<Auth, { kind: "org" }>;
