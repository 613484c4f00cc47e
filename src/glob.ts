// Bucket globs: `*` matches any run of characters, `?` one character; everything else is literal.
// A `namespace/bucket` glob matches its two halves separately; the namespace half ignores case
// (OCI namespaces are case-insensitive), the bucket half does not (bucket names are not).
//
// Matched without a regular expression: a backtracking `.*` made `*-*-*-*-*-prod` against 250
// hyphens cost a minute of CPU per request (issue 16). The iterative matcher below keeps one
// backtrack point (the last `*` seen) and so needs at most |glob| × |value| steps.

import { sameNamespace } from "./same-namespace.js";

/**
 * Whether `value` matches `pattern`, where `*` matches any run (the empty one too) and, when
 * `question` is true, `?` matches exactly one UTF-16 code unit. Worst case O(|pattern|·|value|).
 */
export function wildcardMatch(pattern: string, value: string, question = true): boolean {
  let p = 0;
  let v = 0;
  // The last `*` seen and the value position it currently stands for: on a mismatch the `*`
  // takes one more character and matching resumes right after it. An earlier `*` never needs
  // revisiting: whatever it could absorb, the later one can too.
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    const c = p < pattern.length ? pattern.charCodeAt(p) : -1;
    if (c === 42 /* * */) {
      star = p++;
      mark = v;
    } else if (c !== -1 && (c === value.charCodeAt(v) || (question && c === 63) /* ? */)) {
      p++;
      v++;
    } else if (star >= 0) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}

export function matchesGlob(glob: string, value: string): boolean {
  return wildcardMatch(glob, value);
}

/** A `bucket` or `namespace/bucket` glob against a bucket in a namespace. */
export function matchesBucketGlob(glob: string, namespace: string, bucket: string): boolean {
  const slash = glob.indexOf("/");
  if (slash < 0) return matchesGlob(glob, bucket);
  const nsGlob = glob.slice(0, slash);
  // A literal namespace half is compared as namespaces are; a glob half is matched on lower case.
  const nsOk = /[*?]/.test(nsGlob) ? matchesGlob(nsGlob.toLowerCase(), namespace.toLowerCase()) : sameNamespace(nsGlob, namespace);
  return nsOk && matchesGlob(glob.slice(slash + 1), bucket);
}

export const BUCKET_GLOB_PATTERN = /^(?:[A-Za-z0-9_.*?-]+\/)?[A-Za-z0-9_.*?-]+$/;
