/**
 * The simulated SNS's topics, subscriptions and message signing, shared by its Query API
 * (aws_sns.ts), SES's event destinations (aws_ses.ts) and the webhook senders. Messages are
 * signed as SNS signs them (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA, over the
 * documented fields in order) with a real RSA key whose self-signed certificate the simulator
 * serves at `/aws_sns/SimpleNotificationService-sandbox.pem`. This is the simulator's own
 * implementation of AWS's algorithm, not the hub's verifier; test/official checks it with
 * AWS's `sns-validator`.
 */

/** The sandbox's signing certificate (self-signed, RSA 2048; a test fixture, not a secret). */
export const SANDBOX_SNS_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIDczCCAlugAwIBAgIUKYx7GuYvzh9XVj5s7jXcOSyVMwkwDQYJKoZIhvcNAQEL
BQAwSDEoMCYGA1UEAwwfc25zLnNhbmRib3guc3dpdGNoYm9hcmQuaW52YWxpZDEc
MBoGA1UECgwTU3dpdGNoYm9hcmQgc2FuZGJveDAgFw0yNjEyMDMxNTI3MzFaGA8y
MTI2MTEwOTE1MjczMVowSDEoMCYGA1UEAwwfc25zLnNhbmRib3guc3dpdGNoYm9h
cmQuaW52YWxpZDEcMBoGA1UECgwTU3dpdGNoYm9hcmQgc2FuZGJveDCCASIwDQYJ
KoZIhvcNAQEBBQADggEPADCCAQoCggEBAK+TYfdPGelbEy8LKYaxsZQQb8oAI1EN
FOaf5LeMUyNlU/OjNopusBBbk2mVq1C6pqrcTwaq8OTpO6AmjmLcw3jil1qXlYm4
TM6D2ymG/VuYcyxTqox3eTXi5nfJvmgIxm9sB5fU65SVHmKPpaz2upTidyTRMr3l
iFEAY/VSsRJ0qDGojbMSvklQUGUjq8DzBD08WoEAMfLWm/BC6hXrYfaASNtNOy/p
yfEQnICBOFSacsF4aGvsHDrhK703YyXbjyv9WMrdwWA/F0IZ7gwZvH20e0R/h8wJ
2lczhWumd16y09OwkqEfXqBeV/zl/W1R75uxor8RyPuThiEGYI168LECAwEAAaNT
MFEwHQYDVR0OBBYEFEO7YgLswQ/Z2MYFBjNOCE8Vwc/2MB8GA1UdIwQYMBaAFEO7
YgLswQ/Z2MYFBjNOCE8Vwc/2MA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQEL
BQADggEBADJ1wLMNph1oRIZAulH4dmJjqUnNfgCjr93rnah/CK8aAk8EGUG+Bh2h
GZF1sWq/wVjj2/VB713w2A0Y9Ut0u/4gXNLUJKlAfnXY1Db7de2XP4DmAf+F8wMW
Lrfb/wbiszcM2v8uQlMVI/Y0BEkhIssKIdrYQBfBTKR57DpjnXxC129X6MZKzOJs
TBXa879bxZP44QF1JGobwioLP3sXgp5JHTsbHWZDHS73fULlTSV5IzdM7ZFv5KeE
KQupXzOymu/k7yIuA51WRXrJjQEtBjhNUMzV5WEy9Vum3EZLPIcR87QprXy4IfXM
q56Hq3Dk4aNiDZYsO40RJvHXkd7uKvU=
-----END CERTIFICATE-----
`;

/** Its private key (PKCS#8), for signing the sandbox's messages only. */
const SANDBOX_SNS_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCvk2H3TxnpWxMv
CymGsbGUEG/KACNRDRTmn+S3jFMjZVPzozaKbrAQW5NplatQuqaq3E8GqvDk6Tug
Jo5i3MN44pdal5WJuEzOg9sphv1bmHMsU6qMd3k14uZ3yb5oCMZvbAeX1OuUlR5i
j6Ws9rqU4nck0TK95YhRAGP1UrESdKgxqI2zEr5JUFBlI6vA8wQ9PFqBADHy1pvw
QuoV62H2gEjbTTsv6cnxEJyAgThUmnLBeGhr7Bw64Su9N2Ml248r/VjK3cFgPxdC
Ge4MGbx9tHtEf4fMCdpXM4VrpndestPTsJKhH16gXlf85f1tUe+bsaK/Ecj7k4Yh
BmCNevCxAgMBAAECggEAFc+z3GK9v9EaHX5//qUlf9TY5lnFCWUcIxha8/hhPaTx
XHN6q5Dbm3Sc6AF5YlKFsPUkdhoXSgC1cQxJJPvy5poTnmP1ZkH4fLFBsTN9Vvsl
16xfJAsVij2xTtFHr6njaOUdPl3rlC5AM5NPzCBshmFp1q+MY63XlOR9BnVq3PVe
9L20WYN1QJ1rGKEFl9T+c2L7ZXpt5QYZzdDV4emK64lQ10wHoE/5pQc108SzG98m
qSP4ZxqRVl9ILKgM6nNww2kMZrtLkz1MhBOaKZ1zLHQYDwa9GeOXRIR+HOP3+19f
XKy+UpQwpOYbEZ39mqM2Ufn2NayxB5SG/mDLCTQlxwKBgQDwmUjIkyfbVnRd13hM
Dn9fx7y8nnKrSFNlCh/1KQ3doWFs+BpxFLoveMqonETynBn8IeYLvF/lavV0w+fQ
CKygJ8LbTuWPWMs+GpUgVcvsqVYt8+4D6MLMoKPoaMTditueyPgZoAL2JId/ljPD
NpxYRl4bs9D4MRZthXeSafB7fwKBgQC60I8nLOjtu0rj8j0j9ViDYkHKDJE5hSRG
c1iwIlJ6QJSOnFgBc8qfdByLs/vpIdCUzNzJyyP+0Abti+0nNuSoFXs5JeLFxFLr
JOe77H5uPySqQkiXyakXLJ/Zl2tcP+70pLamJcYqmXeaWv9KDq/msQ4H4XuwEKtl
FQApuBdrzwKBgQDTnV6A271Qk6fh6eQqsQ2jBqCgHZSpxgFjexZEoQlLB+gS2d0X
3K0tl8ZXqqqR4G6SbpZReCu4Mu0U+EHpndeHPbGLBset3uFUDDlhqVSlIQNlg4iy
84RySlAf2BZe7QThkc11bGFucQ6kT03TwzKcCbg4EV4ZDcO2LI/QvVEArQKBgBH/
iesyTnao9rwjWHSgbJir3L7EmzE5fJc1AbRmeh/BHQ7oTSpGp5zZKO7ktj5tvZS4
cAUZByzDigdU1dJTXZA8EZUd6002bu6srY7TaBLjDntAy5GkIiBTcksaZYOLvU/g
lqBHP2JXSsiaP8I4zAWjxUBJHwuFb53behqK2+bNAoGBAJvJZHajh+RizcwHMF68
j0ObYlO9e/0X15L/esi+td8C+gdhtNjQWp1FA4SRcqtqJeWVu5l+Ql/BYVL1FxlG
2KQ1dlsFXwhdct1Go+ffOsjninWYznedNKAgmaECghjNJY7LGi0p6IFwLF4NhSir
op1TR1I1wcgr2gCAO6HHGQGr
-----END PRIVATE KEY-----
`;

