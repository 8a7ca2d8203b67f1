# syntax=docker/dockerfile:1
# auditship image: one static (musl) binary on distroless, non-root.
#
#   docker build -t auditship .
#   docker run -v "$PWD/auditship.toml:/etc/auditship/auditship.toml:ro" \
#              -v auditship-state:/var/lib/auditship auditship
#
# The configuration is a mounted file; the journal lives on the volume so a
# new container resumes where the old one stopped (nothing lost, nothing
# sent twice beyond the batch in flight).

# Pinned so a rebuild is the same build; bump together with rust-version.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
# musl-tools: the musl C toolchain ring's and mimalloc's build scripts
# compile with.
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools=1.2.3-1 \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# bench/ holds targets named in Cargo.toml: cargo wants them present.
COPY bench ./bench
COPY crates ./crates
COPY src ./src
# The dist profile (Cargo.toml): release + fat LTO, debug info stripped.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --profile dist --target x86_64-unknown-linux-musl --bin auditship \
 && cp target/x86_64-unknown-linux-musl/dist/auditship /auditship \
 && mkdir -p /state

# The static build allocates through mimalloc and copies with its own
# memcpy (README, "Static binary"), so it runs as fast as a glibc build.
# static-debian12: no libc, no shell, CA certificates and /etc/passwd with
# the nonroot user (65532) included.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /auditship /usr/bin/auditship
COPY config/auditship.toml /etc/auditship/auditship.toml
# Owned by the runtime user, so a fresh named volume inherits it.
COPY --from=build --chown=65532:65532 /state /var/lib/auditship
# Where rustls-native-certs finds the roots for https:// sinks.
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 65532:65532
VOLUME ["/var/lib/auditship"]
# Until the admin endpoint (/health) exists, the check is that the mounted
# configuration (and the secrets it names) still loads: it catches a broken
# mount or a missing secret, not a wedged agent.
HEALTHCHECK --interval=60s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/bin/auditship", "--log-level", "error", "validate", "-c", "/etc/auditship/auditship.toml"]
ENTRYPOINT ["/usr/bin/auditship"]
CMD ["run", "-c", "/etc/auditship/auditship.toml"]
