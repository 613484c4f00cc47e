// @fnproject/fdk ships no types. Only what this project uses, as the FDK 0.0.76 behaves.
declare module "@fnproject/fdk" {
  export interface HTTPGatewayContext {
    readonly requestURL: string | null;
    readonly method: string | null;
    readonly headers: Record<string, string[]>;
    getHeader(name: string): string | null;
    /** A setter only: adds Fn-Http-Status to the response. */
    statusCode: number;
    setResponseHeader(name: string, ...values: string[]): void;
  }
  export interface Context {
    readonly callID: string | null;
    readonly deadline: Date | null;
    readonly fnID: string | undefined;
    readonly appID: string | undefined;
    readonly memory: number;
    readonly contentType: string | null;
    readonly headers: Record<string, string[]>;
    /** A copy of all of process.env, credentials included: never log it. */
    readonly config: Record<string, string>;
    responseContentType: string;
    getHeader(name: string): string | null;
    setResponseHeader(name: string, ...values: string[]): void;
    readonly httpGateway: HTTPGatewayContext;
  }
  export type Handler = (input: string, ctx: Context) => unknown;
  export function handle(fn: Handler, options?: { inputMode?: "json" | "string" | "buffer" }): () => void;
}
