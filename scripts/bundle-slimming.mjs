// What the function bundle leaves out, and why each is unreachable or replaceable. Used by
// build.mjs for dist/func.cjs (and its benchmark twin) and by the bundle tests.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);

const unsupported = (what) =>
  "const fail = () => { throw new Error(" +
  JSON.stringify(`${what} is not bundled in this function (OCI API, session and resource principal keys are RSA)`) +
  "); };\n" +
  // Any property path leads back here; only a call throws. sshpk reads these modules' members lazily.
  "const stub = new Proxy(fail, { get: (_t, p) => (p === '__esModule' ? false : p === Symbol.toPrimitive ? undefined : stub), apply: fail, construct: fail });\n" +
  "module.exports = stub;";

/** Module name → replacement source (CommonJS). */
export const STUBS = {
  // Our HTTP client sends every product request. What oci-common still fetches by itself
  // (instance principals: metadata and federation calls) goes to Node's global fetch, as its
  // FetchHttpClient already does whenever no `agent` option is set. Drops node-fetch, whatwg-url
  // and tr46 (260 KiB of Unicode tables).
  "isomorphic-fetch": "module.exports = function fetchCompat(url, options) { return fetch(url, options); };",
  // Getters: reading Node's fetch globals loads undici (~30 ms), which a cold start must not pay.
  "node-fetch":
    "function nodeFetch(url, options) { return fetch(url, options); }\n" +
    "nodeFetch.default = nodeFetch;\n" +
    'for (const name of ["Request", "Response", "Headers"]) Object.defineProperty(nodeFetch, name, { get: () => globalThis[name], enumerable: true });\n' +
    "module.exports = nodeFetch;",
  // A no-op on Node 20, which has native promises.
  "es6-promise": "module.exports = { Promise: Promise, polyfill: function polyfill() {} };",
  // oci-common only decodes tokens (security-token-adapter.js); sign/verify pull in semver and lodash.
  jsonwebtoken: 'module.exports = { decode: require("jsonwebtoken/decode.js") };',
  // oci-common hashes request bodies with jsSHA("SHA-256", "TEXT").getHash("B64") (signer.js,
  // X509-federation-client.js): node:crypto does the same.
  jssha:
    'const { createHash } = require("node:crypto");\n' +
    "class Sha {\n" +
    "  constructor(variant, inputFormat) {\n" +
    '    if (variant !== "SHA-256" || inputFormat !== "TEXT") throw new Error(`jsSHA(${variant}, ${inputFormat}) is not bundled in this function`);\n' +
    '    this.hash = createHash("sha256");\n' +
    "  }\n" +
    '  update(text) { this.hash.update(text, "utf8"); }\n' +
    '  getHash(format) { return this.hash.digest(format === "B64" ? "base64" : format === "HEX" ? "hex" : (() => { throw new Error(`jsSHA format ${format} is not bundled`); })()); }\n' +
    "}\n" +
    "module.exports = Sha; module.exports.default = Sha; module.exports.__esModule = true;",
  // oci-common calls only uuid.v1() (headers.js: opc-request-id; retry-token-header.js: opc-retry-token),
  // where only uniqueness matters: a random UUID from node:crypto.
  uuid: 'const { randomUUID } = require("node:crypto");\nmodule.exports = { v1: () => randomUUID(), v4: () => randomUUID() };',
  // sshpk's curve and bcrypt helpers: Ed25519/X25519 (tweetnacl), ECDSA key derivation
  // (ecc-jsbn, jsbn) and encrypted OpenSSH-format keys (bcrypt-pbkdf). OCI signing keys are RSA;
  // RSA PEM (PKCS#1, PKCS#8, encrypted or not) and RSA certificates never reach these.
  tweetnacl: unsupported("Ed25519/X25519 (tweetnacl)"),
  "ecc-jsbn": unsupported("ECDSA key derivation (ecc-jsbn)"),
  "ecc-jsbn/lib/ec": unsupported("ECDSA key derivation (ecc-jsbn)"),
  jsbn: unsupported("big-integer key arithmetic (jsbn)"),
  "bcrypt-pbkdf": unsupported("encrypted OpenSSH-format keys (bcrypt-pbkdf)"),
};

