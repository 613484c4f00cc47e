import type { Key, KeyState, KeyVersion, KeyVersionState } from "./model.js";
import { CURRENT_KEY_VERSION, KEY_INCORRECT_STATE, refuse } from "./refusals.js";

// setTimeout's limit; a deletion further away than ~24.8 days is never reached by a test anyway.
const MAX_TIMER_MS = 2 ** 31 - 1;

interface HasState<S> {
  lifecycleState: S;
}

/**
 * Key Management lifecycle actions on keys and key versions, with OCI's rules: disable and enable,
 * schedule a deletion (a key or a non-current version becomes PENDING_DELETION until its
 * `timeOfDeletion`, then DELETED) and cancel it (back to the state before). A state that does not
 * allow the action is 409 IncorrectState. By default an action completes at once; with
 * `setTransitionDelay(ms)` the key (or version) first shows the transitional state (DISABLING,
 * ENABLING, SCHEDULING_DELETION, CANCELLING_DELETION) for that long, as a client polling OCI sees.
 * Times are not checked here (tests may schedule a deletion a few milliseconds ahead): the
 * 7-30 day window of the API is checked by the routes.
 */
export class KeyLifecycle {
  private transitionMs = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** By key or key version id: the deletion timer, and a key's state before its deletion was scheduled. */
  private readonly deletions = new Map<string, NodeJS.Timeout>();
  private readonly stateBeforeDeletion = new Map<string, KeyState>();

  setTransitionDelay(ms: number): void {
    if (!(ms >= 0)) throw new Error(`key transition delay must be >= 0, got ${ms}`);
    this.transitionMs = ms;
  }

  disable(key: Key): Key {
    this.require(key, ["ENABLED"], "be disabled");
    this.transition(key, "DISABLING", "DISABLED");
    return key;
  }

  enable(key: Key): Key {
    this.require(key, ["DISABLED"], "be enabled");
    this.transition(key, "ENABLING", "ENABLED");
    return key;
  }

  scheduleDeletion(key: Key, timeOfDeletion: Date): Key {
    this.require(key, ["ENABLED", "DISABLED"], "be scheduled for deletion");
    this.stateBeforeDeletion.set(key.id, key.lifecycleState);
    key.timeOfDeletion = timeOfDeletion.toISOString();
    this.transition(key, "SCHEDULING_DELETION", "PENDING_DELETION");
    this.armDeletion(key.id, timeOfDeletion, () => {
      key.lifecycleState = "DELETED";
      for (const v of key.versions) v.lifecycleState = "DELETED";
    });
    return key;
  }

  cancelDeletion(key: Key): Key {
    this.require(key, ["PENDING_DELETION"], "have its deletion cancelled");
    this.disarmDeletion(key.id);
    delete key.timeOfDeletion;
    const before = this.stateBeforeDeletion.get(key.id) ?? "ENABLED";
    this.stateBeforeDeletion.delete(key.id);
    this.transition(key, "CANCELLING_DELETION", before);
    return key;
  }

  scheduleVersionDeletion(key: Key, version: KeyVersion, timeOfDeletion: Date): KeyVersion {
    this.require(key, ["ENABLED", "DISABLED"], "have a version scheduled for deletion");
    if (version.id === key.currentKeyVersion) {
      throw refuse(CURRENT_KEY_VERSION, `Key version ${version.id} is the current version of key ${key.id} and cannot be scheduled for deletion`);
    }
    this.requireVersion(version, "ENABLED", "be scheduled for deletion");
    version.timeOfDeletion = timeOfDeletion.toISOString();
    this.transition<KeyVersionState>(version, "SCHEDULING_DELETION", "PENDING_DELETION");
    this.armDeletion(version.id, timeOfDeletion, () => {
      version.lifecycleState = "DELETED";
    });
    return version;
  }

  cancelVersionDeletion(key: Key, version: KeyVersion): KeyVersion {
    if (key.lifecycleState === "DELETED") throw refuse(KEY_INCORRECT_STATE, `Key ${key.id} is DELETED`);
    this.requireVersion(version, "PENDING_DELETION", "have its deletion cancelled");
    this.disarmDeletion(version.id);
    delete version.timeOfDeletion;
    this.transition<KeyVersionState>(version, "CANCELLING_DELETION", "ENABLED");
    return version;
  }

  /** Stops every pending transition and deletion timer (emulator close). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const t of this.deletions.values()) clearTimeout(t);
    this.deletions.clear();
  }

  private require(key: Key, allowed: readonly KeyState[], action: string): void {
    if (!allowed.includes(key.lifecycleState)) {
      throw refuse(KEY_INCORRECT_STATE, `Key ${key.id} is ${key.lifecycleState} and cannot ${action}`);
    }
  }

  private requireVersion(version: KeyVersion, allowed: KeyVersionState, action: string): void {
    if (version.lifecycleState !== allowed) {
      throw refuse(KEY_INCORRECT_STATE, `Key version ${version.id} is ${version.lifecycleState} and cannot ${action}`);
    }
  }

  private transition<S>(target: HasState<S>, via: S, to: S): void {
    if (this.transitionMs <= 0) {
      target.lifecycleState = to;
      return;
    }
    target.lifecycleState = via;
    const t = setTimeout(() => {
      this.timers.delete(t);
      // A deletion that came due during the transition wins.
      if (target.lifecycleState === via) target.lifecycleState = to;
    }, this.transitionMs);
    t.unref();
    this.timers.add(t);
  }

  private armDeletion(id: string, at: Date, remove: () => void): void {
    this.disarmDeletion(id);
    const delay = at.getTime() - Date.now();
    if (delay <= 0) return remove();
    if (delay > MAX_TIMER_MS) return;
    const t = setTimeout(() => {
      this.deletions.delete(id);
      remove();
    }, delay);
    t.unref();
    this.deletions.set(id, t);
  }

  private disarmDeletion(id: string): void {
    const t = this.deletions.get(id);
    if (t) clearTimeout(t);
    this.deletions.delete(id);
  }
}
