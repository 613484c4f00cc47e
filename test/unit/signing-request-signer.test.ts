import { createPublicKey, generateKeyPairSync, verify, type KeyObject } from "node:crypto";
import * as common from "oci-common";
import sshpk from "sshpk";
import { describe, expect, it } from "vitest";
import { NodeHttpClient } from "../../src/oci/http/node-http-client.js";
import { EMPTY_BODY_SHA256, SigningKeys, parsePrivateKey, tokenLife } from "../../src/oci/http/request-signer.js";
import { requestTarget } from "../../src/oci/http/request-target.js";

// Our signer against oci-common's DefaultRequestSigner: same request in, the same headers and the
// same Authorization out (RSA PKCS#1 v1.5 signatures are deterministic). No sockets.

const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), publicKey };
};
const first = pair();
const second = pair();
const X_DATE = "Tue, 01 Dec 2026 10:00:00 GMT";

/** A provider the way resource principal and config-file providers look to a signer. */
function provider(o: { keyId?: string; pem?: () => string; passphrase?: string | null; authType?: string; delegationToken?: string } = {}) {
  return {
    getKeyId: async () => o.keyId ?? "ST$eyJ.token.sig",
    getPrivateKey: o.pem ?? (() => first.pem),
    getPassphrase: () => o.passphrase ?? null,
    ...(o.authType ? { getAuthType: () => o.authType, getDelegationToken: () => o.delegationToken ?? "" } : {}),
  } as unknown as common.AuthenticationDetailsProvider;
}

function sdkRequest(method: common.Method, uri: string, headers: Record<string, string>, body?: string): common.HttpRequest {
  const h = new Headers();
  h.append("x-date", X_DATE);
  for (const [k, v] of Object.entries(headers)) h.append(k, v);
  return { method, uri, headers: h, ...(body !== undefined ? { body } : {}) };
}

/** The headers DefaultRequestSigner leaves on the request, lower-case names. */
async function sdkSigned(p: common.AuthenticationDetailsProvider, req: common.HttpRequest, forceExcludeBody: boolean): Promise<Record<string, string>> {
  const copy: common.HttpRequest = { ...req, headers: new Headers(req.headers) };
  await new common.DefaultRequestSigner(p).signHttpRequest(copy, forceExcludeBody);
  const out: Record<string, string> = {};
  copy.headers.forEach((v, k) => (out[k] = v));
  return out;
}

async function ours(p: common.AuthenticationDetailsProvider | SigningKeys, req: common.HttpRequest, forceExcludeBody: boolean) {
  const prepared = await new NodeHttpClient(p).prepare({ ...req, headers: new Headers(req.headers) }, forceExcludeBody);
  const headers: Record<string, string> = {};
  for (let i = 0; i < prepared.headers.length; i += 2) headers[prepared.headers[i] as string] = prepared.headers[i + 1] as string;
  return { ...prepared, headerMap: headers };
}

function signatureOf(authorization: string): { headers: string; signature: string; keyId: string } {
  const get = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(authorization)?.[1] ?? "";
  return { headers: get("headers"), signature: get("signature"), keyId: get("keyId") };
}

function verifies(publicKey: KeyObject, text: string, authorization: string): boolean {
  return verify("sha256", Buffer.from(text), publicKey, Buffer.from(signatureOf(authorization).signature, "base64"));
}

const OS = "https://objectstorage.us-ashburn-1.oraclecloud.com";

