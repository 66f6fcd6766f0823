# The vip-announcer operator image: one image for both roles
# (`controller` in the Deployment, `speaker` next to gobgpd on each node).
#   docker build -t ghcr.io/vip-announcer/vip-announcer:0.1.0 .
# Not built on the development machine (no container engine there).

# Node 24 (the current LTS) in every stage; package.json's engines stays ">=20"
# because the development machines run Node 20, and nothing in the code needs more.
# The runtime stage is distroless: the node binary, its libraries and CA
# certificates only; no shell, no npm, no corepack, no package manager.

# --- build: compile TypeScript (dev dependencies needed) --------------------
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY operator ./operator
COPY test-e2e ./test-e2e
COPY hack ./hack
# `npm run build` compiles everything tsconfig includes and copies the .proto
# files to dist/operator/gobgp/proto; only dist/operator ships, without tests.
RUN npm run build \
 && find dist/operator -name '*.test.js' -delete \
 && find dist/operator -name '*.test.js.map' -delete

# --- production dependencies only -------------------------------------------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime ----------------------------------------------------------------
FROM gcr.io/distroless/nodejs24-debian12:nonroot
ENV NODE_ENV=production LOG_FORMAT=json
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/operator ./dist/operator
COPY package.json ./
# Numeric, so runAsNonRoot can verify it; matches runAsUser in config/manager.
USER 65532:65532
EXPOSE 9464
ENTRYPOINT ["/nodejs/bin/node", "dist/operator/main.js"]
CMD ["controller", "--config", "/etc/vip-announcer/config.yaml"]
