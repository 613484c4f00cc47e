// `/n/{namespace}/b/{bucket}/o/{object}`: the path form of the docs and of event payloads.
// Segments are %-decoded as in a URL path; the object part keeps its `/`s.

export interface ResourcePath {
  namespace: string;
  bucket: string;
  object: string;
}

const RESOURCE_PATH = /^\/n\/([^/]+)\/b\/([^/]+)\/o\/(.+)$/;

export function parseResourceId(resourceId: string): ResourcePath | undefined {
  const m = RESOURCE_PATH.exec(resourceId);
  if (!m) return undefined;
  try {
    return {
      namespace: decodeURIComponent(m[1] as string),
      bucket: decodeURIComponent(m[2] as string),
      object: decodeURIComponent(m[3] as string),
    };
  } catch {
    return undefined;
  }
}

export function formatResourceId(p: ResourcePath): string {
  const enc = (s: string): string => encodeURIComponent(s).replace(/%2F/g, "/");
  return `/n/${encodeURIComponent(p.namespace)}/b/${encodeURIComponent(p.bucket)}/o/${enc(p.object)}`;
}
