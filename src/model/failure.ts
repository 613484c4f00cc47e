/** One object version (or, for a unit that failed as a whole, its bucket and prefix). */
export interface ObjectRef {
  namespace: string;
  bucket: string;
  object: string;
  versionId?: string;
}

/** A failed version or unit as responses, job records and reports carry it: never key material. */
export interface FailureRecord extends ObjectRef {
  status: number;
  code: string;
  message: string;
  hint: string;
  opcRequestId?: string;
  /** A unit that stopped calling: its versions counted failed without a call (contract §11). */
  notAttempted?: number;
  /** Report lines and tier-aware hints: the version's tier when not Standard. */
  storageTier?: string;
  archivalState?: string;
}
