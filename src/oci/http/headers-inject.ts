// esbuild's `inject` (scripts/build.mjs): every reference to the global `Headers` in a bundle's
// code (oci-common's composeRequest among them) becomes this class, so no request loads Node's fetch.
export { LightHeaders as Headers } from "./light-headers.js";