const zodEnglish = require.resolve("zod/v4/locales/en.js");
const zodRoot = join(dirname(zodEnglish), "..");

/**
 * zod modules no schema of ours runs, replaced by modules with the same exports that throw when
 * called: z.compile / z.withParser (core/compile.js), z.fromJSONSchema, and JSON Schema output
 * (z.toJSONSchema, schema.toJSONSchema(), `~standard`.jsonSchema). Each may be imported only by
 * the modules listed; the build fails if a zod update imports one from anywhere else.
 */
const ZOD_STUBS = {
  "core/compile.js": { importers: ["core/index.js"] },
  "classic/from-json-schema.js": { importers: ["classic/external.js"] },
  "core/json-schema-generator.js": { importers: ["core/index.js"] },
  "core/to-json-schema.js": {
    importers: ["core/index.js", "classic/schemas.js", "core/json-schema-processors.js", "core/json-schema-generator.js"],
    // classic/schemas.js calls these two to build methods (the `~standard` getter builds two):
    // building must work, calling what they build throws.
    factories: ["createStandardJSONSchemaMethod", "createToJSONSchemaMethod"],
  },
};

/** Paths that must not appear in the function bundle's inputs once the plugin is in place. */
export const ABSENT = [
  "node_modules/tr46/",
  "node_modules/whatwg-url/",
  "node_modules/node-fetch/",
  "node_modules/isomorphic-fetch/",
  "node_modules/es6-promise/",
  "node_modules/semver/",
  "node_modules/jssha/",
  "node_modules/uuid/",
  "node_modules/tweetnacl/",
  "node_modules/jsbn/",
  "node_modules/ecc-jsbn/",
  "node_modules/bcrypt-pbkdf/",
  "node_modules/zod/v4/locales/de.js",
  ...Object.keys(ZOD_STUBS).map((f) => `node_modules/zod/v4/${f}`),
];

async function zodStubSource(rel, spec) {
  const ns = await import(pathToFileURL(join(zodRoot, rel)).href);
  const lines = [`const fail = (name) => { throw new Error("zod's " + name + " is not bundled in this function"); };`];
  const names = Object.keys(ns).filter((n) => n !== "default");
  names.forEach((name, i) => {
    const v = ns[name];
    const id = `s${i}`;
    const quoted = JSON.stringify(name);
    if (spec.factories?.includes(name)) lines.push(`const ${id} = () => () => fail(${quoted});`);
    else if (typeof v === "function") lines.push(`const ${id} = function () { fail(${quoted}); };`);
    else if (typeof v === "symbol" && Symbol.keyFor(v) !== undefined) lines.push(`const ${id} = Symbol.for(${JSON.stringify(Symbol.keyFor(v))});`);
    else if (v === null || ["string", "number", "boolean", "undefined"].includes(typeof v)) lines.push(`const ${id} = ${v === undefined ? "undefined" : JSON.stringify(v)};`);
    else throw new Error(`zod ${rel} exports ${name} (${typeof v}): no stub for it; review scripts/bundle-slimming.mjs`);
    lines.push(`export { ${id} as ${quoted} };`);
  });
  return lines.join("\n");
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * Client classes of multi-client SDK packages that the function never constructs. Each is
 * replaced (in the package's lib/client.js) by a class that throws, located by the generated
 * file's exact shape: `class X {` at column 0 up to `}` + `exports.X = X;`. The build fails if the
 * shape differs or if src/ names one of them.
 */
export const UNUSED_CLIENTS = {
  "oci-keymanagement": ["EkmClient", "KmsCryptoClient", "KmsHsmClusterClient"],
};

function dropClientClasses(pkg, file, source) {
  let out = source;
  for (const name of UNUSED_CLIENTS[pkg]) {
    const open = `\nclass ${name} {\n`;
    const close = `\n}\nexports.${name} = ${name};\n`;
    const start = out.indexOf(open);
    const end = out.indexOf(close, start);
    if (start < 0 || end < 0 || out.indexOf(open, start + 1) >= 0) {
      throw new Error(`${file}: class ${name} is not where the slimming plugin expects it; review scripts/bundle-slimming.mjs`);
    }
    const stub = `\nclass ${name} {\n    constructor() { throw new Error(${JSON.stringify(`${pkg} ${name} is not bundled in this function`)}); }`;
    out = out.slice(0, start) + stub + out.slice(end);
  }
  return out;
}

/** Throws if a source file under `dir` names a client class the bundle replaces. */
export function checkUnusedClients(dir) {
  const names = Object.values(UNUSED_CLIENTS).flat();
  const pattern = new RegExp(`\\b(${names.join("|")})\\b`);
  const walk = (d) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts")) {
        const m = pattern.exec(readFileSync(p, "utf8"));
        if (m) throw new Error(`${p} uses ${m[1]}, which the function bundle replaces: see UNUSED_CLIENTS in scripts/bundle-slimming.mjs`);
      }
    }
  };
  walk(dir);
}

