/** GET /api/audit-logs: the organization's audit log (secrets redacted), newest first. */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, ErrorCode } from "../errors.ts";
import { orgAuth } from "../middleware/auth.ts";
import { PageQuery } from "./integrations/schema.ts";
import { createRouter, errorResponses, jsonResponse, security } from "./openapi.ts";

export const auditApi = createRouter();

const AuditSchema = z
  .object({
    id: z.string(),
    actor: z.string(),
    action: z.string(),
    target_type: z.string(),
    target_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    request_id: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("AuditLog");

auditApi.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Audit"],
    security,
    summary: "Audit log: connect/disconnect, integration and key operations (admin keys only)",
    request: { query: PageQuery },
    responses: {
      200: jsonResponse(
        z.object({ audit_logs: z.array(AuditSchema), next_cursor: z.string().nullable() }),
        "Entries",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    if (auth.role !== "admin") throw new ApiError(ErrorCode.FORBIDDEN, "The audit log needs an admin key");
    const page = await c.get("services").activity.listAudit(auth.orgId, c.req.valid("query"));
    return c.json(
      {
        audit_logs: page.items.map((a) => ({
          id: a.id,
          actor: a.actor,
          action: a.action,
          target_type: a.targetType,
          target_id: a.targetId,
          details: a.details ?? null,
          request_id: a.requestId,
          created_at: a.createdAt,
        })),
        next_cursor: page.nextCursor,
      },
      200,
    );
  },
);
