// Amazon SNS SMS: AWS SigV4 with an access key pair; sends SMS and receives signed SNS HTTP/S notifications.
import type { Provider } from "../types.ts";

export const provider = {
  id: "aws_sns",
  category: "sms",
  displayName: "Amazon SNS",
  description:
    "Sends SMS through Amazon Simple Notification Service and receives its signed topic notifications.",
  authKind: "aws_sigv4",
  // `{region}` is replaced with the integration's region field.
  defaultBaseUrl: "https://sns.{region}.amazonaws.com",
  fields: [
    {
      name: "from_phone_number",
      label: "From Phone Number",
      type: "phone",
      required: true,
      secret: false,
      placeholder: "+15551234567",
      help: "An origination number registered with AWS for SMS, in E.164 form.",
    },
    {
      name: "access_key_id",
      label: "Access Key ID",
      type: "text",
      required: true,
      secret: false,
      placeholder: "AKIA...",
      help: "An IAM user's access key with permission for sns:Publish.",
    },
    {
      name: "secret_access_key",
      label: "Secret Access Key",
      type: "password",
      required: true,
      secret: true,
      help: "Shown once when the IAM access key is created.",
    },
    {
      name: "region",
      label: "Region",
      type: "text",
      required: true,
      secret: false,
      default: "us-east-1",
      placeholder: "us-east-1",
      help: "An AWS region that supports SMS messaging.",
    },
  ],
  tokenField: "secret_access_key",
  capabilities: {
    test: true,
    send: ["sms"],
    webhooks: true,
    oauth: false,
    sync: [],
  },
  docsUrl: "https://docs.aws.amazon.com/sns/latest/api/welcome.html",
} satisfies Provider;
