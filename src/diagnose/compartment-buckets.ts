import type { BucketInfo } from "../oci/object-store.js";
import { collectPages } from "../oci/paging.js";
import { namespaceOf } from "../runtime/namespace.js";
import { failureOf, said } from "./checklist.js";
import type { DiagnoseContext } from "./diagnose-context.js";

/** Buckets read at most: diagnose is evidence, not an inventory. */
export const MAX_DIAGNOSED_BUCKETS = 500;

export interface CompartmentBuckets {
  buckets: BucketInfo[];
  /** Compartments whose buckets could not be listed, with what the service said. */
  unlisted: { compartmentId: string; why: string }[];
  /** False when the limit or the deadline cut the listing short. */
  complete: boolean;
}

const cache = new WeakMap<DiagnoseContext, Promise<CompartmentBuckets | undefined>>();

/**
 * Every bucket of the compartments with its GetBucket fields, read once per diagnose run and
 * shared by the checks that need them (key scopes, Bucket Key, key lifecycle). undefined when the
 * namespace itself could not be read (the bucket checks report that).
 */
export function compartmentBuckets(ctx: DiagnoseContext): Promise<CompartmentBuckets | undefined> {
  let p = cache.get(ctx);
  if (!p) {
    p = load(ctx);
    cache.set(ctx, p);
  }
  return p;
}

async function load({ rt, dl, store, compartments }: DiagnoseContext): Promise<CompartmentBuckets | undefined> {
  let namespace: string;
  try {
    namespace = await namespaceOf(rt, dl.hardStopAt);
  } catch {
    return undefined;
  }
  const out: CompartmentBuckets = { buckets: [], unlisted: [], complete: true };
  for (const c of compartments) {
    let names: string[];
    try {
      names = await collectPages((page) => store.listBuckets(namespace, c, page));
    } catch (error) {
      out.unlisted.push({ compartmentId: c, why: said(failureOf(error)) });
      continue;
    }
    for (const name of names) {
      if (out.buckets.length >= MAX_DIAGNOSED_BUCKETS || Date.now() > dl.stopAt) {
        out.complete = false;
        return out;
      }
      try {
        out.buckets.push(await store.getBucket(namespace, name));
      } catch {
        // One unreadable bucket does not hide the others: the checks that need it name it.
      }
    }
  }
  return out;
}
