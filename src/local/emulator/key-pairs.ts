import { generateKeyPair, type KeyObject } from "node:crypto";
import { promisify } from "node:util";

// Every key the emulator hands out (its token issuer's, the session keys of resource principals
// and session tokens, API keys, certificates) is RSA 2048, which costs Node about 200 ms of CPU to
// generate, and a test run starts hundreds of emulators: key generation was a quarter of a typical
// e2e file's time. So pairs are generated once per process and dealt again, in the same order, to
// each emulator: within one emulator every pair is distinct (a rotation gets a new key, another
// user another key), while emulators of the same process hold the same pairs. They cannot tell:
// each keeps its own tokens, users and keys. (One consequence: a token minted by one emulator of
// a process verifies in another of the same process.)

export interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const generate = promisify(generateKeyPair);
const madeBy = new Map<number, Promise<RsaKeyPair>[]>();

// Resource principals' session keys sign every call a container makes, which made RSA 2048
// signing the largest single cost of the test suite's CPU (8 of 29 s in the durable-jobs file's
// containers). The test suite therefore deals them at 1024 bits (vitest.config.ts sets this);
// the signing and verifying code is the same at any size. The demo and the bench keep 2048, as
// OCI issues, so their CPU figures stay those of a deployed function.
function sessionKeyBits(): number {
  const bits = Number(process.env["OCI_EMULATOR_SESSION_KEY_BITS"] ?? 2048);
  return bits === 1024 ? 1024 : 2048;
}

function pairAt(i: number, bits = 2048): Promise<RsaKeyPair> {
  const made = madeBy.get(bits) ?? [];
  madeBy.set(bits, made);
  while (made.length <= i) {
    const at = made.length;
    const pair = generate("rsa", { modulusLength: bits });
    // A failed generation is not kept: the next emulator to reach it generates it again.
    pair.catch(() => {
      if (made[at] === pair) made.length = at;
    });
    made.push(pair);
  }
  return made[i] as Promise<RsaKeyPair>;
}

/** One emulator's supply of RSA key pairs: each next() a pair it has not had before. */
export class KeyPairs {
  private dealt = 0;
  private sessions = 0;

  /** An RSA 2048 pair (issuer, API keys, certificates, user session tokens). */
  next(): Promise<RsaKeyPair> {
    return pairAt(this.dealt++);
  }

  /** A resource principal's session key pair: RSA 2048, or 1024 where OCI_EMULATOR_SESSION_KEY_BITS=1024. */
  nextSession(): Promise<RsaKeyPair> {
    const bits = sessionKeyBits();
    return bits === 2048 ? this.next() : pairAt(this.sessions++, bits);
  }
}
