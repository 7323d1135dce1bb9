#!/usr/bin/env bash
# Build local stand-ins for the official base images the project's Dockerfiles
# and docker-compose.yml name, in the private engine of scripts/docker-engine.sh
# (which this script starts if it is not running). There is no registry on
# this machine, so `docker pull` can't fetch them.
#
#   scripts/docker-base-images.sh [options] [debian|redis|postgres|haproxy|prometheus|rust ...]
#     (no names: all of them, in that order)
#   --force           rebuild even if the image is up to date (layer cache used;
#                     debian is re-imported only when its rootfs tarball changed)
#   --no-cache        rebuild without Docker's layer cache (implies --force)
#   --refresh-rootfs  debootstrap a new Debian rootfs instead of the cached one
#
# Images (tags as the official ones):
#   debian:bookworm-slim debian:12-slim (also as debian:bookworm, debian:12)
#   redis:7-bookworm redis:7 redis:7.0-bookworm redis:<x.y.z>-bookworm
#   postgres:15-bookworm postgres:15 postgres:<15.x>-bookworm
#   haproxy:2.6-bookworm haproxy:2.6 haproxy:<2.6.x>-bookworm
#   prom/prometheus:v<x.y.z> (the version of Debian's package; docker-compose.monitoring.yml's)
#   rust:1-bookworm rust:<1.xx>-bookworm rust:<1.xx.y>-bookworm
#   Redis, PostgreSQL and HAProxy also under the names docker-compose.yml uses by
#   default (REDIS_IMAGE, POSTGRES_IMAGE, HAPROXY_IMAGE: redis:7-alpine,
#   postgres:15-alpine, haproxy:2.6-bookworm),
#   so that a plain `docker compose up` finds them
#
# An image is skipped when it carries the label votelab.standin.hash equal to
# the hash of its inputs (its docker/standins/<name>/ files, its base image's
# id, and for rust the host toolchain's version), so a second run takes about
# a second. Caches: $VOTELAB_CACHE (default /var/cache/votelab): rootfs/
# (Debian tarball), debootstrap-debs/, ctx/ (staged build contexts), and the
# engine's data-root docker/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
standins=$repo/docker/standins
CACHE=${VOTELAB_CACHE:-/var/cache/votelab}
MIRROR=${VOTELAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
LABEL=votelab.standin.hash

force=0 nocache=() refresh=0 names=() build_args=()
for a in "$@"; do
    case "$a" in
    --force) force=1 ;;
    --no-cache) force=1; nocache=(--no-cache) ;;
    --refresh-rootfs) refresh=1 ;;
    debian | redis | postgres | haproxy | prometheus | rust) names+=("$a") ;;
    *) sed -n '2,24p' "$0" >&2; exit 2 ;;
    esac
