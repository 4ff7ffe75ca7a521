# Plein: federated collaboration server. Node 24 runs the TypeScript sources directly.
#
#   docker build -t plein .
#   docker run -p 3000:3000 -v plein-data:/data -e PLEIN_ORIGIN=https://samen.example.nl plein
#
# Without DATABASE_URL the embedded database lives in the /data volume.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only: the `node` devDependency (Node 24 for checkouts whose
# system Node is older), TypeScript and Vitest are not needed; this image's node is 24.
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    PLEIN_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY migrations ./migrations
COPY federation ./federation
COPY src ./src
# Node's compile cache (src/main.ts), filled now: a container's first start does not
# compile the modules again. Owned by the server's user, who adds what it compiles later.
ENV NODE_COMPILE_CACHE=/app/.node-compile-cache
RUN node src/main.ts --help > /dev/null \
    && chown -R node:node /app/.node-compile-cache
# The image's `node` user (uid 1000) runs the server and owns the data volume.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "src/main.ts", "serve"]
