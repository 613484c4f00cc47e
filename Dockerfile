# Build on the FDK's dev image, run on the slim one: only the bundle, its loader and the SDK files it
# requires on first use (sdk-*.cjs: Key Management, Functions, Events, Secrets) are shipped.
FROM fnproject/node:20-dev AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN node scripts/build.mjs && test -s dist/func.cjs && test -s dist/func-loader.cjs

FROM fnproject/node:20
WORKDIR /function
COPY --from=build /build/dist/func.cjs /build/dist/func-loader.cjs /build/dist/sdk-*.cjs /function/
# V8's code cache of func.cjs, made by the Node that will run it (func-loader.cjs starts the
# function on a throwaway socket, answers two invocations that call nothing, saves the cache).
# Without it, or with a stale one, the loader compiles func.cjs as `node func.cjs` would.
RUN ["node", "/function/func-loader.cjs", "--write-code-cache"]
ENTRYPOINT ["node", "/function/func-loader.cjs"]
