// OCI Object Storage namespaces are case-insensitive ("ACMENS" and "acmens" are the same
// namespace), so every comparison of two namespaces goes through here (issue 16). Bucket and
// object names stay case-sensitive, as OCI keeps them.

/** The form a namespace is compared (and keyed) in. */
export const namespaceKey = (namespace: string): string => namespace.toLowerCase();

export const sameNamespace = (a: string, b: string): boolean => a === b || namespaceKey(a) === namespaceKey(b);
