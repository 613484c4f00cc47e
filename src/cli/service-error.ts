import packageJson from "../../package.json" with { type: "json" };

// A failed call printed as `oci` prints it (oci-cli's cli_exceptions and the Python SDK's
// ServiceError): `ServiceError:` or `RequestException:` on one line, then the details as JSON with
// sorted keys and four-space indentation, on stderr; exit 1.

/** What `oci` prints, then our own reading of it: the request, and what to do. */
export interface FailedCall {
  /** 0 when no response arrived. */
  status: number;
  code: string;
  message: string;
  opcRequestId?: string | undefined;
  /** The Python SDK's operation name, e.g. "reencrypt_object". */
  operation: string;
  /** e.g. "POST https://objectstorage.eu-frankfurt-1.oraclecloud.com/n/ns/b/bucket/actions/reencrypt/a.pdf". */
  requestEndpoint: string;
  /** Advice for the operator: which policy, which flag. */
  hint: string;
  /** The opc-client-request-id the call carried (--request-id, or the invocation's). */
  clientRequestId?: string | undefined;
}

export const CLIENT_VERSION = `oci-reencrypt/${packageJson.version}`;
const LOGGING_TIPS = "Run the command again with --debug (or -d) to see every request and the engine's lines on stderr.";
const API_ERRORS = "See [https://docs.oracle.com/iaas/Content/API/References/apierrors.htm] for more information about resolving this error.";
const SUPPORT = "If you are unable to resolve this issue, quote the opc-request-id and opc-client-request-id to Oracle support.";

/** JSON.stringify with every object's keys sorted, as Python's json.dumps(sort_keys=True). */
export function sortedJson(value: unknown, indent: number): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value), null, indent);
}

/**
 * The text `oci` prints for a failed call: a service's answer as `ServiceError`, a call that got no
 * answer (refused, reset, timed out) as `RequestException`, with the same keys as oci-cli's.
 */
export function failedCallText(f: FailedCall, now: Date = new Date()): string {
  if (f.status === 0) {
    const url = f.requestEndpoint.split(" ")[1] ?? f.requestEndpoint;
    const details = {
      client_version: CLIENT_VERSION,
      logging_tips: LOGGING_TIPS,
      ...(f.clientRequestId !== undefined ? { "opc-client-request-id": f.clientRequestId } : {}),
      message: `The connection to the endpoint failed while trying to reach ${url} (${f.code}: ${f.message})`,
      request_endpoint: f.requestEndpoint,
      target_service: "CLI",
      timestamp: now.toISOString(),
      // Written for the operator here (the engine's hint for no answer speaks of the function's network).
      troubleshooting_tips: `Try running curl ${url}. If the curl doesn't work, check the endpoint (--endpoint, OCI_CLI_ENDPOINT, --region), your network, and --cert-bundle when TLS is intercepted, or contact your network administrator.`,
    };
    return `RequestException:\n${sortedJson(details, 4)}\n`;
  }
  const details = {
    client_version: CLIENT_VERSION,
    code: f.code,
    logging_tips: LOGGING_TIPS,
    message: f.message,
    ...(f.clientRequestId !== undefined ? { "opc-client-request-id": f.clientRequestId } : {}),
    "opc-request-id": f.opcRequestId ?? null,
    operation_name: f.operation,
    request_endpoint: f.requestEndpoint,
    status: f.status,
    target_service: "object_storage",
    timestamp: now.toISOString(),
    troubleshooting_tips: `${f.hint} ${API_ERRORS} ${SUPPORT}`,
  };
  return `ServiceError:\n${sortedJson(details, 4)}\n`;
}
