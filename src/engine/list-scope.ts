import type { ObjectStore } from "../oci/object-store.js";
import type { Position, Unit } from "../jobs/job.js";

/** One object version to act on; `versionId` undefined means "the latest" (ListObjects scopes). */
export interface Item {
  name: string;
  versionId: string | undefined;
  isDeleteMarker: boolean;
}

/**
 * Streams a unit's object versions page by page, in listing order, starting strictly after
 * `after`. Never holds more than one page (plus, when resuming in version mode, the versions of
 * the one name the cursor sits in).
 */
export async function* listScope(store: ObjectStore, unit: Unit, after: Position | undefined, pageSize = 1000): AsyncGenerator<Item> {
  const { scope } = unit;
  if (scope.kind === "object") {
    if (after === undefined) yield { name: scope.object, versionId: scope.versionId, isDeleteMarker: false };
    return;
  }
  // Names under an excluded prefix belong to another scope (an earlier rule): not ours to touch.
  const exclude = scope.exclude ?? [];
  for await (const item of listPrefix(store, unit, scope.prefix, scope.allVersions, after, pageSize)) {
    if (!exclude.some((p) => item.name.startsWith(p))) yield item;
  }
}

async function* listPrefix(store: ObjectStore, unit: Unit, prefix: string, allVersions: boolean, after: Position | undefined, pageSize: number): AsyncGenerator<Item> {
  const { namespace, bucket } = unit;
  if (!allVersions) {
    let start = after?.name;
    let first = true;
    for (;;) {
      const page = await store.listObjects(namespace, bucket, { prefix, start, limit: pageSize });
      for (const name of page.items) {
        // `start` is inclusive: the cursor's own object was already done.
        if (first && after !== undefined && name === after.name) continue;
        yield { name, versionId: undefined, isDeleteMarker: false };
      }
      first = false;
      if (page.next === undefined) return;
      start = page.next;
    }
  }
  yield* listVersions(store, unit, prefix, after, pageSize);
}

async function* listVersions(store: ObjectStore, unit: Unit, prefix: string, after: Position | undefined, pageSize: number): AsyncGenerator<Item> {
  // Resuming inside one name's versions: skip up to the cursor's version. If that version has
  // vanished meanwhile, every version of the name is done again (at least once beats never).
  let pending: Item[] | undefined = after === undefined ? undefined : [];
  let page: string | undefined;
  for (;;) {
    const res = await store.listObjectVersions(unit.namespace, unit.bucket, {
      prefix,
      // The original query is repeated with the page token, as the API expects.
      start: after?.name,
      page,
      limit: pageSize,
    });
    for (const v of res.items) {
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
    if (res.next === undefined) break;
    page = res.next;
  }
  if (pending !== undefined) yield* pending;
}
