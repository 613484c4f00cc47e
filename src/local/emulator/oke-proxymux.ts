import { createPublicKey, randomBytes, randomUUID, type KeyObject } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { randomOcid } from "./random-ids.js";
import { selfSignedCert } from "./self-signed-cert.js";
import { EMULATOR_REGION, type TokenIssuer } from "./token-issuer.js";

// OKE workload identity: a pod presents its Kubernetes service account token to the cluster's
// proxymux (https://$KUBERNETES_SERVICE_HOST:12250/resourcePrincipalSessionTokens) with a fresh
// public key, and gets a resource principal session token bound to that key. This plays the
// proxymux as oci-common's X509FederationClientForOkeWorkloadIdentity and the Python SDK's
// OkeWorkloadIdentityResourcePrincipalSigner call it: POST {"podKey": <base64 DER SPKI>} with
// `Authorization: Bearer <service account token>`; 200 with the base64 of {"token": "ST$<RPST>"}.

export interface OkeWorkloadIdentityOptions {
  /** The compartment the workload's policies name (`res_compartment`). Default: the tenancy. */
  compartmentId?: string | undefined;
  /** Lifetime of each RPST; default 3600. */
  ttlSeconds?: number | undefined;
  /** Where the token and CA files go; default a fresh temp dir removed when the emulator closes. */
  dir?: string | undefined;
}

/** One proxymux exchange as the emulator saw it. */
export interface ProxymuxExchange {
  status: number;
  /** The RPST's jti, when one was issued. */
  tokenId?: string;
  /** Why it was refused. */
  reason?: string;
  /** The `opc-request-id` the client sent, if any. */
  opcRequestId?: string;
}

export interface IssuedOkeWorkloadIdentity {
  /**
   * What a pod sees: KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT_PROXYMUX (the TypeScript
   * SDK's variable; the Python SDK always uses 12250), OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH,
   * OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH and OCI_RESOURCE_PRINCIPAL_REGION.
   */
  env: Record<string, string>;
  /** The service account token (a JWT, as Kubernetes projects it) and the files holding it and the CA. */
  serviceAccountToken: string;
  tokenFile: string;
  certFile: string;
  compartmentId: string;
  /** Every exchange, in order. */
  exchanges: ProxymuxExchange[];
  close(): Promise<void>;
}

const b64url = (s: string): string => Buffer.from(s).toString("base64url");

/** A service account token as Kubernetes projects one: a JWT (its signature is not checked by anyone but the proxymux). */
function serviceAccountToken(): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: "https://kubernetes.default.svc.cluster.local", sub: "system:serviceaccount:reencrypt:oci-reencrypt", aud: ["oci"], iat: now, exp: now + 3600, jti: randomUUID() };
  return `${b64url(JSON.stringify({ alg: "RS256", kid: "emulator" }))}.${b64url(JSON.stringify(claims))}.${randomBytes(32).toString("base64url")}`;
}

/** The pod's key as oci-common sends it: the PEM's base64 without its armour (or a whole PEM). */
function podKeyOf(body: unknown): KeyObject | undefined {
  if (typeof body !== "object" || body === null || typeof (body as Record<string, unknown>)["podKey"] !== "string") return undefined;
  const raw = (body as Record<string, string>)["podKey"] as string;
  const b64 = raw.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
  try {
    return createPublicKey({ key: Buffer.from(b64, "base64"), format: "der", type: "spki" });
  } catch {
    return undefined;
  }
}

/**
 * Starts a proxymux for one workload (its own TLS server on 127.0.0.1 and its own service account
 * token); the RPSTs it issues verify at the emulator as resource principals of `compartmentId`.
 */
export async function startOkeProxymux(issuer: TokenIssuer, tenancyId: string, o: OkeWorkloadIdentityOptions = {}): Promise<IssuedOkeWorkloadIdentity> {
  const cert = await selfSignedCert({ commonName: "proxymux", dnsNames: ["localhost"], ips: ["127.0.0.1"], keyPair: issuer.keyPairs.next() });
  const saToken = serviceAccountToken();
  const compartmentId = o.compartmentId ?? tenancyId;
  const workloadId = randomOcid("workload");
  const exchanges: ProxymuxExchange[] = [];

  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const opc = req.headers["opc-request-id"];
      const record: ProxymuxExchange = { status: 0, ...(typeof opc === "string" ? { opcRequestId: opc } : {}) };
      exchanges.push(record);
      const refuse = (status: number, reason: string): void => {
        record.status = status;
        record.reason = reason;
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ code: status === 401 ? "NotAuthenticated" : "InvalidParameter", message: reason }));
      };
      if (req.method !== "POST" || req.url !== "/resourcePrincipalSessionTokens") return refuse(404, `no route ${req.method} ${req.url}`);
      if (req.headers.authorization !== `Bearer ${saToken}`) return refuse(401, "the service account token is missing or not this workload's");
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return refuse(400, "the body is not JSON");
      }
      const podKey = podKeyOf(body);
      if (!podKey) return refuse(400, "podKey is missing or not a public key");
      const iat = Math.floor(Date.now() / 1000);
      const jti = randomUUID();
      // Claims as a resource principal's; the real ones of an OKE workload are UNCONFIRMED beyond these.
      const rpst = issuer.mint({
        iss: "authService.oracle.com",
        aud: "oci",
        sub: workloadId,
        ttype: "res",
        ptype: "resource",
        res_type: "workload",
        res_id: workloadId,
        res_tenant: tenancyId,
        res_compartment: compartmentId,
        jwk: JSON.stringify({ ...podKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" }),
        iat,
        exp: iat + (o.ttlSeconds ?? 3600),
        jti,
      });
      record.status = 200;
      record.tokenId = jti;
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.from(JSON.stringify({ token: `ST$${rpst}` })).toString("base64"));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  // A test that forgets close() must not keep its process alive.
  server.unref();
  const dir = await issuer.makeDir(o.dir, "oci-oke-");
  const tokenFile = join(dir, "token");
  const certFile = join(dir, "ca.crt");
  await writeFile(tokenFile, saToken, { mode: 0o600 });
  await writeFile(certFile, cert.certPem);
  return {
    env: {
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT_PROXYMUX: String((server.address() as AddressInfo).port),
      OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH: tokenFile,
      OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH: certFile,
      OCI_RESOURCE_PRINCIPAL_REGION: EMULATOR_REGION,
    },
    serviceAccountToken: saToken,
    tokenFile,
    certFile,
    compartmentId,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
