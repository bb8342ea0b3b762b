/** Twilio SMS: test connection (fetch the Account) and send an SMS from the integration's number. */
import type { OutboundMessage, ProviderContext, SendResult } from "../runtime.ts";
import { setting } from "../runtime.ts";
import { createMessage, fetchAccount } from "./api.ts";

export const test = fetchAccount;

export function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  return createMessage(ctx, { To: msg.to, From: setting(ctx, "from_phone_number"), Body: msg.text ?? "" });
}
