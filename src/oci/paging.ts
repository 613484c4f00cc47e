/** Follows opc-next-page tokens to the end. For small collections only (vaults, rules, buckets). */
export async function collectPages<T>(fetchPage: (page: string | undefined) => Promise<{ items: T[]; next: string | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let page: string | undefined;
  do {
    const r = await fetchPage(page);
    out.push(...r.items);
    page = r.next;
  } while (page);
  return out;
}
