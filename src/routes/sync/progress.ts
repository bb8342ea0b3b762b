/** What was queued, polled by id: one outward push and its outcome, one sync job and its progress. */
import { createRoute } from "@hono/zod-openapi";
import { orgAuth } from "../../middleware/auth.ts";
import { pushView, syncJobView } from "../../services/views.ts";
import { integrationIdOf } from "../integrations/input.ts";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi.ts";
import { JobEnvelope, JobIdParams, PushEnvelope, PushIdParams } from "./schema.ts";

export const syncProgressApi = createRouter();
const tags = ["Sync"];

syncProgressApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/pushes/{push_id}",
    tags,
    security,
    summary: "One outward push and its outcome",
    request: { params: PushIdParams },
    responses: { 200: jsonResponse(PushEnvelope, "The push"), ...errorResponses },
  }),
  async (c) => {
    const { id: ref, push_id } = c.req.valid("param");
    const id = await integrationIdOf(c, ref);
    const push = await c.get("services").sync.getPushFor(orgAuth(c).orgId, id, push_id);
    return c.json({ push: pushView(push) }, 200);
  },
);

syncProgressApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/sync-jobs/{job_id}",
    tags,
    security,
    summary: "One sync job with its progress",
    request: { params: JobIdParams },
    responses: { 200: jsonResponse(JobEnvelope, "The job"), ...errorResponses },
  }),
  async (c) => {
    const { id: ref, job_id } = c.req.valid("param");
    const id = await integrationIdOf(c, ref);
    const job = await c.get("services").sync.jobFor(orgAuth(c).orgId, id, job_id);
    return c.json({ job: syncJobView(job) }, 200);
  },
);
