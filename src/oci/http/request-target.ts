// Where a request goes and the exact request-target that is signed and sent. The OCI SDK hands
// the HTTP client a raw URI (path parameters already encodeURIComponent'ed, query values as given).
// Its default client runs that URI through the WHATWG URL parser first, which resolves `.` and `..`
// path segments: an object named `..` became `POST /n/ns/b/bucket/actions/`. Here the raw path and
// query are kept byte for byte, except what a request line cannot carry.

export interface Origin {
  protocol: "http:" | "https:";
  /** For the socket: no IPv6 brackets. */
  hostname: string;
  port: number;
  /** The `host` header and signed `host` line: as the SDK's signer derives it (URL#host). */
  host: string;
}

export interface Destination {
  origin: Origin;
  /** Path and query, as signed in `(request-target)` and sent on the request line. */
  target: string;
}

const ABSOLUTE = /^([a-z][a-z\d+.-]*):\/\/([^/?#]+)/i;
const origins = new Map<string, Origin>();

/** Parses the SDK's raw request URI. Throws, as the SDK's own client does, for anything but an absolute http(s) URI. */
export function destination(uri: string): Destination {
  const m = ABSOLUTE.exec(uri);
  if (!m) throw new Error("Cannot parse host from url");
  const prefix = m[0];
  const origin = originOf(prefix);
  const rest = uri.slice(prefix.length);
  return { origin, target: requestTarget(rest.length === 0 ? "/" : rest.charCodeAt(0) === 63 /* ? */ ? `/${rest}` : rest) };
}

function originOf(prefix: string): Origin {
  let o = origins.get(prefix);
  if (o) return o;
  let url: URL;
  try {
    url = new URL(prefix);
  } catch {
    throw new Error("Cannot parse host from url");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`unsupported scheme ${url.protocol}`);
  if (url.username || url.password) throw new Error("host is invalid. endpoint must not contain user info");
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  o = { protocol: url.protocol, hostname, port: url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80, host: url.host };
  // A handful of endpoints per process; the bound only guards against a pathological caller.
  if (origins.size > 64) origins.clear();
  origins.set(prefix, o);
  return o;
}

// Bytes a request line cannot carry (controls, space, DEL, non-ASCII) and `#` (a fragment is never
// sent): percent-encoded as UTF-8, the way the URL parser would, so signing and sending agree.
const UNSENDABLE = /[^\x21-\x7e]|#/;
const UNSENDABLE_RUNS = /(?:[^\x21-\x7e]|#)+/g;
const DOT_SEGMENT = /\/\.\.?(?=\/|$)/;

/**
 * The raw path and query, unchanged except: unsendable bytes are percent-encoded, and a path
 * segment that is exactly `.` or `..` (only an object or bucket name can produce one) becomes
 * `%2E` / `%2E%2E`, so no proxy, server or client normalisation can turn a name into another path.
 */
export function requestTarget(raw: string): string {
  let t = raw;
  if (UNSENDABLE.test(t)) t = t.replace(UNSENDABLE_RUNS, percentEncode);
  const q = t.indexOf("?");
  const path = q < 0 ? t : t.slice(0, q);
  if (!DOT_SEGMENT.test(path)) return t;
  const escaped = path
    .split("/")
    .map((s) => (s === "." ? "%2E" : s === ".." ? "%2E%2E" : s))
    .join("/");
  return q < 0 ? escaped : escaped + t.slice(q);
}

function percentEncode(run: string): string {
  let out = "";
  // Buffer.from encodes a lone surrogate as U+FFFD instead of throwing like encodeURIComponent.
  for (const byte of Buffer.from(run, "utf8")) out += `%${byte < 16 ? "0" : ""}${byte.toString(16).toUpperCase()}`;
  return out;
}
