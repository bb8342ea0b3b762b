// Amazon SNS SMS: AWS SigV4 with an access key pair; sends SMS and receives signed SNS HTTP/S notifications.

import { sesEffects } from "../aws_ses/events.ts";
import { awsCredentialFields, smsSenderFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { send, test } from "./client.ts";
import { authorize } from "./proxy.ts";
import { webhookSetup } from "./setup.ts";
import { snsWebhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "aws_sns",
  category: "sms",
  displayName: "Amazon SNS",
  description:
    "Sends SMS through Amazon Simple Notification Service and receives its signed topic notifications.",
  authKind: "aws_sigv4",
  // `{region}` is replaced with the integration's region field.
  defaultBaseUrl: "https://sns.{region}.amazonaws.com",
  fields: [
    ...smsSenderFields("An origination number registered with AWS for SMS, in E.164 form."),
    ...awsCredentialFields("sns:Publish and sns:ListTopics", "An AWS region that supports SMS messaging."),
    {
      name: "topic_arn",
      label: "Topic ARN",
      type: "text",
      required: false,
      secret: false,
      placeholder: "arn:aws:sns:us-east-1:123456789012:my-topic",
      help: "The topic whose notifications this integration receives; messages of any other topic are refused. Registering webhooks subscribes the hub to it (creating a topic when empty).",
    },
  ],
  tokenField: "secret_access_key",
  test,
  send,
  webhook: snsWebhook(sesEffects),
  webhookSetup,
  authorize,
  // The Query API takes `?Action=` for reads and publishes alike: only its Get and List actions
  // and CheckIfPhoneNumberIsOptedOut read.
  proxyReadOnly: [{ path: "/", query: { Action: /^((Get|List)[A-Za-z]+|CheckIfPhoneNumberIsOptedOut)$/ } }],
  channels: ["sms"],
  docsUrl: "https://docs.aws.amazon.com/sns/latest/api/welcome.html",
});
