# shellcheck shell=bash disable=SC2034  # Used by the scripts that source this file.
# Where PostgreSQL's server programs are, and how to run them: they refuse to run as root, so
# as root they run as the user the Debian package creates. Sourced by scripts/run-local and
# bench/run.

# PATH first, then the newest version Debian installed.
pg_bin=$(dirname "$(command -v initdb 2>/dev/null ||
  printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi
