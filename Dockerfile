# One image per app:  docker build --build-arg APP=<app> -t boomerang/<app> .
# (docker-compose.yml builds every app this way.) Needs BuildKit (the default builder).
#   deps              npm ci, without install scripts
#   mediasoup-worker  for APP=voice: the mediasoup worker binary (a no-op for other apps)
#   build             SWC to dist/, plus that worker; dev dependencies pruned
#   runtime           node:20-bookworm-slim, non-root, dist/libs and the app's own dist/apps/<app>
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# No install scripts: the image needs none of them (SWC's binding is an optional dependency),
# and mediasoup's would download or build its worker on its own terms; the next stage does
# that deliberately. (package.json "allowScripts" does the same for npm 11; the image has npm 10.)
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts

# voice runs mediasoup: its worker is downloaded prebuilt when GitHub is reachable, otherwise
# built from the npm package's sources with Debian's toolchain (minutes; the cache mount keeps
# it across builds). A stage of its own, so source changes do not redo it; a no-op for other apps.
FROM deps AS mediasoup-worker
ARG APP
COPY tools/mediasoup tools/mediasoup
RUN --mount=type=cache,target=/root/.cache/boomerang \
    mkdir -p node_modules/mediasoup/worker/out/Release \
    && if [ "$APP" = voice ]; then node tools/mediasoup/ensure-worker.mjs; fi

FROM deps AS build
ARG APP
RUN test -n "$APP" || { echo 'build with --build-arg APP=<app> (gateway, workspace, profiles, ...)' >&2; exit 1; }
COPY . .
RUN node tools/build/build.mjs
RUN test -f "dist/apps/$APP/src/main.js" || { echo "apps/$APP/src/main.ts does not exist" >&2; exit 1; }
# The gateway loads the composed supergraph (committed by `npm run schema:compose`).
RUN mkdir -p supergraph
COPY --from=mediasoup-worker /app/node_modules/mediasoup/worker/out ./node_modules/mediasoup/worker/out
RUN npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
ARG APP
# A source-built mediasoup worker links Debian's libraries (a prebuilt one needs none of them).
RUN if [ "$APP" = voice ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends libssl3 libuv1 libsrtp2-1 libusrsctp2 libabsl20220623 \
      && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /app
ENV APP=${APP} NODE_ENV=production HOST=0.0.0.0
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/libs ./dist/libs
COPY --from=build /app/dist/apps/${APP} ./dist/apps/${APP}
COPY --from=build /app/supergraph ./supergraph
USER node
# exec: node is the process that receives SIGTERM and shuts down gracefully.
CMD exec node --enable-source-maps dist/apps/$APP/src/main.js
