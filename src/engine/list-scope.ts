import type { ObjectStore, Page, TierInfo } from "../oci/object-store.js";
import { compareNames } from "../oci/name-order.js";
import type { NameRange, Position, Unit } from "../model/job.js";

/** One object version to act on; `versionId` undefined means "the latest" (ListObjects scopes). */
export interface Item extends TierInfo {
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
  /** Told each name as it is handed to the shard, in the same step as the check against end(). */
  took?: ((name: string) => void) | undefined;
}

export interface ListOptions {
  range?: RangeRef | undefined;
  pageSize?: number | undefined;
}

const maxName = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : compareNames(a, b) >= 0 ? a : b;
const minEnd = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : compareNames(a, b) <= 0 ? a : b;

/**
 * The name ranges a shard lists in a unit, in order: the unit's own ranges (what its key governs,
 * contract §11) cut to the shard's range. The shard's end is read again for every item, so these
 * stay right while a split narrows the shard.
 */
function shardRanges(unitRanges: readonly NameRange[] | undefined, shard: RangeRef | undefined): RangeRef[] {
  const shardEnd = shard?.end ?? (() => undefined);
  return (unitRanges ?? [{}]).map((r) => ({ start: maxName(r.start, shard?.start), end: () => minEnd(r.end, shardEnd()) }));
}

/**
 * Streams a unit's object versions page by page, in listing order, starting strictly after
 * `after`. Only the unit's ranges are listed: a bucket unit that leaves a scope to another key
 * never pages through it. The next page is fetched while this one is being worked through, so
 * the pool rarely waits for a listing; never more than two pages are held (plus, when resuming
 * in version mode, the versions of the one name the cursor sits in).
 */
export async function* listScope(store: ObjectStore, unit: Unit, after: Position | undefined, o: ListOptions = {}): AsyncGenerator<Item> {
  const { scope } = unit;
  if (scope.kind === "object") {
    if (after === undefined) yield { name: scope.object, versionId: scope.versionId, isDeleteMarker: false };
    return;
  }
  // Records written before ranges existed: names under an excluded prefix belong to an earlier rule.
  const exclude = scope.exclude ?? [];
  for (const range of shardRanges(scope.ranges, o.range)) {
    const end = range.end();
    if (end !== undefined && range.start !== undefined && compareNames(range.start, end) >= 0) continue;
    // A range wholly before the cursor is done.
    if (after !== undefined && end !== undefined && compareNames(after.name, end) >= 0) continue;
    const ro = { ...o, range };
    const source = scope.allVersions ? listVersions(store, unit, scope.prefix, after, ro) : listLatest(store, unit, scope.prefix, after, ro);
    for await (const item of source) {
      const e = range.end();
      if (e !== undefined && compareNames(item.name, e) >= 0) break;
      if (exclude.length === 0 || !exclude.some((p) => item.name.startsWith(p))) {
        o.range?.took?.(item.name);
        yield item;
      }
    }
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
  for await (const entries of pages) {
    for (const e of entries) {
      // `start` is inclusive: the cursor's own object was already done.
      if (after !== undefined && compareNames(e.name, after.name) <= 0) continue;
      yield { ...e, versionId: undefined, isDeleteMarker: false };
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
      const item: Item = { ...v };
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
