#!/bin/sh
# Entrypoint of the haproxy stand-in, as the official image's one.
set -e

# `docker run haproxy -f /path/haproxy.cfg` or `... haproxy --some-option`
if [ "${1#-}" != "$1" ]; then
	set -- haproxy "$@"
fi

if [ "$1" = 'haproxy' ]; then
	shift
	# -W: master-worker mode (reload with SIGUSR2); -db: stay in the foreground
	set -- haproxy -W -db "$@"
fi

exec "$@"