describe("signing matches oci-common's DefaultRequestSigner", () => {
  const cases: { name: string; method: common.Method; uri: string; headers: Record<string, string>; body?: string; exclude?: boolean }[] = [
    { name: "GET with a query", method: "GET", uri: `${OS}/n/ns/b/bucket/o?prefix=a%2Fb&limit=10&fields=name`, headers: { "content-type": "application/json", "opc-request-id": "ABC" } },
    { name: "GET of an encoded object name", method: "GET", uri: `${OS}/n/ns/b/bucket/o/dir%2Fa%20b%2Bc%26d%3De%23f%25g%3Fh'!*()~%C3%BC`, headers: {} },
    { name: "POST without a body (ReencryptObject with {})", method: "POST", uri: `${OS}/n/ns/b/bucket/actions/reencrypt/o%2F1?versionId=v1%2B%2F%3D`, headers: { "Content-Type": "application/json" } },
    { name: "POST with a JSON body", method: "POST", uri: `${OS}/n/ns/b/bucket/actions/reencrypt/o`, headers: { "Content-Type": "application/json" }, body: '{"kmsKeyId":"ocid1.key.oc1.iad.abc","ü":"x"}' },
    { name: "PUT with the body excluded (PutObject)", method: "PUT", uri: `${OS}/n/ns/b/bucket/o/report.jsonl`, headers: { "Content-Length": "11", "Content-Type": "application/x-ndjson" }, body: "hello world", exclude: true },
    { name: "an endpoint with a port", method: "GET", uri: "http://127.0.0.1:40089/n", headers: {} },
    { name: "an endpoint with a default port and a base path", method: "GET", uri: "https://secrets.vaults.us-ashburn-1.oci.oraclecloud.com:443/20190301/secretbundles/ocid1.vaultsecret.oc1..x?stage=CURRENT", headers: {} },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const p = provider();
      const req = sdkRequest(c.method, c.uri, c.headers, c.body);
      const sdk = await sdkSigned(p, req, c.exclude ?? false);
      const mine = await ours(p, req, c.exclude ?? false);
      for (const name of ["authorization", "host", "x-date", "content-type", "content-length", "x-content-sha256"]) {
        expect(mine.headerMap[name], name).toBe(sdk[name]);
      }
      expect(mine.headerMap["authorization"]).toMatch(/^Signature version="1",keyId="ST\$eyJ\.token\.sig",algorithm="rsa-sha256",headers="x-date \(request-target\) host( Content-Type Content-Length x-content-sha256)?",signature="[A-Za-z0-9+/=]{344}"$/);
    });
  }

  it("signs the body headers for POST/PUT/PATCH only, and the empty-body digest when there is none", async () => {
    const post = await ours(provider(), sdkRequest("POST", `${OS}/n/ns/b/bucket/actions/reencrypt/o`, {}), false);
    expect(signatureOf(post.headerMap["authorization"] as string).headers).toBe("x-date (request-target) host Content-Type Content-Length x-content-sha256");
    expect(post.headerMap).toMatchObject({ "content-type": "application/json", "content-length": "0", "x-content-sha256": EMPTY_BODY_SHA256 });
    const put = await ours(provider(), sdkRequest("PUT", `${OS}/n/ns/b/bucket/o/x`, { "Content-Length": "3" }, "abc"), true);
    expect(signatureOf(put.headerMap["authorization"] as string).headers).toBe("x-date (request-target) host");
    expect(put.headerMap["x-content-sha256"]).toBeUndefined();
    expect(put.headerMap["content-length"]).toBe("3");
    const get = await ours(provider(), sdkRequest("GET", `${OS}/n`, {}), false);
    expect(signatureOf(get.headerMap["authorization"] as string).headers).toBe("x-date (request-target) host");
  });

  it("signs a delegation token (opc-obo-token) as DefaultRequestSigner does", async () => {
    const p = provider({ authType: "delegation", delegationToken: "obo-token-value" });
    const req = sdkRequest("POST", `${OS}/n/ns/b/bucket/actions/reencrypt/o`, { "Content-Type": "application/json" }, '{"a":1}');
    const sdk = await sdkSigned(p, req, false);
    const mine = await ours(p, req, false);
    expect(mine.headerMap["opc-obo-token"]).toBe("obo-token-value");
    expect(mine.headerMap["authorization"]).toBe(sdk["authorization"]);
  });

  it("sends an API key's keyId (tenancy/user/fingerprint) as given", async () => {
    const p = provider({ keyId: "ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb:cc" });
    const req = sdkRequest("GET", `${OS}/n`, {});
    expect((await ours(p, req, false)).headerMap["authorization"]).toBe((await sdkSigned(p, req, false))["authorization"]);
  });
});