/**
 * Modules the bundle keeps but evaluates only when first used, not at cold start: a facade with
 * one getter per export (the names read from the module at build time) requires the real module
 * on first access. sshpk and http-signature (with asn1, assert-plus, jsprim...) sign and parse
 * keys only for oci-common's own signer, instance principals and non-PEM keys; jwa signs and
 * verifies JWTs (the resource principal token is only decoded); node:https and
 * node:tls load on the first https request (oci-common requires them for OKE workload identity),
 * node:zlib on the first resume token. oci-common itself (with opossum, jsonwebtoken and the
 * rest it requires) loads when the first principal or client is built (src/oci/clients.ts): an
 * invocation that calls nothing in OCI never evaluates it.
 */
export const LAZY_MODULES = ["oci-common", "sshpk", "http-signature", "jwa", "node:https", "node:tls", "node:zlib"];

/**
 * oci-common's resource principal key suppliers parse the PEM with sshpk to get the key pair as
 * PEM text. For RSA keys in PEM (PKCS#1 or PKCS#8, encrypted or not) node:crypto writes the
 * very same text (test/unit/bundle-slimming.test.ts compares them), so sshpk need not load at
 * cold start; anything else still goes through sshpk. Each file must contain `call` exactly once.
 */
export const PEM_FAST_PATH = {
  "oci-common/lib/auth/helpers/load-private-key-from-file.js": 'sshpk_1.parsePrivateKey(privateKeyFileContent, "auto", options)',
  "oci-common/lib/auth/fixed-content-key-supplier.js": 'sshpk_1.parsePrivateKey(privateKeyContent, "auto", options)',
};

/** The replacement of sshpk.parsePrivateKey in PEM_FAST_PATH's files (`fallback` is sshpk's own). */
export const pemPrivateKeySource = `function reencryptPemPrivateKey(data, options, fallback) {
  const crypto = require("node:crypto");
  let key;
  try {
    const passphrase = options && options.passphrase;
    key = crypto.createPrivateKey(passphrase === undefined ? { key: data, format: "pem" } : { key: data, format: "pem", passphrase });
  } catch {
    return fallback();
  }
  if (key.asymmetricKeyType !== "rsa") return fallback();
  const pem = (what) => { throw new Error("the resource principal key was read with node:crypto; " + what + " is not supported"); };
  return {
    toPublic: () => ({ toString: (format) => (format === "pem" ? crypto.createPublicKey(key).export({ type: "spki", format: "pem" }) : pem("toPublic().toString(" + format + ")")) }),
    toBuffer: (format) => (format === "pem" ? Buffer.from(key.export({ type: "pkcs1", format: "pem" })) : pem("toBuffer(" + format + ")")),
  };
}`;

/**
 * Lazy modules kept out of func.cjs altogether: each side file holds its modules and everything
 * only they require, and their facades require it on first access. sshpk and http-signature
 * (with asn1, jsprim, verror, json-schema...: ~145 KB) serve only oci-common's own signer,
 * instance principals and keys that are not RSA PEM. No module of these holds state that another
 * file reads, and Node's require cache makes the side file one instance for every facade.
 */
