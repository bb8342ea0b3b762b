/**
 * Instagram API with Instagram Login (graph.instagram.com): test with
 * `GET /me?fields=user_id,username` and send Direct messages with `POST /me/messages` (JSON,
 * bearer token), as providers.md §1c describes.
 */
import { answerField, graph } from "../facebook/graph.ts";
import type { OutboundMessage, ProviderContext, SendResult, TestResult } from "../runtime.ts";

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const res = await graph(ctx, "Instagram", { path: "/me", query: { fields: "user_id,username" } });
  const username = answerField(res, "Instagram", "username");
  const userId = answerField(res, "Instagram", "user_id");
  return { message: `Connected as @${username}`, details: { user_id: userId, username } };
}

export async function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  const res = await graph(ctx, "Instagram", {
    method: "POST",
    path: "/me/messages",
    json: { recipient: { id: msg.to }, message: { text: msg.text ?? "" } },
  });
  return { providerMessageId: answerField(res, "Instagram", "message_id") };
}
