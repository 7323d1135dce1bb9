#!/bin/sh
# Entrypoint of the redis stand-in, after the official image's one.
set -e

# `docker run redis --appendonly yes` or `... redis /path/redis.conf`
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

# Start as root: fix ownership of /data, then re-exec as user redis.
if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec gosu redis "$0" "$@"
fi

if [ "$1" = 'redis-server' ]; then
	# The official image compiles Redis with protected-mode off so that other
	# containers can connect without a password; Debian's binary has it on.
	# Turn it off unless the arguments or the config file set it.
	case "$*" in
	*protected-mode*) ;;
	*)
		if [ "${2%.conf}" = "${2:-}" ] || ! grep -qs '^ *protected-mode' "$2"; then
			set -- "$@" --protected-mode no
		fi
		;;
	esac
	# an appropriate umask, unless one was set already
	if [ "$(umask)" = '0022' ]; then
		umask 0077
	fi
fi

exec "$@"