done
[ ${#names[@]} -gt 0 ] || names=(debian redis postgres haproxy prometheus rust)

"$here/docker-engine.sh" start
eval "$("$here/docker-engine.sh" env)"
docker() { /usr/bin/docker "$@"; }

say() { echo "base-images: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# hash of a directory's files (names and contents) plus extra strings
inputs_hash() {
    local dir=$1; shift
    { (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
      printf '%s\n' "$@"; } | sha256sum | cut -c1-16
}

# The image docker-compose.yml (or compose file $2) uses when variable $1 is unset (its
# ${VAR:-image}).
compose_default() {
    sed -n "s/.*\${$1:-\([^}]*\)}.*/\1/p" "${2:-$repo/docker-compose.yml}" | head -n 1
}

# tag_compose_default stand-in variable: the stand-in also under compose's default name.
tag_compose_default() {
    local name
    name=$(compose_default "$2")
    [ -z "$name" ] || [ "$name" = "$1" ] || docker tag "$1" "$name"
}

image_hash() { docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true; }
image_id() { docker image inspect -f '{{.Id}}' "$1"; }

up_to_date() { # tag hash
    [ "$force" = 0 ] && [ "$(image_hash "$1")" = "$2" ]
}

tag_all() { # source tag...
    local src=$1 t; shift
    for t in "$@"; do docker tag "$src" "$t"; done
}

build() { # name context hash tags... (first tag is the main one)
    local name=$1 ctx=$2 hash=$3; shift 3
    local t0; t0=$(now)
    say "building $1"
    if ! docker build "${nocache[@]}" "${build_args[@]}" --label "$LABEL=$hash" -t "$1" "$ctx" \
        >"$CACHE/log/build-$name.log" 2>&1; then
        tail -n 40 "$CACHE/log/build-$name.log" >&2
        say "build of $name failed; full log: $CACHE/log/build-$name.log"
        exit 1
    fi
    tag_all "$@"
    say "built $* in $(elapsed "$t0") s"
}

# ---------------------------------------------------------------------------
build_debian() {
    local tar=$CACHE/rootfs/debian-bookworm-slim.tar hash t0
    mkdir -p "$CACHE/rootfs" "$CACHE/debootstrap-debs" "$CACHE/log"
    if [ "$refresh" = 1 ] || [ ! -s "$tar" ]; then
        t0=$(now)
        say "debootstrap bookworm (minbase) -> $tar"
        DEBOOTSTRAP_CACHE=$CACHE/debootstrap-debs TMPDIR=$CACHE \
            "$standins/debian/mkrootfs.sh" "$tar" "$MIRROR"
        sha256sum "$tar" | cut -c1-16 >"$tar.sha256"
        say "rootfs in $(elapsed "$t0") s"
    fi
    [ -s "$tar.sha256" ] || sha256sum "$tar" | cut -c1-16 >"$tar.sha256"
    hash=$(cat "$tar.sha256")
    # (not re-imported on --force: a new import gets a new id, which would
    # void the layer cache of every image built on it)
    if [ "$(image_hash debian:bookworm-slim)" = "$hash" ]; then
        say "debian:bookworm-slim is up to date"
        return
    fi
    t0=$(now)
    docker import \
        -c "LABEL $LABEL=$hash" \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'CMD ["bash"]' \
        "$tar" debian:bookworm-slim >/dev/null
    tag_all debian:bookworm-slim debian:12-slim debian:bookworm debian:12
    say "imported debian:bookworm-slim (also :12-slim, :bookworm, :12) in $(elapsed "$t0") s"
}

need_debian() { docker image inspect debian:bookworm-slim >/dev/null 2>&1 || build_debian; }

build_simple() { # name main-tag other-tags...
    local name=$1 main=$2; shift 2
    local hash
    need_debian
    hash=$(inputs_hash "$standins/$name" "$(image_id debian:bookworm-slim)")
    if up_to_date "$main" "$hash"; then
        say "$main is up to date"
        return
    fi
    build "$name" "$standins/$name" "$hash" "$main" "$@"
}

build_redis() {
    build_simple redis redis:7-bookworm redis:7 redis:7.0-bookworm
    local v
    v=$(docker run --rm --entrypoint redis-server redis:7-bookworm --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
    [ -z "$v" ] || docker tag redis:7-bookworm "redis:$v-bookworm"
    tag_compose_default redis:7-bookworm REDIS_IMAGE
}

build_postgres() {
    build_simple postgres postgres:15-bookworm postgres:15
    local v
    v=$(docker run --rm --entrypoint postgres postgres:15-bookworm --version | awk '{print $3}')
    [ -z "$v" ] || docker tag postgres:15-bookworm "postgres:$v-bookworm"
    tag_compose_default postgres:15-bookworm POSTGRES_IMAGE
}

build_haproxy() {
    build_simple haproxy haproxy:2.6-bookworm haproxy:2.6
    local v
    v=$(docker run --rm haproxy:2.6-bookworm haproxy -v | sed -n 's/^HAProxy version \([0-9.]*\).*/\1/p')
    [ -z "$v" ] || docker tag haproxy:2.6-bookworm "haproxy:$v-bookworm"
    tag_compose_default haproxy:2.6-bookworm HAPROXY_IMAGE
}

# Tagged with the version its Debian package has, the one the monitoring override names by
# default: a bookworm point release that moves it shows as a missing image, not a silent swap.
build_prometheus() {
    local main v
    main=$(compose_default PROMETHEUS_IMAGE "$repo/docker-compose.monitoring.yml")
    build_simple prometheus "$main"
    v=$(docker run --rm "$main" --version 2>&1 | sed -n 's/^prometheus, version \([0-9.]*\).*/v\1/p')
    [ "$v" = "${main##*:}" ] || { say "$main holds Prometheus $v: change PROMETHEUS_IMAGE's default"; exit 1; }
}

build_rust() {
    # the host's active toolchain, e.g. ~/.rustup/toolchains/stable-x86_64-unknown-linux-gnu
    local sysroot version host toolchain stage base hash rustup_bin p
    need_debian
    sysroot=$(rustc --print sysroot)
    version=$(rustc -V | awk '{print $2}')
    host=$(rustc -vV | sed -n 's/^host: //p')
    toolchain=$version-$host
    rustup_bin=$(command -v rustup)
    rustup_bin=$(readlink -f "$rustup_bin")
    hash=$(inputs_hash "$standins/rust" "$(image_id debian:bookworm-slim)" \
        "$(rustc -vV)" "$(cargo -V)" "$("$rustup_bin" --version 2>/dev/null)")
    if up_to_date rust:1-bookworm "$hash"; then
        say "rust:1-bookworm is up to date"
        return
    fi
    # Build context streamed as a tar: the Dockerfile, rustup's settings and
    # proxies from a small stage, and the toolchain straight from the host
    # (renamed, without docs and rust-src, made writable for all as in the
    # official image, so no chmod layer doubles the image).
    stage=$CACHE/ctx/rust
    rm -rf "$stage"
    mkdir -p "$stage/rustup/toolchains" "$stage/cargo/bin"
    cp "$standins/rust/Dockerfile" "$stage/"
    cp "$rustup_bin" "$stage/cargo/bin/rustup"
    for p in cargo cargo-clippy cargo-fmt clippy-driver rustc rustdoc rustfmt rust-gdb rust-gdbgui rust-lldb; do
        if [ -e "$sysroot/bin/$p" ]; then ln -s rustup "$stage/cargo/bin/$p"; fi
    done
    cat >"$stage/rustup/settings.toml" <<EOF
version = "12"
default_toolchain = "$toolchain"
profile = "minimal"
auto_self_update = "disable"

[overrides]
EOF
    base=$(basename "$sysroot")
    build_args=(--build-arg "RUST_VERSION=$version")
    tar -c -f - --owner=0 --group=0 --numeric-owner --mode=a+w \
        --exclude="$base/share/doc" --exclude="$base/lib/rustlib/src" \
        --transform "flags=rh;s,^$base,rustup/toolchains/$toolchain," \
        -C "$stage" . -C "$(dirname "$sysroot")" "$base" |
        build rust - "$hash" rust:1-bookworm "rust:${version%.*}-bookworm" "rust:$version-bookworm"
    build_args=()
    rm -rf "$stage"
}

for n in "${names[@]}"; do
    "build_$n"
done
# Drop our own superseded builds: untagged images whose label is no tagged stand-in's hash. Not
# every untagged image with the label: the layers Docker caches for builds FROM a stand-in (the
# project's image build) inherit its label, and are the cache of the next build.
hashes() { local id; while read -r id; do docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$id"; done; }
current=$(docker image ls --filter "label=$LABEL" --filter dangling=false -q | hashes | sort -u)
docker image ls --filter "label=$LABEL" --filter dangling=true -q | while read -r id; do
    grep -qxF "$(echo "$id" | hashes)" <<<"$current" || docker image rm "$id" >/dev/null 2>&1 || true
done
docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' \
    | grep -E '^(debian|redis|postgres|haproxy|prom/prometheus|rust):' | sort >&2
