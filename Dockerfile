# syntax=docker/dockerfile:1
# redis-medic: build the TypeScript in one stage, run the compiled JavaScript from a clean one.
#   docker build -t redis-medic:0.1.0 .
#   docker run --rm --env-file .env -p 3000:3000 -p 9090:9090 redis-medic:0.1.0
#   kubectl exec deploy/redis-medic-bot -- redis-medic status --nodes redis-cluster:6379
#
# The base image is pinned by digest, so a rebuild gets the same Node 24 and Debian packages until the digest
# is changed on purpose. To move to a newer node:24-slim (security fixes), look the digest up and replace it
# in both FROM lines, in one reviewed commit:
#   docker buildx imagetools inspect node:24-slim --format '{{json .Manifest.Digest}}'
# (the digest of the multi-arch index, so amd64 and arm64 builds both resolve).

FROM node:24-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `node` devDependency (Node 24 for `npm test` on older hosts, ~190 MB fetched by its
# install script) is not needed here, where Node 24 is the base image; nothing the build uses needs a script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc through the base image's node (node_modules/.bin/node would be the unfetched devDependency). The image
# build leaves out the sandbox and the test-only worker entry (tsconfig.build.json "exclude").
RUN /usr/local/bin/node node_modules/typescript/bin/tsc -p tsconfig.build.json \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df
ENV NODE_ENV=production PORT=3000 OPS_PORT=9090
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root --chmod=0755 bin/redis-medic.js ./bin/redis-medic.js
# `redis-medic status|diagnose` on the PATH, for `kubectl exec`.
RUN ln -s /app/bin/redis-medic.js /usr/local/bin/redis-medic
# The image's own `node` user (uid 1000); files stay root-owned, so the app cannot change its own code.
USER node
EXPOSE 3000 9090
CMD ["node", "dist/main.js"]