export const SIDE_MODULES = { "sdk-signing.cjs": ["sshpk", "http-signature"] };
const sideFileOf = (name) => Object.entries(SIDE_MODULES).find(([, modules]) => modules.includes(name))?.[0];
const SIDE_FILE = /^\.\/sdk-[a-z]+\.cjs$/;

function lazyFacade(name) {
  const real = require(name);
  const keys = Object.keys(real).filter((k) => k !== "default" && k !== "__esModule");
  const file = sideFileOf(name);
  const source = file ? `require(${JSON.stringify(`./${file}`)})[${JSON.stringify(name)}]` : `require(${JSON.stringify(name)})`;
  return (
    `let real;\nconst load = () => (real ??= ${source});\n` +
    // A module that is a function (jwa) stays callable.
    (typeof real === "function" ? "module.exports = function lazyModule(...args) { return load().apply(this, args); };\n" : "") +
    `for (const k of ${JSON.stringify(keys)}) Object.defineProperty(module.exports, k, { enumerable: true, get: () => load()[k] });`
  );
}

/**
 * The slimming plugin; `inline` names lazy modules bundled as they are (a side file of
 * SIDE_MODULES holds its own modules, not facades of them).
 * @returns {import("esbuild").Plugin}
 */
export function slimBundle(inline = []) {
  const lazy = LAZY_MODULES.filter((m) => !inline.includes(m));
  const lazyModuleFilter = new RegExp(`^(${lazy.map((m) => (m.startsWith("node:") ? `(?:node:)?${escape(m.slice(5))}` : escape(m))).join("|")})$`);
  return {
  name: inline.length > 0 ? "slim-side-bundle" : "slim-function-bundle",
  setup(b) {
    b.onResolve({ filter: SIDE_FILE }, (a) => ({ path: a.path, external: true }));
    const names = Object.keys(STUBS).map(escape).join("|");
    b.onResolve({ filter: new RegExp(`^(${names})$`) }, (a) => ({ path: a.path, namespace: "stub", pluginData: { resolveDir: a.resolveDir } }));
    b.onLoad({ filter: /.*/, namespace: "stub" }, (a) => ({ contents: STUBS[a.path], loader: "js", resolveDir: a.pluginData.resolveDir }));
    // zod/v4/core and zod/v4/classic re-export `locales` from "../locales/index.js": English only
    // (the default; z.config(z.locales.xx()) is never called).
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (a) =>
      /[\\/]zod[\\/]v4[\\/]/.test(a.importer) ? { path: "zod-locales-en", namespace: "zod-locales" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-locales" }, () => ({
      contents: `export { default as en } from ${JSON.stringify(zodEnglish)};`,
      loader: "js",
      resolveDir: dirname(zodEnglish),
    }));
    b.onResolve({ filter: /(compile|from-json-schema|json-schema-generator|to-json-schema)\.js$/ }, (a) => {
      if (!a.importer.startsWith(zodRoot)) return undefined;
      const target = relative(zodRoot, join(a.resolveDir, a.path)).split("\\").join("/");
      const spec = ZOD_STUBS[target];
      if (!spec) return undefined;
      const importer = relative(zodRoot, a.importer).split("\\").join("/");
      if (!spec.importers.includes(importer)) {
        return { errors: [{ text: `zod's ${importer} imports ${target}, which the function bundle replaces with a stub: review scripts/bundle-slimming.mjs` }] };
      }
      return { path: target, namespace: "zod-stub" };
    });
    b.onLoad({ filter: /.*/, namespace: "zod-stub" }, async (a) => ({ contents: await zodStubSource(a.path, ZOD_STUBS[a.path]), loader: "js" }));
    b.onResolve({ filter: lazyModuleFilter }, (a) => {
      if (a.namespace === "lazy-module") return undefined;
      const path = LAZY_MODULES.includes(a.path) ? a.path : `node:${a.path}`;
      return { path, namespace: "lazy-module", pluginData: { resolveDir: a.resolveDir } };
    });
    b.onLoad({ filter: /.*/, namespace: "lazy-module" }, (a) => ({ contents: lazyFacade(a.path), loader: "js", resolveDir: a.pluginData.resolveDir }));
    const pemFiles = new RegExp(`[\\\\/]node_modules[\\\\/](${Object.keys(PEM_FAST_PATH).map(escape).join("|")})$`);
    b.onLoad({ filter: pemFiles }, (a) => {
      const rel = pemFiles.exec(a.path)[1];
      const call = PEM_FAST_PATH[rel];
      const source = readFileSync(a.path, "utf8");
      if (source.split(call).length !== 2) throw new Error(`${a.path}: \`${call}\` is not there exactly once; review PEM_FAST_PATH in scripts/bundle-slimming.mjs`);
      const args = /\(([^,]+), "auto", options\)/.exec(call)[1];
      return { contents: `${source.replace(call, `reencryptPemPrivateKey(${args}, options, () => ${call})`)}\n${pemPrivateKeySource}\n`, loader: "js" };
    });
    const clientFiles = new RegExp(`[\\\\/](${Object.keys(UNUSED_CLIENTS).join("|")})[\\\\/]lib[\\\\/]client\\.js$`);
    b.onLoad({ filter: clientFiles }, (a) => {
      const pkg = clientFiles.exec(a.path)[1];
      return { contents: dropClientClasses(pkg, a.path, readFileSync(a.path, "utf8")), loader: "js" };
    });
  },
  };
}

