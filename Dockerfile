# syntax=docker/dockerfile:1
# redis-medic: build the TypeScript in one stage, run the compiled JavaScript from a clean one.
#   docker build -t redis-medic:0.1.0 .
#   docker run --rm --env-file .env -p 3000:3000 redis-medic:0.1.0

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# The image's own `node` user (uid 1000); files stay root-owned, so the app cannot change its own code.
USER node
EXPOSE 3000
CMD ["node", "dist/main.js"]
