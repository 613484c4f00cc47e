import { generateKeyPair, randomBytes, sign, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import type { RsaKeyPair } from "./key-pairs.js";

// A self-signed X.509 certificate for a loopback TLS server (the OKE proxymux endpoint, an https
// front for --cert-bundle), written in DER by hand: Node can check certificates but not make
// them, and the emulator must not need openssl or a package for it.

const generateKeyPairAsync = promisify(generateKeyPair);

const tlv = (tag: number, content: Buffer): Buffer => {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
};
const seq = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => tlv(0x31, Buffer.concat(parts));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number) as [number, number, ...number[]];
  const bytes = [40 * a + b];
  for (const v of rest) {
    const chunk = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) chunk.unshift((x & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

const integer = (bytes: Buffer): Buffer => tlv(0x02, (bytes[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
const utcTime = (d: Date): Buffer => tlv(0x17, Buffer.from(d.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, "$1$2$3$4$5$6Z"), "ascii"));
const name = (cn: string): Buffer => seq(set(seq(oid("2.5.4.3"), tlv(0x0c, Buffer.from(cn, "utf8")))));
const SHA256_WITH_RSA = seq(oid("1.2.840.113549.1.1.11"), Buffer.from([0x05, 0x00]));

export interface SelfSignedCert {
  /** The certificate (PEM): the server's, and the only CA a client needs to trust it. */
  certPem: string;
  /** Its private key (PKCS#8 PEM). */
  keyPem: string;
  privateKey: KeyObject;
}

/**
 * An RSA-2048, SHA-256 certificate for `dnsNames` and `ips` (subjectAltName), self-signed and
 * marked CA so that handing it to a client as its CA bundle makes it trusted. Valid from an hour
 * ago for `days` days.
 */
export async function selfSignedCert(
  o: { commonName?: string; dnsNames?: string[]; ips?: string[]; days?: number; keyPair?: Promise<RsaKeyPair> } = {},
): Promise<SelfSignedCert> {
  const { privateKey, publicKey } = await (o.keyPair ?? generateKeyPairAsync("rsa", { modulusLength: 2048 }));
  const serial = randomBytes(12);
  serial[0] = (serial[0] as number) & 0x7f;
  const now = Date.now();
  const subject = name(o.commonName ?? "oci-emulator");
  const altNames = [
    ...(o.dnsNames ?? ["localhost"]).map((d) => tlv(0x82, Buffer.from(d, "ascii"))),
    ...(o.ips ?? ["127.0.0.1"]).map((ip) => tlv(0x87, Buffer.from(ip.split(".").map(Number)))),
  ];
  const extensions = seq(
    // basicConstraints, critical: cA true.
    seq(oid("2.5.29.19"), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq(tlv(0x01, Buffer.from([0xff]))))),
    seq(oid("2.5.29.17"), tlv(0x04, seq(...altNames))),
  );
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    SHA256_WITH_RSA,
    subject,
    seq(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + (o.days ?? 30) * 86_400_000))),
    subject,
    publicKey.export({ type: "spki", format: "der" }),
    explicit(3, extensions),
  );
  const signature = sign("sha256", tbs, privateKey);
  const der = seq(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    privateKey,
  };
}
