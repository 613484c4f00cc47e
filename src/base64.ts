const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes base64 only if it is exactly that: no stray characters, right padding. */
export function strictBase64(text: string): Buffer | undefined {
  return CANONICAL_BASE64.test(text) ? Buffer.from(text, "base64") : undefined;
}
