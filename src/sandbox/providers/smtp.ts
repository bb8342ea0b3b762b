/**
 * SMTP has no HTTP API to simulate: the provider connects with a TCP socket to the host and port
 * of the integration. Its tests run against real SMTP servers on 127.0.0.1 started by
 * test/smtp-server.global.ts; this route only exists so every provider has one.
 */
import { simulator } from "../lib.ts";

export const smtp = simulator();
