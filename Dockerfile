# accountd in a container: built in one stage, run from a small Debian image as a user without privileges.
#   docker build -t accountd .
#   docker compose up        (compose.yaml: accountd on Postgres)

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin accountd

FROM debian:bookworm-slim
# libpq for the Postgres backend, curl for the health check
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/accountd --shell /usr/sbin/nologin accountd \
 && mkdir -p /var/lib/accountd \
 && chown accountd /var/lib/accountd
COPY --from=build /src/target/release/accountd /usr/local/bin/accountd
USER accountd
ENV BIND_ADDR=0.0.0.0:5001 \
    DATA_DIR=/var/lib/accountd \
    LOG_FORMAT=json
VOLUME /var/lib/accountd
EXPOSE 5001
# ready: the database answers and the server is not draining
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:5001/readyz || exit 1
# SIGTERM drains (SHUTDOWN_DRAIN_SECONDS, 5) and finishes requests in flight (10 s): keep the stop timeout above 15 s
STOPSIGNAL SIGTERM
ENTRYPOINT ["accountd"]
CMD ["serve"]
