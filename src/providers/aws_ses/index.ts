// Amazon SES email: AWS SigV4 with an access key pair; sends email; SES events arrive via SNS.

import { snsWebhook } from "../aws_sns/webhook.ts";
import { awsCredentialFields, emailSenderFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { send, test } from "./client.ts";
import { sesEffects } from "./events.ts";
import { authorize } from "./proxy.ts";
import { webhookSetup } from "./setup.ts";

export const provider = defineProvider({
  id: "aws_ses",
  category: "email",
  displayName: "Amazon SES",
  description:
    "Sends email through Amazon Simple Email Service (API v2) and tracks bounces and complaints via SNS.",
  authKind: "aws_sigv4",
  // `{region}` is replaced with the integration's region field.
  defaultBaseUrl: "https://email.{region}.amazonaws.com",
  fields: [
    ...awsCredentialFields(
      "ses:SendEmail and ses:GetAccount",
      "The AWS region where your SES identities are verified.",
    ),
    ...emailSenderFields({ fromHelp: "An address or domain verified in SES in the chosen region." }),
    {
      name: "configuration_set",
      label: "Configuration Set",
      type: "text",
      required: false,
      secret: false,
      help: "Sent with every email; its SNS event destination brings delivery, bounce and complaint events. Registering webhooks creates it when missing.",
    },
    {
      name: "topic_arn",
      label: "SNS Topic ARN",
      type: "text",
      required: false,
      secret: false,
      placeholder: "arn:aws:sns:us-east-1:123456789012:ses-events",
      help: "The SNS topic SES publishes events to; notifications of any other topic are refused. Filled in by registering webhooks.",
    },
  ],
  tokenField: "secret_access_key",
  test,
  send,
  webhook: snsWebhook(sesEffects),
  webhookSetup,
  authorize,
  // SES v2 is REST (reads are GET under /v2/email); the v1 Query API takes `?Action=` on `/`
  // for reads and sends alike, so only its Get, List and Describe actions read.
  proxyReadOnly: [
    { path: "/v2/email/**", forbidQuery: ["Action"] },
    { path: "/", query: { Action: /^(Get|List|Describe)[A-Za-z]+$/ } },
  ],
  channels: ["email"],
  docsUrl: "https://docs.aws.amazon.com/ses/latest/APIReference-V2/Welcome.html",
});
