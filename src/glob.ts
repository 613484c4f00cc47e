// Bucket globs: `*` matches any run of characters, `?` one character; everything else is literal.
// Bucket names cannot contain `/`, so `*` may span anything, including the `/` of `namespace/bucket`
// patterns' bucket half only because the namespace half is matched separately.

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    re = new RegExp(`^${body}$`);
    cache.set(glob, re);
  }
  return re;
}

export function matchesGlob(glob: string, value: string): boolean {
  return globToRegExp(glob).test(value);
}

/** A `bucket` or `namespace/bucket` glob against a bucket in a namespace. */
export function matchesBucketGlob(glob: string, namespace: string, bucket: string): boolean {
  const slash = glob.indexOf("/");
  if (slash < 0) return matchesGlob(glob, bucket);
  return matchesGlob(glob.slice(0, slash), namespace) && matchesGlob(glob.slice(slash + 1), bucket);
}

export const BUCKET_GLOB_PATTERN = /^(?:[A-Za-z0-9_.*?-]+\/)?[A-Za-z0-9_.*?-]+$/;
