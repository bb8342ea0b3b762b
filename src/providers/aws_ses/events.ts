/**
 * Amazon SES events as they reach an SNS topic, mapped onto message statuses: configuration-set
 * event publishing (`eventType`) and identity feedback notifications (`notificationType`) carry
 * the send's `mail.messageId`, which is the SendEmail MessageId the message was stored with.
 * A permanent bounce, a rejection or a rendering failure fails the message; a delivery (or a
 * complaint, open or click, which follow one) delivers it; a transient bounce or a delay leaves
 * it sent. A permanent bounce and a complaint also suppress the recipient.
 */
import { field } from "../runtime.ts";
import { type DeliveryStatus, statusEffect, type WebhookEffect } from "../webhooks.ts";

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** The first bounced recipient's diagnostic, or the bounce's type and subtype. */
function bounceReason(bounce: unknown): string {
  const kind = `${str(field(bounce, "bounceType")) ?? "Undetermined"} bounce (${str(field(bounce, "bounceSubType")) ?? "General"})`;
  const recipients = field(bounce, "bouncedRecipients");
  const first = Array.isArray(recipients) ? recipients[0] : undefined;
  const diagnostic = str(field(first, "diagnosticCode")) ?? str(field(first, "status"));
  return diagnostic ? `${kind}: ${diagnostic}` : kind;
}

function outcome(
  event: unknown,
): { status: DeliveryStatus; detail: string; error?: string; suppress?: "hard_bounce" | "complaint" } | null {
  const kind = str(field(event, "eventType")) ?? str(field(event, "notificationType"));
  switch (kind) {
    case "Send":
      return { status: "sent", detail: "send" };
    case "Delivery":
      return { status: "delivered", detail: "delivery" };
    case "Bounce": {
      const bounce = field(event, "bounce");
      return field(bounce, "bounceType") === "Permanent"
        ? {
            status: "failed",
            detail: "bounce",
            error: `Amazon SES: ${bounceReason(bounce)}`,
            suppress: "hard_bounce",
          }
        : { status: "sent", detail: "soft_bounce" };
    }
    case "Complaint":
      return { status: "delivered", detail: "complaint", suppress: "complaint" };
    case "Open":
      return { status: "delivered", detail: "open" };
    case "Click":
      return { status: "delivered", detail: "click" };
    case "DeliveryDelay":
      return { status: "sent", detail: "delivery_delay" };
    case "Reject":
      return {
        status: "failed",
        detail: "reject",
        error: `Amazon SES: rejected (${str(field(event, "reject", "reason")) ?? "unknown reason"})`,
      };
    case "Rendering Failure":
      return {
        status: "failed",
        detail: "rendering_failure",
        error: `Amazon SES: rendering failure (${str(field(event, "failure", "errorMessage")) ?? "template"})`,
      };
    default:
      return null;
  }
}

/** What an SES event (an SNS notification's parsed `Message`) does to the message it names. */
export function sesEffects(event: unknown): WebhookEffect[] {
  const providerMessageId = str(field(event, "mail", "messageId"));
  const o = outcome(event);
  if (!o || !providerMessageId) return [];
  return [statusEffect({ providerMessageId, ...o })];
}
