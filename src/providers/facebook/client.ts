/**
 * Facebook Page calls: test with `GET /me?fields=id,name` (a Page token answers with the Page),
 * and Messenger sends with `POST /{page-id or me}/messages` (JSON, Page token as bearer).
 */
import type { OutboundMessage, ProviderContext, SendResult, TestResult } from "../runtime.ts";
import { answerField, graph, node } from "./graph.ts";

/** The Page to send from: the configured page_id, or `me` (the token's own Page). */
function sender(ctx: ProviderContext): string {
  const pageId = ctx.config.page_id;
  if (typeof pageId === "number") return String(pageId);
  return typeof pageId === "string" && pageId.trim() ? pageId.trim() : "me";
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const res = await graph(ctx, "Facebook", { path: "/me", query: { fields: "id,name" } });
  const id = answerField(res, "Facebook", "id");
  const name = answerField(res, "Facebook", "name");
  return { message: `Connected as ${name} (id ${id})`, details: { id, name } };
}

export async function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  const res = await graph(ctx, "Facebook", {
    method: "POST",
    path: `${node(sender(ctx))}/messages`,
    // RESPONSE: a reply inside the 24-hour standard messaging window (providers.md §1a).
    json: { recipient: { id: msg.to }, messaging_type: "RESPONSE", message: { text: msg.text ?? "" } },
  });
  return { providerMessageId: answerField(res, "Facebook", "message_id") };
}
