import { generateKeyPairSync } from "node:crypto";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

// scripts/bundle-slimming.mjs: the replacements the function bundle makes must behave as what they
// replace. The PEM fast path must write the very text sshpk writes (oci-common hands it on as the
// resource principal's key pair). test/e2e/cold-start-loading.test.ts checks what a cold start loads.

const require = createRequire(import.meta.url);
const sshpk = require("sshpk") as {
  parsePrivateKey(data: string, format: string, options: { passphrase?: string }): { toPublic(): { toString(f: string): string }; toBuffer(f: string, o: object): Buffer };
};
const slimmingPath = "../../scripts/bundle-slimming.mjs";
const slimming = (await import(slimmingPath)) as { pemPrivateKeySource: string };

type FastPath = (data: string, options: { passphrase?: string }, fallback: () => unknown) => { toPublic(): { toString(f: string): string }; toBuffer(f: string): Buffer };
const fastPath = new Function("require", "Buffer", `${slimming.pemPrivateKeySource}\nreturn reencryptPemPrivateKey;`)(require, Buffer) as FastPath;

describe("the PEM fast path of oci-common's key suppliers", () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const forms: [string, string, { passphrase?: string }][] = [
    ["PKCS#1", privateKey.export({ type: "pkcs1", format: "pem" }) as string, {}],
    ["PKCS#8", privateKey.export({ type: "pkcs8", format: "pem" }) as string, {}],
    ["encrypted PKCS#8", privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "s3cret" }) as string, { passphrase: "s3cret" }],
    ["encrypted PKCS#1 (legacy PEM encryption)", privateKey.export({ type: "pkcs1", format: "pem", cipher: "aes-256-cbc", passphrase: "s3cret" }) as string, { passphrase: "s3cret" }],
  ];

  it.each(forms)("writes the same public and private PEM as sshpk for an RSA key in %s, without sshpk", (_name, pem, options) => {
    let fellBack = false;
    const fast = fastPath(pem, options, () => {
      fellBack = true;
      return undefined;
    });
    expect(fellBack).toBe(false);
    const slow = sshpk.parsePrivateKey(pem, "auto", options);
    expect(fast.toPublic().toString("pem")).toBe(slow.toPublic().toString("pem"));
    expect(fast.toBuffer("pem").toString()).toBe(slow.toBuffer("pem", {}).toString());
  });

  it("leaves what node:crypto cannot read as RSA PEM to sshpk: a wrong passphrase, an EC key, an OpenSSH-format key", () => {
    const fallback = { fromSshpk: true };
    const encrypted = forms[2] as [string, string, { passphrase?: string }];
    expect(fastPath(encrypted[1], { passphrase: "wrong" }, () => fallback)).toBe(fallback);
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    expect(fastPath(ec, {}, () => fallback)).toBe(fallback);
    const ed = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const openssh = require("sshpk").parsePrivateKey(ed, "pem").toString("openssh") as string;
    expect(openssh).toContain("OPENSSH PRIVATE KEY");
    expect(fastPath(openssh, {}, () => fallback)).toBe(fallback);
  });
});
