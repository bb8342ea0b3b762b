// Generic SMTP email: SMTP AUTH over a Workers TCP socket (STARTTLS on 587, TLS on 465); sends email.
import { emailSenderFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { send, test } from "./client.ts";

export const provider = defineProvider({
  id: "smtp",
  category: "email",
  displayName: "SMTP",
  description: "Sends email through any SMTP server that accepts authenticated submission.",
  authKind: "smtp",
  // No HTTP API: the host and port fields say where to connect.
  defaultBaseUrl: "",
  fields: [
    {
      name: "host",
      label: "SMTP Host",
      type: "text",
      required: true,
      secret: false,
      aliases: ["smtp_host"],
      placeholder: "smtp.example.com",
    },
    {
      name: "port",
      label: "Port",
      type: "number",
      required: true,
      secret: false,
      aliases: ["smtp_port"],
      default: 587,
      help: "587 for STARTTLS, 465 for TLS. Port 25 is blocked from Cloudflare Workers.",
    },
    {
      name: "username",
      label: "Username",
      type: "text",
      required: false,
      secret: false,
      aliases: ["smtp_username"],
    },
    {
      name: "password",
      label: "Password",
      type: "password",
      required: false,
      secret: true,
      aliases: ["smtp_password"],
    },
    {
      name: "security",
      label: "Security",
      type: "select",
      required: true,
      secret: false,
      aliases: ["smtp_security"],
      options: ["none", "starttls", "tls"],
      default: "starttls",
      help: "starttls upgrades a plain connection (port 587); tls connects encrypted from the start (port 465).",
    },
    ...emailSenderFields(),
  ],
  customerHostField: "host",
  tokenField: "password",
  test,
  send,
  channels: ["email"],
  docsUrl: "https://datatracker.ietf.org/doc/html/rfc5321",
});
