import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { Readable } from "node:stream";

/** `Headers#get` over Node's parsed (lower-case) response headers: all the SDK reads. */
export class ResponseHeaders {
  constructor(private readonly raw: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const v = this.raw[name.toLowerCase()];
    if (v === undefined) return null;
    return typeof v === "string" ? v : v.join(", ");
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  forEach(fn: (value: string, name: string) => void): void {
    for (const [name, value] of this.entries()) fn(value, name);
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw).sort()) {
      const v = this.get(name);
      if (v !== null) yield [name, v];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * The part of a fetch Response the OCI SDK uses: status, statusText, headers.get, json(), text(),
 * and `body` (GetObject and InvokeFunction hand it to the caller as a Node Readable). Either the
 * whole body was read already (`data`), or it is still on the socket (`stream`) for large binaries.
 */
export class NodeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: ResponseHeaders;
  readonly url: string;
  readonly redirected = false;
  readonly type = "basic";
  private data: Buffer | undefined;
  private stream: IncomingMessage | undefined;
  private used = false;

  constructor(res: IncomingMessage, url: string, data: Buffer | undefined) {
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? "";
    this.headers = new ResponseHeaders(res.headers);
    this.url = url;
    if (data === undefined) this.stream = res;
    else this.data = data;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  /** A Node Readable of the body (never null: an empty body is an empty stream). */
  get body(): Readable {
    this.used = true;
    if (this.stream !== undefined) return this.stream;
    const data = this.data ?? EMPTY;
    return Readable.from(data.length === 0 ? [] : [data], { objectMode: false });
  }

  async buffer(): Promise<Buffer> {
    this.used = true;
    if (this.data !== undefined) return this.data;
    const stream = this.stream as IncomingMessage;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    this.data = Buffer.concat(chunks);
    this.stream = undefined;
    return this.data;
  }

  async text(): Promise<string> {
    return (await this.buffer()).toString("utf8");
  }

  async json(): Promise<unknown> {
    // Like fetch: an empty or malformed body rejects with a SyntaxError.
    return JSON.parse(await this.text()) as unknown;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = await this.buffer();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
}
