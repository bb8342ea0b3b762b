// Field declarations several provider modules share (OAuth, AWS, email and SMS senders, Twilio, Meta).
import type { ProviderField } from "./types.ts";

/**
 * The OAuth access and refresh token, both filled in by the hub's OAuth connection.
 * @param refreshTokenHelp Help for the refresh token where the provider has something to add
 *   (a scope it needs, rotation); defaults to the access token's.
 */
export function oauthTokenFields(refreshTokenHelp = "Filled in by the OAuth connection."): ProviderField[] {
  return [
    {
      name: "access_token",
      label: "Access Token",
      type: "password",
      required: false,
      secret: true,
      help: "Filled in by the OAuth connection.",
    },
    {
      name: "refresh_token",
      label: "Refresh Token",
      type: "password",
      required: false,
      secret: true,
      help: refreshTokenHelp,
    },
  ];
}

/** Optional wording for {@link oauthAppFields}. */
export interface OAuthAppOptions {
  /** Where the app's credentials are found, e.g. "Developer portal → Keys & credentials". */
  where?: string;
  /** Appended to the client secret's help, e.g. "; it also verifies HubSpot's webhook signatures". */
  secretNote?: string;
  /** The provider's own word for the pair ("Consumer" → "Consumer Key (Client ID)", "consumer secret"). */
  vendorTerm?: string;
}

/**
 * Client ID and secret of the customer's own OAuth app, for connecting through it instead of the hub's.
 * @param app The app as the provider calls it, after "your own": "HubSpot app", "Google Cloud OAuth client".
 */
export function oauthAppFields(app: string, options: OAuthAppOptions = {}): ProviderField[] {
  const { where, secretNote = "", vendorTerm } = options;
  return [
    {
      name: "client_id",
      label: vendorTerm ? `${vendorTerm} Key (Client ID)` : "Client ID",
      type: "text",
      required: false,
      secret: false,
      help: `Only when connecting through your own ${app}${where ? `: ${where}` : ""}.`,
    },
    {
      name: "client_secret",
      label: vendorTerm ? `${vendorTerm} Secret (Client Secret)` : "Client Secret",
      type: "password",
      required: false,
      secret: true,
      help: `The ${vendorTerm ? vendorTerm.toLowerCase() : "client"} secret of your own ${app}${secretNote}.`,
    },
  ];
}

/**
 * An IAM access key pair and the region requests are signed for (SigV4).
 * @param permissions The IAM actions the key needs, e.g. "sns:Publish".
 * @param regionHelp What the region must be for this service.
 */
export function awsCredentialFields(permissions: string, regionHelp: string): ProviderField[] {
  return [
    {
      name: "access_key_id",
      label: "Access Key ID",
      type: "text",
      required: true,
      secret: false,
      placeholder: "AKIAIOSFODNN7EXAMPLE",
      help: `An IAM user's access key with permission for ${permissions}.`,
    },
    {
      name: "secret_access_key",
      label: "Secret Access Key",
      type: "password",
      required: true,
      secret: true,
      placeholder: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
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
      help: regionHelp,
    },
  ];
}

/**
 * The sender of outgoing email: from address (required), from name and reply-to.
 * @param fromHelp What the provider accepts as a from address, if it restricts it.
 * @param fromPlaceholder Example from address.
 */
export function emailSenderFields({
  fromHelp,
  fromPlaceholder = "noreply@example.com",
}: {
  fromHelp?: string;
  fromPlaceholder?: string;
} = {}): ProviderField[] {
  return [
    {
      name: "from_email",
      label: "From Email",
      type: "email",
      required: true,
      secret: false,
      placeholder: fromPlaceholder,
      ...(fromHelp === undefined ? {} : { help: fromHelp }),
    },
    { name: "from_name", label: "From Name", type: "text", required: false, secret: false },
    { name: "reply_to", label: "Reply-To Email", type: "email", required: false, secret: false },
  ];
}

/**
 * The sending phone number of an SMS provider, in E.164 form.
 * @param help Which of the provider's numbers qualify.
 */
export function smsSenderFields(help: string): ProviderField[] {
  return [
    {
      name: "from_phone_number",
      label: "From Phone Number",
      type: "phone",
      required: true,
      secret: false,
      placeholder: "+15551234567",
      help,
    },
  ];
}

/** Twilio's Account SID and Auth Token (basic auth; the token also verifies X-Twilio-Signature). */
export function twilioAccountFields(): ProviderField[] {
  return [
    {
      name: "account_sid",
      label: "Account SID",
      type: "text",
      required: true,
      secret: false,
      placeholder: "AC0123456789abcdef0123456789abcdef",
      help: "Twilio Console → Account info.",
    },
    {
      name: "auth_token",
      label: "Auth Token",
      type: "password",
      required: true,
      secret: true,
      placeholder: "0123456789abcdef0123456789abcdef",
      help: "Twilio Console → Account info; it also verifies Twilio's webhook signatures.",
    },
  ];
}

/**
 * A Meta app's secret, which verifies the X-Hub-Signature-256 of incoming Graph webhooks.
 * @param aliases Other names clients send it under, if any.
 */
export function metaAppSecretFields(aliases?: string[]): ProviderField[] {
  return [
    {
      name: "app_secret",
      label: "App Secret",
      type: "password",
      required: false,
      secret: true,
      ...(aliases === undefined ? {} : { aliases }),
      help: "Verifies the X-Hub-Signature-256 of incoming webhooks (Meta app settings → Basic).",
    },
  ];
}