describe("request-target", () => {
  it.each([
    ["/n/ns/b/bucket/actions/reencrypt/..", "/n/ns/b/bucket/actions/reencrypt/%2E%2E"],
    ["/n/ns/b/bucket/o/.", "/n/ns/b/bucket/o/%2E"],
    ["/n/ns/b/../o/x", "/n/ns/b/%2E%2E/o/x"],
    ["/n/ns/b/./o/./x?prefix=..&start=.", "/n/ns/b/%2E/o/%2E/x?prefix=..&start=."],
    ["/n/ns/b/bucket/o/a%2F..%2Fb", "/n/ns/b/bucket/o/a%2F..%2Fb"],
    ["/n/ns/b/bucket/o/...", "/n/ns/b/bucket/o/..."],
    ["/n/ns/b/bucket/o/.x", "/n/ns/b/bucket/o/.x"],
    ["/n/ns/b/bucket/o/%2E%2E", "/n/ns/b/bucket/o/%2E%2E"],
    ["/n/ns/b/bucket/o?prefix=a b&x=ü#frag", "/n/ns/b/bucket/o?prefix=a%20b&x=%C3%BC%23frag"],
    ["/n/ns/b/bucket/o/tab\there", "/n/ns/b/bucket/o/tab%09here"],
  ])("%s → %s", (raw, sent) => {
    expect(requestTarget(raw)).toBe(sent);
  });

  it("signs and sends an object named .. under its own name, where the SDK's URL handling would drop it", async () => {
    const p = provider();
    const uri = `${OS}/n/ns/b/bucket/actions/reencrypt/..`;
    const mine = await ours(p, sdkRequest("POST", uri, {}), false);
    expect(mine.target).toBe("/n/ns/b/bucket/actions/reencrypt/%2E%2E");
    const text = [
      `x-date: ${X_DATE}`,
      "(request-target): post /n/ns/b/bucket/actions/reencrypt/%2E%2E",
      "host: objectstorage.us-ashburn-1.oraclecloud.com",
      "content-type: application/json",
      "content-length: 0",
      `x-content-sha256: ${EMPTY_BODY_SHA256}`,
    ].join("\n");
    expect(verifies(first.publicKey, text, mine.headerMap["authorization"] as string)).toBe(true);
    // What the SDK's own client did with that URI (new Request(uri).url): the name is gone.
    expect(new URL(uri).pathname).toBe("/n/ns/b/bucket/actions/");
  });
});

describe("the private key", () => {
  it("is parsed once, and again only when the provider's PEM changes (a rotated session key)", async () => {
    let pem = first.pem;
    const keys = new SigningKeys(provider({ pem: () => pem }));
    const sign = async () => (await ours(keys, sdkRequest("GET", `${OS}/n`, {}), false)).headerMap["authorization"] as string;
    const text = `x-date: ${X_DATE}\n(request-target): get /n\nhost: objectstorage.us-ashburn-1.oraclecloud.com`;
    for (let i = 0; i < 3; i++) expect(verifies(first.publicKey, text, await sign())).toBe(true);
    expect(keys.parses).toBe(1);
    pem = second.pem;
    const rotated = await sign();
    expect(verifies(second.publicKey, text, rotated)).toBe(true);
    expect(verifies(first.publicKey, text, rotated)).toBe(false);
    // An equal PEM in a new string (the RP provider re-reads its file) is not parsed again.
    pem = `${second.pem}`.slice(0);
    await sign();
    expect(keys.parses).toBe(2);
  });

  it("reads PKCS#1, encrypted PKCS#8 with a passphrase, and an OpenSSH-format key (through sshpk, once)", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pkcs1 = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const encrypted = privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "s3cret" }).toString();
    const openssh = sshpk.parsePrivateKey(pkcs1, "pem").toBuffer("openssh", {}).toString();
    expect(openssh).toContain("BEGIN OPENSSH PRIVATE KEY");
    const expected = publicKey.export({ type: "spki", format: "der" });
    for (const [pem, pass] of [
      [pkcs1, undefined],
      [encrypted, "s3cret"],
      [openssh, undefined],
    ] as const) {
      const key = await parsePrivateKey(pem, pass);
      expect(createPublicKey(key).export({ type: "spki", format: "der" }).equals(expected)).toBe(true);
    }
    // Through the provider interface, with its passphrase, against the SDK's signer.
    const p = provider({ pem: () => encrypted, passphrase: "s3cret" });
    const req = sdkRequest("GET", `${OS}/n`, {});
    expect((await ours(p, req, false)).headerMap["authorization"]).toBe((await sdkSigned(p, req, false))["authorization"]);
  });

  it("fails with a message that does not echo the key when nothing can read it", async () => {
    const error = await parsePrivateKey("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----", undefined).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^the private key cannot be read/);
    expect((error as Error).message).not.toContain("not a key");
  });
});