/** @type {import("esbuild").Plugin} */
export const slimFunctionBundle = slimBundle();

/**
 * SDK packages the function needs only on some invocations (rotation starts, dispatches,
 * diagnose, SSE-C secrets): each is a file of its own beside func.cjs, required on first use, so
 * a cold start neither reads nor compiles them. They share func.cjs's oci-common and opossum
 * (one circuit-breaker setting, one LOG.logger, one signer cache), handed over through a global
 * registry the function bundle fills before it requires a side file.
 */
export const SIDE_SDKS = {
  "oci-objectstorage": "sdk-objectstorage.cjs",
  "oci-keymanagement": "sdk-keymanagement.cjs",
  "oci-functions": "sdk-functions.cjs",
  "oci-events": "sdk-events.cjs",
  "oci-secrets": "sdk-secrets.cjs",
};
const SHARED_MODULES = ["oci-common", "opossum"];
const SHARED_KEY = "oci-reencrypt.shared-modules";
const sideNames = Object.keys(SIDE_SDKS).map(escape).join("|");

/** In the function bundle: `import("oci-keymanagement")` becomes a require of ./sdk-keymanagement.cjs. */
export const loadSideSdks = {
  name: "load-side-sdks",
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${sideNames})$`) }, (a) => (a.namespace === "side-sdk" ? undefined : { path: a.path, namespace: "side-sdk", pluginData: { resolveDir: a.resolveDir } }));
    b.onLoad({ filter: /.*/, namespace: "side-sdk" }, (a) => ({
      contents:
        `const shared = (globalThis[Symbol.for(${JSON.stringify(SHARED_KEY)})] ??= {});\n` +
        SHARED_MODULES.map((m) => `shared[${JSON.stringify(m)}] ??= require(${JSON.stringify(m)});\n`).join("") +
        `module.exports = require(${JSON.stringify(`./${SIDE_SDKS[a.path]}`)});`,
      loader: "js",
      resolveDir: a.pluginData.resolveDir,
    }));
    b.onResolve({ filter: /^\.\/sdk-[a-z]+\.cjs$/ }, (a) => ({ path: a.path, external: true }));
  },
};

/** In a side file: oci-common and opossum are the function bundle's (a side file alone throws). */
export const sharedFromFunctionBundle = {
  name: "shared-from-function-bundle",
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${SHARED_MODULES.map(escape).join("|")})$`) }, (a) => ({ path: a.path, namespace: "shared-module" }));
    b.onLoad({ filter: /.*/, namespace: "shared-module" }, (a) => ({
      contents:
        `const m = globalThis[Symbol.for(${JSON.stringify(SHARED_KEY)})]?.[${JSON.stringify(a.path)}];\n` +
        `if (m === undefined) throw new Error(${JSON.stringify(`${a.path} comes from func.cjs: require this file through the function bundle`)});\n` +
        "module.exports = m;",
      loader: "js",
    }));
  },
};

