import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selfSignedCert, type Seed } from "../../src/local/emulator/index.js";
import { cliWorld, runCli, type CliWorld } from "./cli-helpers.js";
import { expectAllSigned, wrapOf } from "./helpers.js";

// The `oci` CLI's other ways in (issue 19), as the built CLI against the emulator: a session token
// (security-token signatures), OKE workload identity (a service account token exchanged at an
// emulated proxymux over TLS), instance_obo_user's configuration, --cert-bundle against a TLS
// endpoint, and --query on `status` output from the deployed function.

const seed: Seed = {
  namespace: "authns",
  buckets: [{ name: "plain", objects: [{ prefix: "a", count: 12 }] }],
  functions: [{ name: "reencrypt" }],
};

let w: CliWorld;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  w = await cliWorld({ seed });
  env = { HOME: w.dir, OCI_CLI_CONFIG_FILE: w.key.configFile, OCI_CLI_ENDPOINT: w.em.url };
});
afterAll(async () => {
  expectAllSigned(w.em);
  await w.close();
});

const name = (i: number) => `a${String(i).padStart(6, "0")}`;
const since = (n: number) => w.em.requests.slice(n);

describe("auth types", () => {
  it("--auth security_token: the session key signs, keyId ST$<token>", async () => {
    const session = await w.em.issueSessionToken({ userId: "ocid1.user.oc1..session-operator" });
    const n = w.em.requests.length;
    const r = await runCli(["object", "--auth", "security_token", "-bn", "plain", "-on", name(0)], { env: { ...env, OCI_CLI_CONFIG_FILE: session.configFile } });
    expect(r.code, r.stderr).toBe(0);
    expect(since(n).map((q) => [q.operation, q.principalType, q.principal, q.tokenId])).toEqual([
      ["GetNamespace", "session", "ocid1.user.oc1..session-operator", session.claims.jti],
      ["ReencryptObject", "session", "ocid1.user.oc1..session-operator", session.claims.jti],
    ]);
    expect(wrapOf(w.em, "plain", name(0)).reencryptCount).toBe(1);
    // An expired session: said before any call.
    const old = await w.em.issueSessionToken({ ttlSeconds: -10 });
    const m = w.em.requests.length;
    const expired = await runCli(["object", "--auth", "security_token", "-bn", "plain", "-on", name(0)], { env: { ...env, OCI_CLI_CONFIG_FILE: old.configFile } });
    expect(expired.code).toBe(2);
    expect(expired.stderr).toMatch(/the session token in .* expired at .*: run "oci session refresh"/);
    expect(w.em.requests.length).toBe(m);
  });

  it("--auth oke_workload_identity: the service account token (file, or OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_STRING) exchanged at the proxymux for an RPST", async () => {
    const compartmentId = w.em.state.defaultCompartmentId;
    const oke = await w.em.issueOkeWorkloadIdentity({ compartmentId });
    try {
      const podEnv = { HOME: w.dir, OCI_CLI_ENDPOINT: w.em.url, OCI_CLI_AUTH: "oke_workload_identity", ...oke.env };
      let n = w.em.requests.length;
      const r = await runCli(["object", "-bn", "plain", "-on", name(1)], { env: podEnv });
      expect(r.code, r.stderr).toBe(0);
      expect(oke.exchanges).toHaveLength(1);
      expect(oke.exchanges[0]).toMatchObject({ status: 200, opcRequestId: expect.stringMatching(/^[0-9A-F]{32}$/) });
      expect(since(n).map((q) => [q.operation, q.principalType, q.principal, q.tokenId])).toEqual([
        ["GetNamespace", "resource", compartmentId, oke.exchanges[0]?.tokenId],
        ["ReencryptObject", "resource", compartmentId, oke.exchanges[0]?.tokenId],
      ]);
      expect(wrapOf(w.em, "plain", name(1)).reencryptCount).toBe(1);

      // The token as a string, no token file.
      n = w.em.requests.length;
      const literal = await runCli(["object", "-ns", "authns", "-bn", "plain", "-on", name(2)], {
        env: { ...podEnv, OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH: join(w.dir, "no-such-token"), OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_STRING: oke.serviceAccountToken },
      });
      expect(literal.code, literal.stderr).toBe(0);
      expect(oke.exchanges).toHaveLength(2);
      expect(since(n).map((q) => q.principalType)).toEqual(["resource"]);

      // Another token: the proxymux refuses, nothing is called.
      const other = join(w.dir, "other-token");
      writeFileSync(other, "not.this.workload");
      n = w.em.requests.length;
      const refused = await runCli(["object", "-ns", "authns", "-bn", "plain", "-on", name(3)], { env: { ...podEnv, OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH: other } });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/refused the token exchange \(the service account token was not accepted\)/);
      expect(oke.exchanges[2]).toMatchObject({ status: 401 });
      expect(w.em.requests.length).toBe(n);

      const noHost = await runCli(["object", "-ns", "authns", "-bn", "plain", "-on", name(3)], { env: { ...podEnv, KUBERNETES_SERVICE_HOST: undefined } });
      expect(noHost.code).toBe(2);
      expect(noHost.stderr).toMatch(/KUBERNETES_SERVICE_HOST is not set/);
    } finally {
      await oke.close();
    }
  });

  it("--auth instance_obo_user needs the profile's delegation_token_file (or OCI_CLI_DELEGATION_TOKEN_FILE): said before any call", async () => {
    const n = w.em.requests.length;
    const none = await runCli(["object", "--auth", "instance_obo_user", "-ns", "authns", "-bn", "plain", "-on", name(4)], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--auth instance_obo_user: "delegation_token_file" is missing from profile \[DEFAULT\] of config file .* \(or set OCI_CLI_DELEGATION_TOKEN_FILE\)/);
    const missing = await runCli(["object", "--auth", "instance_obo_user", "-ns", "authns", "-bn", "plain", "-on", name(4)], { env: { ...env, OCI_CLI_DELEGATION_TOKEN_FILE: join(w.dir, "nope") } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/delegation_token_file not found at .*nope/);
    expect(w.em.requests.length).toBe(n);
  });
});

