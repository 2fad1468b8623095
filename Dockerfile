# pg-caravan: the packaged Quarkus application on a slim Debian image with a JRE and the
# PostgreSQL client tools. Build the application first, then the image (--format docker keeps the
# HEALTHCHECK, which the OCI format drops):
#   ./mvnw -B package -DskipTests && podman build --format docker -t pg-caravan .
# pg_dump must be at least the source's major version: PG_CLIENT picks the client package
# (Debian bookworm ships 15; for newer sources see docs/deployment.md on adding the PostgreSQL apt repository).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

ARG PG_CLIENT=15
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openjdk-17-jre-headless postgresql-client-${PG_CLIENT} curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 185 --home-dir /app --shell /usr/sbin/nologin caravan \
 && mkdir -p /app/config /var/lib/pg-caravan \
 && chown caravan /var/lib/pg-caravan

WORKDIR /app
COPY --chown=185 target/quarkus-app/lib/ /app/lib/
COPY --chown=185 target/quarkus-app/*.jar /app/
COPY --chown=185 target/quarkus-app/app/ /app/app/
COPY --chown=185 target/quarkus-app/quarkus/ /app/quarkus/

# Configuration comes from environment variables (CARAVAN_JOBS_<JOB>_SOURCE_HOST=...) or a file
# mounted at /app/config/application.properties; secrets from mounted files (*_PASSWORD_FILE).
ENV CARAVAN_DATA_DIR=/var/lib/pg-caravan \
    CARAVAN_IMPORT_DROP_DIR=/var/lib/pg-caravan/drop \
    QUARKUS_HTTP_HOST=0.0.0.0 \
    QUARKUS_HTTP_PORT=8080 \
    JDK_JAVA_OPTIONS="-Xmx128m -XX:+UseSerialGC -XX:+UnlockExperimentalVMOptions -XX:TrimNativeHeapInterval=2000" \
    MALLOC_ARENA_MAX=2

USER 185
VOLUME ["/var/lib/pg-caravan"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD curl -fs "http://127.0.0.1:${QUARKUS_HTTP_PORT:-8080}/q/health/live" || exit 1
# No shell in between: a shell drops variables whose names are not shell names, such as
# caravan.jobs.nightly-eu.source.host=... (the only way to name a job holding '-' or '_' from the
# environment). JVM options go in JDK_JAVA_OPTIONS, which the java launcher reads itself (the
# ones above are config/jvm.options: a small fixed heap, see docs/benchmarks.md). MALLOC_ARENA_MAX=2:
# two glibc malloc arenas instead of one per thread, 24 MB less resident at 3 GB (docs/benchmarks.md).
ENTRYPOINT ["java", "-jar", "/app/quarkus-run.jar"]
