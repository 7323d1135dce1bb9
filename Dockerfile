# The lab's images, from one Dockerfile and ONE build of the workspace: every service runs the
# same image, whose one binary (`votelab`) holds all five programs.
#
#   docker build -t counter .                 # the default target: the course's visit counter
#   docker build --target lab -t votelab .    # the image every service of the lab runs
#   docker compose up --build                 # builds `lab` once for all services
#
# Stages:
#   planner   the build context, split into a "skeleton" (Cargo.toml/Cargo.lock of every crate
#             with empty sources) and the sources; vendor.tar, when present, goes straight to deps
#   deps      compiles every dependency from the skeleton: this layer is reused as long as no
#             manifest, Cargo.lock or vendor.tar changes, so a source-only change rebuilds only
#             the workspace's own crates
#   build     compiles `votelab` (counter, vote, worker, result and loadgen in one binary, chosen
#             by the name it runs under) in one `cargo build --release --locked`, stripped
#   rootfs    what the binary needs at run time, taken from the Debian image: the C libraries
#             it links (the dynamic loader and glibc, whose resolver reads /etc/hosts and asks
#             Docker's DNS for service names), /etc/passwd with the non-root user, and the
#             links counter, vote, worker, result, loadgen -> votelab
#   lab       `FROM scratch` plus that: about 10 MB, no shell, no package manager, non-root;
#             compose gives each service its entrypoint (/usr/local/bin/vote, ...)
#   counter   the lab image as the course's drop-in counter: ENTRYPOINT, port 5000, HEALTHCHECK
#             through the binary's own `healthcheck` subcommand (no curl in the image)
#
# Crates: from crates.io, or offline from ./vendor.tar when the build context has it
# (scripts/vendor-crates writes it, with only the sources this build compiles; the lab and
# scripts/docker-offline run it for machines whose containers cannot reach crates.io).
#
# Works with BuildKit and with the legacy builder: no `# syntax=` line, no RUN --mount.
# Base images can be replaced with build args (--build-arg RUST_IMAGE=..., DEBIAN_IMAGE=...).

ARG RUST_IMAGE=rust:1-bookworm
ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${RUST_IMAGE} AS planner
WORKDIR /context
# Everything from the context enters here, vendor.tar included, and later stages take it with
# COPY --from: the legacy builder keys a COPY from the context on the tar headers its client
# wrote, which Compose and the docker CLI write differently (so `docker build` after `docker
# compose build` would compile every dependency again), and a COPY --from on the files alone.
COPY . .
# /skeleton: what the dependencies depend on, nothing more (its content, not its timestamps,
# decides whether the deps layer below is reused). /app: the sources, without vendor.tar.
RUN set -eu; \
    mkdir -p /skeleton /app; \
    cp Cargo.toml Cargo.lock /skeleton/; \
    find . -name Cargo.toml -not -path './target/*' -not -path ./Cargo.toml \
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
    # vendor.tar stays here, for the deps stage to copy (with no entry, and always the same
    # bytes and time, when there is none: crates.io)
    [ -f vendor.tar ] || { tar -cf vendor.tar -T /dev/null; touch -d @0 vendor.tar; }; \
    rm -rf target; \
    tar --exclude=./vendor.tar -cf - . | tar -C /app -xf -; \
    # Compose and the docker CLI pack the context differently, so this stage may run again for
    # the same sources: with every time set to zero, /skeleton and /app come out the same, and
    # the stages below stay cached.
    find /skeleton /app -exec touch -h -d @0 {} +

