/**
 * The public key of an X.509 certificate, for WebCrypto (which imports a SubjectPublicKeyInfo,
 * not a certificate): a short DER walk of RFC 5280's structure,
 *
 *   Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
 *   TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
 *                                 validity, subject, subjectPublicKeyInfo, ... }
 *
 * returning the subjectPublicKeyInfo element's bytes, tag and length included.
 */
import { fromBase64 } from "../../crypto/encoding.ts";

interface Element {
  tag: number;
  /** Where the element starts (its tag byte) and where its content starts and ends. */
  start: number;
  contentStart: number;
  end: number;
}

/** The DER element at `at`; throws on a truncated or indefinite-length one. */
function element(der: Uint8Array, at: number, limit = der.length): Element {
  const tag = der[at];
  let len = der[at + 1];
  if (tag === undefined || len === undefined) throw new Error("truncated DER");
  let contentStart = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error("unsupported DER length");
    len = 0;
    for (let i = 0; i < n; i++) {
      const b = der[contentStart + i];
      if (b === undefined) throw new Error("truncated DER");
      len = len * 256 + b;
    }
    contentStart += n;
  }
  const end = contentStart + len;
  if (end > limit) throw new Error("truncated DER");
  return { tag, start: at, contentStart, end };
}

const SEQUENCE = 0x30;

/** The SubjectPublicKeyInfo (DER) of a DER certificate; throws when it is not one. */
export function spkiOfCertificate(der: Uint8Array): Uint8Array<ArrayBuffer> {
  const cert = element(der, 0);
  if (cert.tag !== SEQUENCE) throw new Error("not a certificate");
  const tbs = element(der, cert.contentStart, cert.end);
  if (tbs.tag !== SEQUENCE) throw new Error("not a certificate");
  let at = tbs.contentStart;
  // [0] EXPLICIT version, when present (v2 and v3 certificates).
  if (der[at] === 0xa0) at = element(der, at, tbs.end).end;
  // serialNumber, signature, issuer, validity, subject.
  for (let i = 0; i < 5; i++) at = element(der, at, tbs.end).end;
  const spki = element(der, at, tbs.end);
  if (spki.tag !== SEQUENCE) throw new Error("no subjectPublicKeyInfo");
  return der.slice(spki.start, spki.end);
}

/** The DER bytes of the first certificate in a PEM text. */
export function pemCertificate(pem: string): Uint8Array<ArrayBuffer> {
  const m = pem.match(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/);
  if (!m?.[1]) throw new Error("no PEM certificate");
  return fromBase64(m[1].replace(/\s+/g, ""));
}