describe("--cert-bundle", () => {
  let front: Server;
  let certFile: string;
  let tlsUrl: string;

  beforeAll(async () => {
    // A TLS endpoint in front of the emulator, with a certificate no system trusts.
    const cert = await selfSignedCert();
    certFile = join(w.dir, "bundle.pem");
    writeFileSync(certFile, cert.certPem);
    const target = new URL(w.em.url);
    front = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(out);
    });
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
    tlsUrl = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    front.closeAllConnections();
    await new Promise((r) => front.close(r));
  });

  it("trusts the endpoint's certificate only with the bundle; without it, RequestException (exit 1); a missing bundle is exit 2", async () => {
    const tlsEnv = { ...env, OCI_CLI_ENDPOINT: tlsUrl };
    const untrusted = await runCli(["object", "-ns", "authns", "-bn", "plain", "-on", name(5)], { env: tlsEnv });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/^RequestException:\n/);
    expect(untrusted.stderr).toMatch(/self-signed certificate|SELF_SIGNED/i);
    expect(wrapOf(w.em, "plain", name(5)).reencryptCount).toBe(0);

    const flag = await runCli(["object", "-ns", "authns", "-bn", "plain", "-on", name(5), "--cert-bundle", certFile], { env: tlsEnv });
    expect(flag.code, flag.stderr).toBe(0);
    const variable = await runCli(["object", "-ns", "authns", "-bn", "plain", "-on", name(6)], { env: { ...tlsEnv, OCI_CLI_CERT_BUNDLE: certFile } });
    expect(variable.code, variable.stderr).toBe(0);
    expect([5, 6].map((i) => wrapOf(w.em, "plain", name(i)).reencryptCount)).toEqual([1, 1]);

    const gone = await runCli(["object", "-ns", "authns", "-bn", "plain", "-on", name(7), "--cert-bundle", join(w.dir, "none.pem")], { env: tlsEnv });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/--cert-bundle: cannot find the cert bundle file/);
  });
});

describe("--query on status output", () => {
  it("status --no-wait --query … --raw-output reads the deployed function's job record", async () => {
    const fnId = w.em.seedIds.functions["reencrypt"] as string;
    const record = { jobId: "5d1c2b9e-0000-4000-8000-000000000001", status: "succeeded", counts: { matched: 7, reencrypted: 7, failed: 0, skipped: 0 } };
    const asked: unknown[] = [];
    w.em.functions.setInvoker(fnId, async (req) => {
      asked.push(JSON.parse(req.body.toString("utf8")));
      return { status: 200, headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify(record)) };
    });
    const n = w.em.requests.length;
    const r = await runCli(["status", record.jobId, "--function-id", fnId, "--no-wait", "--query", "status", "--raw-output"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("succeeded\n");
    expect(asked).toEqual([{ job: record.jobId }]);
    const t = await runCli(["status", record.jobId, "--function-id", fnId, "--no-wait", "--query", "counts", "--output", "table"], { env });
    expect(t.stdout).toMatch(/failed.*matched.*reencrypted.*skipped/);
    expect(t.stdout).toMatch(/0 +│ 7 +│ 7 +│ 0/);
    // Every request of one invocation carries one generated opc-client-request-id.
    const ids = since(n).map((q) => q.clientRequestId);
    expect(ids.every((id) => /^[0-9A-F]{32}$/.test(id ?? ""))).toBe(true);
  });
});