export const ACCOUNT_ID = "123456789012";
export const CERTIFICATE_PATH = "/SimpleNotificationService-sandbox.pem";

/** How many times each certificate path was downloaded (a test reads it to see the hub caches it). */
export const certificateDownloads = new Map<string, number>();

export interface Subscription {
  arn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  token: string;
  confirmed: boolean;
  /** Where the simulated SNS answers (its SubscribeURL and certificate URL are under it). */
  snsBase: string;
}

/** Topic ARNs by ARN, and subscriptions by ARN. */
export const topics = new Set<string>();
export const subscriptions = new Map<string, Subscription>();

export const topicArn = (region: string, name: string) => `arn:aws:sns:${region}:${ACCOUNT_ID}:${name}`;

const hex = (n: number) =>
  [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Subscribes an endpoint (pending until confirmed); an existing one for the same endpoint is kept. */
export function subscribe(topic: string, protocol: string, endpoint: string, snsBase: string): Subscription {
  for (const s of subscriptions.values())
    if (s.topicArn === topic && s.endpoint === endpoint && s.protocol === protocol) return s;
  const s: Subscription = {
    arn: `${topic}:${crypto.randomUUID()}`,
    topicArn: topic,
    protocol,
    endpoint,
    token: hex(128),
    confirmed: false,
    snsBase,
  };
  subscriptions.set(s.arn, s);
  return s;
}

/** The newest subscription of this endpoint, if any. */
export function subscriptionOf(endpoint: string): Subscription | undefined {
  return [...subscriptions.values()].reverse().find((s) => s.endpoint === endpoint);
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const b64 = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

const keys = new Map<string, Promise<CryptoKey>>();
function signingKey(hash: "SHA-1" | "SHA-256"): Promise<CryptoKey> {
  let k = keys.get(hash);
  if (!k) {
    k = crypto.subtle.importKey(
      "pkcs8",
      pemBody(SANDBOX_SNS_PRIVATE_KEY),
      { name: "RSASSA-PKCS1-v1_5", hash },
      false,
      ["sign"],
    );
    keys.set(hash, k);
  }
  return k;
}

/** AWS's documented field order of the string to sign, per message type. */
const ORDER: Record<string, string[]> = {
  Notification: ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
  SubscriptionConfirmation: [
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
  ],
  UnsubscribeConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
};

/** Adds SignatureVersion, Signature and SigningCertURL to an SNS message, as SNS does. */
export async function signSnsMessage(
  message: Record<string, string>,
  snsBase: string,
  version: "1" | "2" = "1",
): Promise<Record<string, string>> {
  const text = (ORDER[message.Type ?? ""] ?? [])
    .filter((k) => message[k] !== undefined)
    .map((k) => `${k}\n${message[k]}\n`)
    .join("");
  const key = await signingKey(version === "2" ? "SHA-256" : "SHA-1");
  const sig = new Uint8Array(
    await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(text)),
  );
  return {
    ...message,
    SignatureVersion: version,
    Signature: btoa(String.fromCharCode(...sig)),
    SigningCertURL: `${snsBase}${CERTIFICATE_PATH}`,
  };
}

/** The SubscriptionConfirmation SNS posts to a new subscription's endpoint. */
export function confirmationMessage(s: Subscription, now = Date.now()): Record<string, string> {
  const query = new URLSearchParams({ Action: "ConfirmSubscription", TopicArn: s.topicArn, Token: s.token });
  return {
    Type: "SubscriptionConfirmation",
    MessageId: crypto.randomUUID(),
    Token: s.token,
    TopicArn: s.topicArn,
    Message: `You have chosen to subscribe to the topic ${s.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: `${s.snsBase}/?${query}`,
    Timestamp: new Date(now).toISOString(),
  };
}

/** A Notification of `topic` carrying `message`. */
export function notificationMessage(
  topic: string,
  message: string,
  snsBase: string,
  subject?: string,
  now = Date.now(),
): Record<string, string> {
  const query = new URLSearchParams({
    Action: "Unsubscribe",
    SubscriptionArn: `${topic}:${crypto.randomUUID()}`,
  });
  return {
    Type: "Notification",
    MessageId: crypto.randomUUID(),
    TopicArn: topic,
    ...(subject ? { Subject: subject } : {}),
    Message: message,
    Timestamp: new Date(now).toISOString(),
    UnsubscribeURL: `${snsBase}/?${query}`,
  };
}
