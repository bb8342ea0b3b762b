// Amazon SES email: AWS SigV4 with an access key pair; sends email; SES events arrive via SNS.
import type { Provider } from "../types.ts";

export const provider = {
  id: "aws_ses",
  category: "email",
  displayName: "Amazon SES",
  description:
    "Sends email through Amazon Simple Email Service (API v2) and tracks bounces and complaints via SNS.",
  authKind: "aws_sigv4",
  // `{region}` is replaced with the integration's region field.
  defaultBaseUrl: "https://email.{region}.amazonaws.com",
  fields: [
    {
      name: "access_key_id",
      label: "Access Key ID",
      type: "text",
      required: true,
      secret: false,
      placeholder: "AKIA...",
      help: "An IAM user's access key with permission for ses:SendEmail and ses:GetAccount.",
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
      help: "The AWS region where your SES identities are verified.",
    },
    {
      name: "from_email",
      label: "From Email",
      type: "email",
      required: true,
      secret: false,
      placeholder: "noreply@example.com",
      help: "An address or domain verified in SES in the chosen region.",
    },
    { name: "from_name", label: "From Name", type: "text", required: false, secret: false },
    { name: "reply_to", label: "Reply-To Email", type: "email", required: false, secret: false },
  ],
  tokenField: "secret_access_key",
  capabilities: {
    test: true,
    send: ["email"],
    webhooks: true,
    oauth: false,
    sync: [],
  },
  docsUrl: "https://docs.aws.amazon.com/ses/latest/APIReference-V2/Welcome.html",
} satisfies Provider;
