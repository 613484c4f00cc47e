import type { ObjectStore, Page } from "../oci/object-store.js";
import { compareNames } from "../oci/name-order.js";
import type { Position, Unit } from "../model/job.js";

/** One object version to act on; `versionId` undefined means "the latest" (ListObjects scopes). */
export interface Item {
  name: string;
  versionId: string | undefined;
  isDeleteMarker: boolean;
}

/**
 * The part of a unit's names a shard owns. `end` is read for every item: when the shard hands the
 * rest of its range to another shard, names from the new end on stop being listed here at once.
 */
export interface RangeRef {
  start: string | undefined;
  end(): string | undefined;
}

export interface ListOptions {
  range?: RangeRef | undefined;
  pageSize?: number | undefined;
}

const maxName = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : compareNames(a, b) >= 0 ? a : b;

/**
 * Streams a unit's object versions page by page, in listing order, starting strictly after
 * `after`. The next page is fetched while this one is being worked through, so the pool rarely
 * waits for a listing; never more than two pages are held (plus, when resuming in version mode,
 * the versions of the one name the cursor sits in).
 */
export async function* listScope(store: ObjectStore, unit: Unit, after: Position | undefined, o: ListOptions = {}): AsyncGenerator<Item> {
  const { scope } = unit;
  if (scope.kind === "object") {
    if (after === undefined) yield { name: scope.object, versionId: scope.versionId, isDeleteMarker: false };
    return;
  }
  // Names under an excluded prefix belong to another scope (an earlier rule): not ours to touch.
  const exclude = scope.exclude ?? [];
  const end = o.range?.end ?? (() => undefined);
  const source = scope.allVersions ? listVersions(store, unit, scope.prefix, after, o) : listLatest(store, unit, scope.prefix, after, o);
  for await (const item of source) {
    const e = end();
    if (e !== undefined && compareNames(item.name, e) >= 0) return;
    if (exclude.length === 0 || !exclude.some((p) => item.name.startsWith(p))) yield item;
  }
}

/** Fetches page n+1 as soon as page n arrives. */
async function* prefetched<T>(first: () => Promise<Page<T>>, next: (token: string) => Promise<Page<T>>): AsyncGenerator<T[]> {
  let pending: Promise<Page<T>> | undefined = first();
  while (pending) {
    const page: Page<T> = await pending;
    pending = page.next === undefined ? undefined : next(page.next);
    // A rejected prefetch must not go unhandled if the consumer stops early.
    pending?.catch(() => undefined);
    yield page.items;
  }
}

async function* listLatest(store: ObjectStore, unit: Unit, prefix: string, after: Position | undefined, o: ListOptions): AsyncGenerator<Item> {
  const { namespace, bucket } = unit;
  const start = maxName(o.range?.start, after?.name);
  const end = o.range?.end();
  const limit = o.pageSize ?? 1000;
  const pages = prefetched(
    () => store.listObjects(namespace, bucket, { prefix, start, end, limit }),
    (token) => store.listObjects(namespace, bucket, { prefix, start: token, end, limit }),
  );
  for await (const names of pages) {
    for (const name of names) {
      // `start` is inclusive: the cursor's own object was already done.
      if (after !== undefined && compareNames(name, after.name) <= 0) continue;
      yield { name, versionId: undefined, isDeleteMarker: false };
    }
  }
}

async function* listVersions(store: ObjectStore, unit: Unit, prefix: string, after: Position | undefined, o: ListOptions): AsyncGenerator<Item> {
  const { namespace, bucket } = unit;
  const start = maxName(o.range?.start, after?.name);
  const end = o.range?.end();
  const limit = o.pageSize ?? 1000;
  // The original query is repeated with the page token, as the API expects.
  const pages = prefetched(
    () => store.listObjectVersions(namespace, bucket, { prefix, start, end, limit }),
    (page) => store.listObjectVersions(namespace, bucket, { prefix, start, end, page, limit }),
  );
  // Resuming inside one name's versions: skip up to the cursor's version. If that version has
  // vanished meanwhile, every version of the name is done again (at least once beats never).
  let pending: Item[] | undefined = after === undefined ? undefined : [];
  for await (const items of pages) {
    for (const v of items) {
      const item: Item = { name: v.name, versionId: v.versionId, isDeleteMarker: v.isDeleteMarker };
      if (pending !== undefined && after !== undefined) {
        if (v.name === after.name) {
          if (v.versionId === after.versionId) pending = undefined;
          else pending.push(item);
          continue;
        }
        yield* pending;
        pending = undefined;
      }
      yield item;
    }
  }
  if (pending !== undefined) yield* pending;
}