/** Throws unless a side file's metafile holds its package and none of the modules it shares. */
export function checkSideBundle(out, pkg, metafile) {
  const outputs = Object.keys(metafile.outputs).filter((f) => !f.endsWith(".map"));
  if (outputs.length !== 1) throw new Error(`${out}: expected one output file, got ${outputs.join(", ")}`);
  const inputs = Object.keys(metafile.outputs[outputs[0]].inputs);
  if (!inputs.some((f) => f.includes(`node_modules/${pkg}/`))) throw new Error(`${out}: ${pkg} is not in it`);
  for (const m of SHARED_MODULES) {
    const hit = inputs.find((f) => f.includes(`node_modules/${m}/`));
    if (hit) throw new Error(`${out}: ${hit} is bundled; it must come from func.cjs`);
  }
}

/** The entry of a SIDE_MODULES file: an object of its modules. */
export const sideModulesEntry = (modules) => `module.exports = { ${modules.map((m) => `${JSON.stringify(m)}: require(${JSON.stringify(m)})`).join(", ")} };\n`;

/** Throws unless a SIDE_MODULES file's metafile holds its modules themselves (no facade of them) and nothing it must share. */
export function checkSideModules(out, modules, metafile) {
  const outputs = Object.keys(metafile.outputs).filter((f) => !f.endsWith(".map"));
  if (outputs.length !== 1) throw new Error(`${out}: expected one output file, got ${outputs.join(", ")}`);
  const inputs = Object.keys(metafile.outputs[outputs[0]].inputs);
  for (const m of modules) {
    if (!inputs.some((f) => f.includes(`node_modules/${m}/`))) throw new Error(`${out}: ${m} is not in it`);
    if (inputs.includes(`lazy-module:${m}`)) throw new Error(`${out}: holds a facade of ${m} instead of ${m}`);
  }
  for (const m of SHARED_MODULES) {
    const hit = inputs.find((f) => f.includes(`node_modules/${m}/`));
    if (hit) throw new Error(`${out}: ${hit} is bundled; it must come from func.cjs`);
  }
}

/** Throws unless the bundle is ASCII: its loader (func-loader.cjs, cli.cjs: src/code-cache.ts) reads it as latin1. */
export function checkAscii(out) {
  const at = readFileSync(out).findIndex((b) => b > 0x7f);
  if (at >= 0) throw new Error(`${out}: byte ${at} is not ASCII; keep esbuild's default charset (its loader reads the bundle as latin1)`);
}

/**
 * Throws unless the metafile shows one output file without any of ABSENT (the side SDKs and
 * side modules included), with zod's English locale, and the file is ASCII (func-loader.cjs reads
 * it as latin1).
 */
export function checkFunctionBundle(out, metafile) {
  checkAscii(out);
  const outputs = Object.keys(metafile.outputs).filter((f) => !f.endsWith(".map"));
  if (outputs.length !== 1) throw new Error(`${out}: expected one output file, got ${outputs.join(", ")}`);
  const inputs = Object.keys(metafile.outputs[outputs[0]].inputs);
  for (const path of [...ABSENT, ...[...Object.keys(SIDE_SDKS), ...Object.values(SIDE_MODULES).flat()].map((p) => `node_modules/${p}/`)]) {
    const hit = inputs.find((f) => f.includes(path));
    if (hit) throw new Error(`${out}: ${hit} is bundled; the slimming plugin no longer catches it`);
  }
  if (!inputs.some((f) => f.endsWith("zod/v4/locales/en.js"))) throw new Error(`${out}: zod's English locale is missing`);
  for (const name of LAZY_MODULES) {
    if (!inputs.includes(`lazy-module:${name}`)) throw new Error(`${out}: ${name} is not behind its lazy facade; review LAZY_MODULES in scripts/bundle-slimming.mjs`);
  }
}
