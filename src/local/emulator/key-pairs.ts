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
const made: Promise<RsaKeyPair>[] = [];

function pairAt(i: number): Promise<RsaKeyPair> {
  while (made.length <= i) {
    const at = made.length;
    const pair = generate("rsa", { modulusLength: 2048 });
    // A failed generation is not kept: the next emulator to reach it generates it again.
    pair.catch(() => {
      if (made[at] === pair) made.length = at;
    });
    made.push(pair);
  }
  return made[i] as Promise<RsaKeyPair>;
}

/** One emulator's supply of RSA 2048 key pairs: each next() a pair it has not had before. */
export class KeyPairs {
  private dealt = 0;

  next(): Promise<RsaKeyPair> {
    return pairAt(this.dealt++);
  }
}