describe("the key id", () => {
  const jwt = (exp: number, iat?: number) =>
    `ST$${Buffer.from('{"alg":"RS256"}').toString("base64url")}.${Buffer.from(JSON.stringify({ exp, ...(iat !== undefined ? { iat } : {}) })).toString("base64url")}.c2ln`;
  const nowS = () => Math.floor(Date.now() / 1000);
  const counting = (keyId: () => string, pem: () => string = () => first.pem, refresh?: () => Promise<unknown>) => {
    let calls = 0;
    const p = { getKeyId: async () => (calls++, keyId()), getPrivateKey: pem, getPassphrase: () => null, ...(refresh ? { refresh } : {}) } as unknown as common.AuthenticationDetailsProvider;
    return { keys: new SigningKeys(p), calls: () => calls };
  };

  it("reads a token's expiry and refresh window; API keys never expire; anything unreadable is asked for every time", () => {
    expect(tokenLife(jwt(1_900_000_000, 1_900_000_000 - 1200))).toEqual({ expiresAt: 1_900_000_000_000, refreshWindowMs: 60_000 });
    expect(tokenLife(jwt(1_900_000_000, 1_900_000_000 - 4))).toEqual({ expiresAt: 1_900_000_000_000, refreshWindowMs: 2_000 });
    expect(tokenLife(jwt(1_900_000_000, 1_900_000_000 - 40))).toEqual({ expiresAt: 1_900_000_000_000, refreshWindowMs: 20_000 });
    expect(tokenLife(jwt(1_900_000_000, 1_900_000_000 - 1))).toEqual({ expiresAt: 1_900_000_000_000, refreshWindowMs: 1_000 });
    expect(tokenLife("ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb").expiresAt).toBe(Number.POSITIVE_INFINITY);
    expect(tokenLife("ST$not-a-jwt").expiresAt).toBe(0);
  });

  it("is asked for again after a second, on every request in a token's refresh window, and when the key changed", async () => {
    const far = counting(() => jwt(nowS() + 3600, nowS()));
    for (let i = 0; i < 5; i++) await far.keys.credentials();
    expect(far.calls()).toBe(1);

    const expiring = counting(() => jwt(nowS() + 30, nowS() - 3570));
    for (let i = 0; i < 5; i++) await expiring.keys.credentials();
    expect(expiring.calls()).toBe(5);

    let pem = first.pem;
    const rotating = counting(() => jwt(nowS() + 3600, nowS()), () => pem);
    await rotating.keys.credentials();
    await rotating.keys.credentials();
    expect(rotating.calls()).toBe(1);
    pem = second.pem;
    const { key } = await rotating.keys.credentials();
    expect(rotating.calls()).toBe(2);
    expect(createPublicKey(key).export({ type: "spki", format: "der" }).equals(second.publicKey.export({ type: "spki", format: "der" }))).toBe(true);
  });

  it("asks a provider that can refresh to do so inside the refresh window, at most four times a second, and signs with what it then holds", async () => {
    let token = jwt(nowS() + 20, nowS() - 3580);
    let pem = first.pem;
    const refresh = async () => {
      token = jwt(nowS() + 3600, nowS());
      pem = second.pem;
    };
    const c = counting(() => token, () => pem, refresh);
    const got = await c.keys.credentials();
    expect(c.keys.refreshes).toBe(1);
    expect(got.keyId).toBe(token);
    expect(createPublicKey(got.key).export({ type: "spki", format: "der" }).equals(second.publicKey.export({ type: "spki", format: "der" }))).toBe(true);
    // Files not replaced yet: the refresh gives back the same token; tried again only 250 ms later.
    const stale = counting(() => jwt(nowS() + 20, nowS() - 3580), undefined, async () => undefined);
    for (let i = 0; i < 5; i++) await stale.keys.credentials();
    expect(stale.keys.refreshes).toBe(1);
  });

  it("never pairs a key id with a key from another moment: a refresh between the two means asking again", async () => {
    let generation = 0;
    const pems = [first.pem, second.pem];
    const p = {
      // Another request's refresh lands while this one waits for its key id.
      getKeyId: async () => {
        const id = `ocid1.tenancy.oc1..t/ocid1.user.oc1..u/gen${generation}`;
        if (generation === 0) generation = 1;
        return id;
      },
      getPrivateKey: () => pems[generation] as string,
      getPassphrase: () => null,
    } as unknown as common.AuthenticationDetailsProvider;
    const { keyId, key } = await new SigningKeys(p).credentials();
    expect(keyId).toBe("ocid1.tenancy.oc1..t/ocid1.user.oc1..u/gen1");
    expect(createPublicKey(key).export({ type: "spki", format: "der" }).equals(second.publicKey.export({ type: "spki", format: "der" }))).toBe(true);
  });

  it("keeps signing with the previous pair when a refresh catches a rotation half-written (new key, old token)", async () => {
    const tokenFor = (k: { publicKey: KeyObject }, ttl: number) =>
      `ST$${Buffer.from('{"alg":"RS256"}').toString("base64url")}.${Buffer.from(
        JSON.stringify({ exp: nowS() + ttl, iat: nowS() + ttl - 3600, jwk: JSON.stringify(k.publicKey.export({ format: "jwk" })) }),
      ).toString("base64url")}.c2ln`;
    // A token in the last minute of its life, naming the first key.
    let token = tokenFor(first, 20);
    let pem = first.pem;
    const steps = [
      () => void (pem = second.pem), // the key file was replaced, the token file not yet
      () => void (token = tokenFor(second, 3600)), // the token file lands
    ];
    let refreshes = 0;
    const p = { getKeyId: async () => token, getPrivateKey: () => pem, getPassphrase: () => null } as unknown as common.AuthenticationDetailsProvider & { refresh?: () => Promise<void> };
    const keys = new SigningKeys(p);
    const der = (k: KeyObject) => createPublicKey(k).export({ type: "spki", format: "der" });
    const oldToken = token;
    const a = await keys.credentials();
    expect(a.keyId).toBe(oldToken);
    p.refresh = async () => steps[refreshes++]?.();
    const during = await keys.credentials();
    expect(refreshes).toBe(1);
    expect(during.keyId).toBe(oldToken);
    expect(der(during.key).equals(der(a.key))).toBe(true);
    const after = await keys.credentials();
    expect(refreshes).toBe(2);
    expect(after.keyId).toBe(token);
    expect(der(after.key).equals(second.publicKey.export({ type: "spki", format: "der" }))).toBe(true);
  });

  it("stops checking, as the SDK never did, when a provider's tokens never name its key", async () => {
    const foreign = `ST$${Buffer.from('{"alg":"RS256"}').toString("base64url")}.${Buffer.from(
      JSON.stringify({ exp: nowS() + 3600, iat: nowS(), jwk: JSON.stringify(second.publicKey.export({ format: "jwk" })) }),
    ).toString("base64url")}.c2ln`;
    const p = { getKeyId: async () => foreign, getPrivateKey: () => first.pem, getPassphrase: () => null, refresh: async () => undefined } as unknown as common.AuthenticationDetailsProvider;
    const keys = new SigningKeys(p);
    const t = Date.now();
    for (let i = 0; i < 3; i++) expect((await keys.credentials()).keyId).toBe(foreign);
    expect(Date.now() - t).toBeLessThan(1_000);
  });
});
