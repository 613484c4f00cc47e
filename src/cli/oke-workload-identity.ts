import { generateKeyPairSync, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { rootCertificates } from "node:tls";
import type * as common from "oci-common";
import { CliError, ExitCode, usageError } from "./cli-error.js";

// `--auth oke_workload_identity`: a pod's Kubernetes service account token exchanged at the
// cluster's proxymux for a resource principal session token bound to a fresh session key, as the
// Python SDK (OkeWorkloadIdentityResourcePrincipalSigner, which `oci` uses) and oci-common
// (X509FederationClientForOkeWorkloadIdentity) do it:
//   POST https://$KUBERNETES_SERVICE_HOST:<port>/resourcePrincipalSessionTokens
//   Authorization: Bearer <service account token>, {"podKey": <base64 of the DER public key>}
//   → 200, the base64 of {"token": "ST$<RPST>"}
// The server is trusted through the service account's CA certificate (and the system roots, as
// oci-common does). Written here rather than taken from oci-common because oci-common's builder
// requires KUBERNETES_SERVICE_PORT_PROXYMUX and cannot take the token as a string, which `oci`'s
// OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_STRING does.

export const OKE_DEFAULTS = {
  /** The Python SDK's fixed OCI_KUBERNETES_PROXYMUX_SERVICE_PORT. */
  port: "12250",
  tokenPath: "/var/run/secrets/kubernetes.io/serviceaccount/token",
  certPath: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
} as const;

const MORE = "OKE workload identity works only in enhanced OKE clusters: https://docs.oracle.com/en-us/iaas/Content/ContEng/Tasks/contenggrantingworkloadaccesstoresources.htm";

interface SessionPair {
  privatePem: string;
  podKey: string;
}

const newPair = (): SessionPair => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), podKey: publicKey.export({ type: "spki", format: "der" }).toString("base64") };
};

const claimsOf = (jwt: string): Record<string, unknown> => {
  try {
    return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
};

/** The provider the SDK clients and our signer use: key id "ST$<RPST>", the session key's PEM. */
export class OkeWorkloadIdentityProvider implements common.AuthenticationDetailsProvider {
  private pair: SessionPair = newPair();
  private token: string | undefined;
  private expiresAt = 0;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly o: { endpoint: string; serviceAccountToken: () => string; ca: string; region: common.Region | undefined },
  ) {}

  async getKeyId(): Promise<string> {
    // Half the token's life, as the Python signer's valid_with_half_expiration_time.
    if (this.token === undefined || Date.now() >= this.expiresAt) await this.refresh();
    return `ST$${this.token as string}`;
  }

  getPrivateKey(): string {
    return this.pair.privatePem;
  }

  getPassphrase(): null {
    return null;
  }

  getRegion(): common.Region {
    return this.o.region as common.Region;
  }

  /** A claim of the current token (res_compartment, res_tenant). */
  async claim(name: string): Promise<string | undefined> {
    await this.getKeyId();
    const v = claimsOf(this.token as string)[name];
    return typeof v === "string" ? v : undefined;
  }

  /** A new session key and a token for it; concurrent callers share one exchange. */
  refresh(): Promise<void> {
    this.pending ??= this.exchange().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async exchange(): Promise<void> {
    const pair = newPair();
    const body = JSON.stringify({ podKey: pair.podKey });
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        this.o.endpoint,
        {
          method: "POST",
          ca: [...rootCertificates, this.o.ca],
          headers: {
            authorization: `Bearer ${this.o.serviceAccountToken()}`,
            "content-type": "application/json",
            "content-length": String(Buffer.byteLength(body)),
            "opc-request-id": randomUUID().replace(/-/g, "").toUpperCase(),
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (d: string) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    }).catch((error: unknown) => {
      throw new CliError(`--auth oke_workload_identity: the proxymux ${this.o.endpoint} could not be reached (${error instanceof Error ? error.message : String(error)}). ${MORE}`, ExitCode.failures);
    });
    if (answer.status !== 200) {
      const why = answer.status === 403 ? "forbidden: is the cluster an enhanced cluster?" : answer.status === 401 ? "the service account token was not accepted" : `HTTP ${answer.status}`;
      throw new CliError(`--auth oke_workload_identity: the proxymux ${this.o.endpoint} refused the token exchange (${why}). ${MORE}`, ExitCode.failures);
    }
    let token: unknown;
    try {
      token = (JSON.parse(Buffer.from(answer.text, "base64").toString("utf8")) as { token?: unknown }).token;
    } catch {
      token = undefined;
    }
    if (typeof token !== "string" || token.length < 4) throw new CliError(`--auth oke_workload_identity: the proxymux ${this.o.endpoint} answered without a token`, ExitCode.failures);
    const rpst = token.slice(3);
    const c = claimsOf(rpst);
    const exp = typeof c["exp"] === "number" ? c["exp"] * 1000 : Date.now() + 60_000;
    const iat = typeof c["iat"] === "number" ? c["iat"] * 1000 : Date.now();
    this.pair = pair;
    this.token = rpst;
    this.expiresAt = iat + (exp - iat) / 2;
  }
}

/**
 * The provider from the pod's environment, as `oci --auth oke_workload_identity` reads it:
 * KUBERNETES_SERVICE_HOST (required), the proxymux port (KUBERNETES_SERVICE_PORT_PROXYMUX as
 * oci-common reads it, else 12250 as the Python SDK uses), the service account token from
 * OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_STRING or the file OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH
 * (default the projected token), the CA from OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH, and the
 * region from --region or OCI_RESOURCE_PRINCIPAL_REGION.
 */
export function okeWorkloadIdentityProvider(env: Readonly<Record<string, string | undefined>>, region: (id: string) => common.Region, regionId: string | undefined): OkeWorkloadIdentityProvider {
  const host = env["KUBERNETES_SERVICE_HOST"];
  if (!host) throw usageError(`--auth oke_workload_identity: KUBERNETES_SERVICE_HOST is not set (Kubernetes sets it in every pod). ${MORE}`);
  const port = env["KUBERNETES_SERVICE_PORT_PROXYMUX"] || OKE_DEFAULTS.port;
  const certPath = env["OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH"] || OKE_DEFAULTS.certPath;
  if (!existsSync(certPath)) throw usageError(`--auth oke_workload_identity: the service account CA certificate ${certPath} does not exist (OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH)`);
  const ca = readFileSync(certPath, "utf8");
  const literal = env["OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_STRING"];
  const tokenPath = env["OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH"] || OKE_DEFAULTS.tokenPath;
  if (!literal && !existsSync(tokenPath)) throw usageError(`--auth oke_workload_identity: the service account token ${tokenPath} does not exist (OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH, or the token itself in OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_STRING)`);
  // The projected token is rotated by the kubelet: read it at every exchange.
  const serviceAccountToken = literal ? () => literal : () => readFileSync(tokenPath, "utf8").trim();
  const id = regionId ?? env["OCI_RESOURCE_PRINCIPAL_REGION"];
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return new OkeWorkloadIdentityProvider({ endpoint: `https://${hostPart}:${port}/resourcePrincipalSessionTokens`, serviceAccountToken, ca, region: id ? region(id) : undefined });
}
