# Build on the FDK's dev image, run on the slim one: only the bundle is shipped.
FROM fnproject/node:20-dev AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN node scripts/build.mjs && test -s dist/func.cjs

FROM fnproject/node:20
WORKDIR /function
COPY --from=build /build/dist/func.cjs /function/func.cjs
ENTRYPOINT ["node", "/function/func.cjs"]
