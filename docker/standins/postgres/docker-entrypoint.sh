#!/usr/bin/env bash
# Entrypoint of the postgres stand-in: a small rewrite of the official image's
# interface. On first start (no $PGDATA/PG_VERSION) it runs initdb, allows
# password logins from anywhere, creates POSTGRES_DB, runs the files in
# /docker-entrypoint-initdb.d; then it execs postgres as PID 1.
set -Eeuo pipefail

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by $VAR_FILE
file_env() {
	local var=$1 file_var=${1}_FILE val=${2:-}
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		echo >&2 "error: both $var and $file_var are set (but are exclusive)"
		exit 1
	fi
	if [ -n "${!var:-}" ]; then
		val=${!var}
	elif [ -n "${!file_var:-}" ]; then
		val=$(<"${!file_var}")
	fi
	export "$var=$val"
	unset "$file_var"
}

# `docker run postgres -c shared_buffers=256MB`
if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

# Started as root: own the data and socket dirs, then re-exec as postgres.
if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chmod 00700 "$PGDATA"
	chmod 03775 /var/run/postgresql
	find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
	exec gosu postgres "${BASH_SOURCE[0]}" "$@"
fi

if [ "$1" = 'postgres' ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"

	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		cat >&2 <<-'EOM'
			Error: Database is uninitialized and superuser password is not specified.
			       Set POSTGRES_PASSWORD to a non-empty value for the superuser,
			       or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections
			       without a password (not recommended).
		EOM
		exit 1
	fi

	echo "initializing database in $PGDATA"
	# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words
	if [ -n "$POSTGRES_PASSWORD" ]; then
		initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
			$POSTGRES_INITDB_ARGS >/dev/null
	else
		initdb --username="$POSTGRES_USER" $POSTGRES_INITDB_ARGS >/dev/null
	fi
	printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

	# temporary server on the unix socket only, for the set-up steps
	pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
	export PGUSER=$POSTGRES_USER PGPASSWORD=$POSTGRES_PASSWORD
	psql=(psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -q)
	if [ "$POSTGRES_DB" != postgres ]; then
		"${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		# shellcheck disable=SC1090 # *.sh not executable are sourced, as in the official image
		case "$f" in
		*.sh) echo "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
		*.sql) echo "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
		*.sql.gz) echo "running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
		*) [ ! -e "$f" ] || echo "ignoring $f" ;;
		esac
	done
	pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
	unset PGUSER PGPASSWORD
	echo "PostgreSQL init process complete; ready for start up."
fi

exec "$@"