# ---------------------------------------------------------------------------------------------
FROM ${RUST_IMAGE} AS deps
# Cargo's default release profile instead of the workspace's (thin LTO over all crates, 4 codegen
# units): with LTO, every binary's link re-optimises all its dependencies, so a source-only change
# costs as much as a cold build (measured on 2 cores: 5.6 min instead of about 1). Empty values
# (--build-arg CARGO_PROFILE_RELEASE_LTO= ...) keep the workspace's profile.
ARG CARGO_PROFILE_RELEASE_LTO=false
ARG CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
ARG BINS="--bin votelab"
ENV CARGO_TERM_COLOR=never
WORKDIR /src
COPY --from=planner /skeleton/ ./
COPY --from=planner /context/vendor.tar ./
RUN set -eu; \
    # empty build args must not reach cargo as empty settings
    [ -n "${CARGO_PROFILE_RELEASE_LTO:-}" ] || unset CARGO_PROFILE_RELEASE_LTO; \
    [ -n "${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-}" ] || unset CARGO_PROFILE_RELEASE_CODEGEN_UNITS; \
    if [ -n "$(tar -tf vendor.tar | head -n 1)" ]; then \
        tar -xf vendor.tar; \
        echo "crates: offline, from vendor.tar ($(ls vendor | wc -l) crates)"; \
        printf '%s\n' '[source.crates-io]' 'replace-with = "vendored-sources"' '' \
            '[source.vendored-sources]' 'directory = "/src/vendor"' '' '[net]' 'offline = true' \
            >>"$CARGO_HOME/config.toml"; \
    else \
        echo "crates: from crates.io (no vendor.tar in the build context)"; \
    fi; \
    rm vendor.tar; \
    cargo build --release --locked $BINS

# ---------------------------------------------------------------------------------------------
FROM deps AS build
ARG CARGO_PROFILE_RELEASE_LTO=false
ARG CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
ARG BINS="--bin votelab"
COPY --from=planner /app/ ./
# The commit /metrics shows (kit reads it at compile time); here, so a new one rebuilds no deps.
ARG GIT_COMMIT=
# The real sources may be older than the empty ones the deps stage compiled: make them newer,
# or cargo would keep the empty programs.
RUN set -eu; \
    [ -n "${CARGO_PROFILE_RELEASE_LTO:-}" ] || unset CARGO_PROFILE_RELEASE_LTO; \
    [ -n "${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-}" ] || unset CARGO_PROFILE_RELEASE_CODEGEN_UNITS; \
    find . -path ./vendor -prune -o -path ./target -prune -o -type f -name '*.rs' -exec touch {} +; \
    cargo build --release --locked $BINS; \
    mkdir -p /out; \
    strip -o /out/votelab target/release/votelab; \
    # (the empty program of the deps stage would print nothing here)
    ln -s votelab /out/vote; \
    /out/vote --help 2>&1 | grep -q "voting page" || { echo "/out/votelab is not the real program" >&2; exit 1; }; \
    rm /out/vote; \
    # only the binary leaves this stage: committing the workspace's build output as a layer
    # would only cost time
    rm -rf target

# ---------------------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS rootfs
COPY --from=build /out/votelab /rootfs/usr/local/bin/votelab
# The libraries from the same Debian the binary was linked against (the build image's), found
# by the loader itself; /etc/nsswitch.conf as Debian's for hosts (files, then DNS).
# One unprivileged user for every service (numeric, so `runAsNonRoot` checks can see it).
# Ports below 1024 (vote, worker and result listen on 80 like the original images) need no
# capability: Docker (20.10+) and Podman set net.ipv4.ip_unprivileged_port_start=0 in containers.
RUN set -eu; \
    cd /rootfs; \
    for lib in $(ldd usr/local/bin/votelab | grep -oE '/[^ ]+'); do \
        mkdir -p ".$(dirname "$lib")"; cp -L "$lib" ".$lib"; \
    done; \
    for program in counter vote worker result loadgen; do ln -s votelab "usr/local/bin/$program"; done; \
    mkdir -p etc tmp; chmod 1777 tmp; \
    echo 'hosts: files dns' >etc/nsswitch.conf; \
    echo 'root:x:0:0:root:/root:/usr/sbin/nologin' >etc/passwd; \
    echo 'app:x:10001:10001:app:/nonexistent:/usr/sbin/nologin' >>etc/passwd; \
    printf 'root:x:0:\napp:x:10001:\n' >etc/group

# ---------------------------------------------------------------------------------------------
FROM scratch AS lab
COPY --from=rootfs /rootfs/ /
USER 10001:10001
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="votelab" \
      org.opencontainers.image.description="The Docker course's lab apps in Rust: counter, vote, worker, result, loadgen" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"

# ---------------------------------------------------------------------------------------------
# Last, so that a plain `docker build -t counter .` builds it, as in the course.
FROM lab AS counter
ENV BIND_PORT=5000
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/counter", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/counter"]
