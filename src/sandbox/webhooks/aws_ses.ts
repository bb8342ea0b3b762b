/**
 * Amazon SES events as a configuration set's SNS event destination delivers them: an SNS
 * Notification (signed, see aws_sns.ts) whose Message is the SES event JSON (`eventType`,
 * `mail.messageId` = `data.provider_message_id`). Events: `delivery`, `bounce` (permanent),
 * `soft_bounce` (transient), `complaint`, and `subscription_confirmation`.
 */
import { confirmationFor, notificationFor } from "./aws_sns.ts";
import type { FireOptions, WebhookSender } from "./sender.ts";

function sesEvent(o: FireOptions, event: string): Record<string, unknown> {
  const at = new Date(o.now ?? Date.now()).toISOString();
  const to = o.data?.to ?? "recipient@example.com";
  const mail = {
    timestamp: at,
    source: "sender@example.com",
    sourceArn: "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
    sendingAccountId: "123456789012",
    messageId: o.data?.provider_message_id ?? `0100${crypto.randomUUID()}-000000`,
    destination: [to],
    headersTruncated: false,
    tags: { "ses:configuration-set": [String(o.config.configuration_set || "switchboard")] },
  };
  switch (event) {
    case "bounce":
    case "soft_bounce": {
      const permanent = event === "bounce";
      return {
        eventType: "Bounce",
        bounce: {
          bounceType: permanent ? "Permanent" : "Transient",
          bounceSubType: permanent ? "General" : "MailboxFull",
          bouncedRecipients: [
            {
              emailAddress: to,
              action: "failed",
              status: permanent ? "5.1.1" : "4.2.2",
              diagnosticCode: permanent ? "smtp; 550 5.1.1 user unknown" : "smtp; 452 4.2.2 mailbox full",
            },
          ],
          timestamp: at,
          feedbackId: `0100${crypto.randomUUID()}-000000`,
          reportingMTA: "dsn; a8-70.smtp-out.amazonses.com",
        },
        mail,
      };
    }
    case "complaint":
      return {
        eventType: "Complaint",
        complaint: {
          complainedRecipients: [{ emailAddress: to }],
          timestamp: at,
          feedbackId: `0100${crypto.randomUUID()}-000000`,
          userAgent: "Mozilla/5.0",
          complaintFeedbackType: "abuse",
          arrivalDate: at,
        },
        mail,
      };
    default:
      return {
        eventType: "Delivery",
        mail,
        delivery: {
          timestamp: at,
          processingTimeMillis: 546,
          recipients: [to],
          smtpResponse: "250 2.6.0 Message received",
          reportingMTA: "a8-70.smtp-out.amazonses.com",
        },
      };
  }
}

export const aws_ses: WebhookSender = {
  events: ["delivery", "bounce", "soft_bounce", "complaint", "subscription_confirmation"],
  build(o) {
    const event = o.event ?? "delivery";
    if (event === "subscription_confirmation") return confirmationFor(o);
    return notificationFor(o, JSON.stringify(sesEvent(o, event)));
  },
};
