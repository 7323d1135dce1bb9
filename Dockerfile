# Images of the lab's four services, from one Dockerfile and ONE shared build of the workspace.
#
#   docker build -t counter .                 # the default target: the course's visit counter
#   docker build --target vote -t vote .      # also: worker, result, counter, seed
#   docker compose up --build                 # builds all four (see docker-compose.yml)
#
# Stages:
#   planner   the build context, split into a "skeleton" (Cargo.toml/Cargo.lock of every crate
#             with empty sources, and vendor/ when present) and the sources
#   deps      compiles every dependency from the skeleton: this layer is reused as long as no
#             manifest, Cargo.lock or vendor/ changes, so a source-only change rebuilds only the
#             workspace's own crates
#   build     compiles the four binaries in one `cargo build --release --locked`
#   counter, vote, worker, result   one small Debian image each: the binary, a non-root user,
#             exec-form ENTRYPOINT (SIGTERM reaches the binary), HEALTHCHECK through the binary's
#             own `healthcheck` subcommand (no curl in the image)
#   seed      posts votes to the vote service (the compose profile `seed`)
#
# Crates: from crates.io, or offline from ./vendor when that directory exists in the build
# context (`cargo vendor --locked vendor`; scripts/lab does it for machines whose containers
# cannot reach crates.io).
#
# Works with BuildKit and with the legacy builder: no `# syntax=` line, no RUN --mount.
# Base images can be replaced with build args (--build-arg RUST_IMAGE=..., DEBIAN_IMAGE=...).

ARG RUST_IMAGE=rust:1-bookworm
ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${RUST_IMAGE} AS planner
WORKDIR /context
COPY . .
# /skeleton: what the dependencies depend on, nothing more (its content, not its timestamps,
# decides whether the deps layer below is reused). /app: the sources, without vendor/.
RUN set -eu; \
    mkdir -p /skeleton /app; \
    cp Cargo.toml Cargo.lock /skeleton/; \
    find . -name Cargo.toml -not -path './vendor/*' -not -path './target/*' -not -path ./Cargo.toml \
    | while read -r manifest; do \
        dir=${manifest%/Cargo.toml}; \
        mkdir -p "/skeleton/$dir/src"; \
        cp "$manifest" "/skeleton/$manifest"; \
        if [ -f "$dir/build.rs" ]; then cp "$dir/build.rs" "/skeleton/$dir/"; fi; \
        # a package of tests only (e2e) has no target left once .dockerignore drops tests/;
        # an empty library keeps the workspace loadable
        if [ ! -d "$dir/src" ] && [ ! -d "$dir/tests" ]; then mkdir "$dir/src"; : >"$dir/src/lib.rs"; fi; \
        if [ -f "$dir/src/lib.rs" ]; then : >"/skeleton/$dir/src/lib.rs"; fi; \
        if [ -f "$dir/src/main.rs" ]; then echo 'fn main() {}' >"/skeleton/$dir/src/main.rs"; fi; \
        for bin in "$dir"/src/bin/*.rs; do \
            [ -f "$bin" ] || continue; \
            mkdir -p "/skeleton/$dir/src/bin"; echo 'fn main() {}' >"/skeleton/$bin"; \
        done; \
    done; \
    if [ -d vendor ]; then mv vendor /skeleton/vendor; fi; \
    rm -rf target; \
    cp -r . /app

# ---------------------------------------------------------------------------------------------
FROM ${RUST_IMAGE} AS deps
# Cargo's default release profile instead of the workspace's (thin LTO over all crates, 4 codegen
# units): with LTO, every binary's link re-optimises all its dependencies, so a source-only change
# costs as much as a cold build (measured on 2 cores: 5.6 min instead of about 1). Empty values
# (--build-arg CARGO_PROFILE_RELEASE_LTO= ...) keep the workspace's profile.
ARG CARGO_PROFILE_RELEASE_LTO=false
ARG CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
ARG BINS="--bin counter --bin vote --bin worker --bin result"
ENV CARGO_TERM_COLOR=never
WORKDIR /src
COPY --from=planner /skeleton/ ./
RUN set -eu; \
    # empty build args must not reach cargo as empty settings
    [ -n "${CARGO_PROFILE_RELEASE_LTO:-}" ] || unset CARGO_PROFILE_RELEASE_LTO; \
    [ -n "${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-}" ] || unset CARGO_PROFILE_RELEASE_CODEGEN_UNITS; \
    if [ -d vendor ]; then \
        echo "crates: offline, from vendor/"; \
        printf '%s\n' '[source.crates-io]' 'replace-with = "vendored-sources"' '' \
            '[source.vendored-sources]' 'directory = "/src/vendor"' '' '[net]' 'offline = true' \
            >>"$CARGO_HOME/config.toml"; \
    else \
        echo "crates: from crates.io (no vendor/ in the build context)"; \
    fi; \
    cargo build --release --locked $BINS

# ---------------------------------------------------------------------------------------------
FROM deps AS build
ARG CARGO_PROFILE_RELEASE_LTO=false
ARG CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
ARG BINS="--bin counter --bin vote --bin worker --bin result"
COPY --from=planner /app/ ./
# The real sources may be older than the empty ones the deps stage compiled: make them newer,
# or cargo would keep the empty programs.
RUN set -eu; \
    [ -n "${CARGO_PROFILE_RELEASE_LTO:-}" ] || unset CARGO_PROFILE_RELEASE_LTO; \
    [ -n "${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-}" ] || unset CARGO_PROFILE_RELEASE_CODEGEN_UNITS; \
    find . -path ./vendor -prune -o -path ./target -prune -o -type f -name '*.rs' -exec touch {} +; \
    cargo build --release --locked $BINS; \
    mkdir -p /out; \
    for bin in $BINS; do \
        [ "$bin" != --bin ] || continue; \
        cp "target/release/$bin" /out/; \
        # (an empty program of the deps stage would print nothing here)
        "/out/$bin" --help 2>&1 | grep -q "$bin" || { echo "/out/$bin is not the real program" >&2; exit 1; }; \
    done

# ---------------------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS runtime
# One unprivileged user for every service (numeric, so `runAsNonRoot` checks can see it).
# Ports below 1024 (vote, worker and result listen on 80 like the original images) need no
# capability: Docker (20.10+) and Podman set net.ipv4.ip_unprivileged_port_start=0 in containers.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin app
USER 10001:10001

# ---------------------------------------------------------------------------------------------
# The seed step of the compose profile `seed`: a few hundred votes through HTTP, with bash's
# /dev/tcp (nothing to install). To be replaced by the loadgen binary.
FROM runtime AS seed
COPY docker/seed.sh /usr/local/bin/seed
ENTRYPOINT ["bash", "/usr/local/bin/seed"]

# ---------------------------------------------------------------------------------------------
FROM runtime AS worker
COPY --from=build /out/worker /usr/local/bin/worker
ENV PORT=80
EXPOSE 80
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/worker", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/worker"]

FROM runtime AS result
COPY --from=build /out/result /usr/local/bin/result
ENV PORT=80
EXPOSE 80
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/result", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/result"]

FROM runtime AS vote
COPY --from=build /out/vote /usr/local/bin/vote
ENV PORT=80
EXPOSE 80
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/vote", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/vote"]

# Last, so that a plain `docker build -t counter .` builds it, as in the course.
FROM runtime AS counter
COPY --from=build /out/counter /usr/local/bin/counter
ENV BIND_PORT=5000
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/counter", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/counter"]
