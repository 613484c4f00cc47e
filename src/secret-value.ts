import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * Key material lives only inside a SecretValue. Logging, JSON-encoding, string-interpolating or
 * inspecting one yields "[redacted]", so key material cannot leak by accident: reading it takes
 * an explicit `reveal()` at the one place an SDK request is built.
 */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
