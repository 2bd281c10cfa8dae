# One image for every role: the command picks it (`collect`, `detect`, `index`,
# `setup elasticsearch`, `run`, `match` …). See deploy/README.md, "The image".
#
# Two ways to build:
#   public   docker build -t dockguard:0.1.0 .
#            (node:20-bookworm-slim; dependencies installed with npm ci inside the build)
#   local    deploy/image/build-local.sh
#            (no registry: BASE is a base image made from this host's node binary, and
#            PREBUILT=1 copies dist/ and production node_modules staged on the host in
#            deploy/image/.prebuilt/; needs BuildKit, which skips the unused build stage)
#
# node-rdkafka (the optional native Kafka client) is NOT in the image: it would need a
# compiler and librdkafka in the build and its shared libraries at run time. The
# image uses kafkajs; selecting rdkafka in the configuration fails at startup with a
# message saying so.
ARG BASE=node:20-bookworm-slim
ARG PREBUILT=0

# --- build (public path): dev dependencies, compile, then production dependencies only
FROM ${BASE} AS build
WORKDIR /src
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are here; no runtime
# dependency needs an install script (node-rdkafka, the only one, is omitted).
RUN npm ci --omit=optional --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY detectors/ detectors/
COPY pipelines/ pipelines/
COPY schemas/ schemas/
COPY bench/ bench/
RUN npx tsc -p tsconfig.build.json \
 && mkdir -p /out \
 && cp -r dist package.json package-lock.json /out/ \
 && cd /out \
 && npm ci --omit=dev --omit=optional --ignore-scripts \
 && rm package-lock.json

FROM build AS artifacts-0

# --- prebuilt (local path): the same two folders, staged by deploy/image/build-local.sh
FROM scratch AS artifacts-1
COPY deploy/image/.prebuilt/ /out/

FROM artifacts-${PREBUILT} AS artifacts

# --- runtime: no RUN here, so the same stage works on a shell-less base
FROM ${BASE}
LABEL org.opencontainers.image.title="dockguard" \
      org.opencontainers.image.description="Detects abuse of the Docker Engine API (collector, detector, indexer)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/dockguard/dockguard"
WORKDIR /app
# Files stay owned by root and read-only for the service user: a compromised process
# cannot rewrite its own code or rules. The root file system can be mounted read-only;
# the only writable paths a service needs are /tmp and the collector's spool directory.
# Heap size is set per role by the manifests (NODE_OPTIONS=--max-old-space-size),
# matched to the container memory limit.
COPY --from=artifacts /out/node_modules/ node_modules/
COPY --from=artifacts /out/dist/ dist/
COPY package.json ./
COPY bin/ bin/
COPY schemas/avro/ schemas/avro/
COPY schemas/elasticsearch/ schemas/elasticsearch/
COPY sigma-rules/ sigma-rules/
USER 10001:10001
# 9464: /healthz, /readyz, /metrics; 2376: the collector's TLS proxy
EXPOSE 9464 2376
ENTRYPOINT ["/app/bin/dockguard"]
CMD ["help"]
