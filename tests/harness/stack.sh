#!/usr/bin/env bash
#
# stack.sh: starts and stops a private latchkey stack (PostgreSQL cluster,
# latchkeyd, the demo upstream, lighttpd and optionally Apache httpd) whose
# every file lives in one state directory.  script/server, script/test and
# bench/run all use it; the integration tests call it to simulate outages.
#
#   stack.sh start STATE_DIR               everything below, idempotently
#   stack.sh stop STATE_DIR                stop all it started (pid files)
#   stack.sh status STATE_DIR              one line per component
#   stack.sh pg-stop STATE_DIR             stop PostgreSQL only (an outage)
#   stack.sh pg-start STATE_DIR            start it again
#   stack.sh latchkeyd-restart STATE_DIR   SIGTERM latchkeyd, start it again
#   stack.sh latchkeyd-stop STATE_DIR      stop latchkeyd only (an outage)
#   stack.sh latchkeyd-start STATE_DIR     start it again, wait for the fronts
#
# `start` reads its settings from the environment; what it used is saved in
# STATE_DIR/env, so the other commands (and a later `start`) need nothing
# but the state directory:
#
#   LK_HTTP_PORT     lighttpd port (default 8080; 0 or empty: no lighttpd)
#   LK_APACHE_PORT   Apache port (default: none; 0 or empty: no Apache)
#   LK_FCGI_PORT     latchkeyd's FastCGI port on 127.0.0.1 (default 9000)
#   LK_FCGI_SOCKET   a path: latchkeyd listens on this unix socket instead
#                    and lighttpd reaches it there (default: none, TCP).
#                    Not with Apache, whose mod_authnz_fcgi reaches an
#                    authorizer over TCP only; so the test stack, which
#                    runs both servers, stays on TCP
#   LK_DEMO_PORT     the demo upstream's HTTP port on 127.0.0.1, mounted at
#                    /demo/ of both web servers behind latchkey's
#                    authorizer (default: a free port, kept across starts)
#   LK_PG_PORT       PostgreSQL port; names the unix socket, no TCP (5432)
#   LK_BUILD_DIR     directory holding latchkeyd and latchkeyctl (build/)
#   LK_WORKERS       latchkeyd workers (default: latchkeyd's own default)
#   LK_BCRYPT_COST   bcrypt cost (default 12; the tests use 4)
#   LK_ASAN_LOG      directory for ASan/UBSan reports of latchkeyd and
#                    latchkeyctl (sanitizer builds; default: none)
#   LK_STACK_EPHEMERAL  1: a throwaway test stack: no fsync, and `stop`
#                    deletes the database cluster
#   LK_START_TIMEOUT seconds to wait for each component (default 60)
#
# STATE_DIR/env gets shell KEY=value lines for tools and tests: LK_URL,
# LK_APACHE_URL, PGHOST, PGPORT, PGDATABASE, LK_OWNER_ROLE, LK_APP_ROLE,
# LK_WRITER_ROLE (the request-history writer's), LK_CONFIG, LK_SERVICE_KEY (this stack's service key), LK_STATE_DIR,
# LK_HARNESS, LK_LATCHKEYD_PID_FILE, LK_BUILD_DIR, LK_DEMO_URL (the
# upstream itself, not behind the authorizer) and LK_DEMO_HITS (a file the
# upstream appends "METHOD PATH" to for every request it answers), plus
# the settings above.
#
# The demo upstream (tests/demo/upstream.py) echoes the identity the web
# server passed on.  `start` registers what guards it, idempotently:
# `latchkeyctl permission add demo.read` and `latchkeyctl route add GET
# '/demo/*' demo.read`.
#
# Every process this script starts gets a pid file in STATE_DIR and runs in
# its own session (setsid), so `stop` signals exactly those processes and
# their process groups, never anything found by name.
#

set -euo pipefail

HARNESS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
SRC_DIR="$(cd "$(dirname "$HARNESS")/../.." && pwd)"
PG_BIN=/usr/lib/postgresql/15/bin
PG_OS_USER=postgres
OWNER_ROLE=latchkey_owner
APP_ROLE=latchkey_app
WRITER_ROLE=latchkey_writer
DB_NAME=latchkey
# sockaddr_un.sun_path holds 108 bytes; PostgreSQL's socket file name is
# ".s.PGSQL.<port>" inside unix_socket_directories.
SOCKET_DIR_MAX=90

log() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

usage() {
	sed -n '3,15p' "$HARNESS" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# --- processes ---------------------------------------------------------

# True when PID is a live process (not a zombie).
pid_running() {
	local pid=$1 state
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ $state != Z ]]
}

# Prints the pid recorded in PIDFILE if that process is running and its
# argv[0] ends in NAME (so a recycled pid is never mistaken for ours).
pidfile_pid() {
	local pidfile=$1 name=$2 pid argv0
	[[ -f $pidfile ]] || return 1
	pid=$(<"$pidfile")
	pid_running "$pid" || return 1
	IFS= read -r -d '' argv0 <"/proc/$pid/cmdline" 2>/dev/null || true
	[[ ${argv0##*/} == "$name"* ]] || return 1
	printf '%s\n' "$pid"
}

# Starts a long-running command in its own session with stdio on LOGFILE
# and records its pid in PIDFILE.  Without job control a background child
# is never a process group leader, so setsid(1) does not fork and $! is
# the daemon itself.
spawn() {
	local pidfile=$1 logfile=$2
	shift 2
	setsid "$@" </dev/null >>"$logfile" 2>&1 &
	printf '%s\n' "$!" >"$pidfile"
}

# Sends SIGTERM to the process in PIDFILE, waits up to TIMEOUT seconds for
# it and every process of its group to exit, then SIGKILLs the group.
stop_pidfile() {
	local what=$1 pidfile=$2 name=$3 timeout=$4 pid pgid deadline
	if ! pid=$(pidfile_pid "$pidfile" "$name"); then
		rm -f "$pidfile"
		return 0
	fi
	pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
	kill -TERM "$pid" 2>/dev/null || true
	deadline=$((SECONDS + timeout))
	while pid_running "$pid" || group_alive "$pid" "$pgid"; do
		if ((SECONDS >= deadline)); then
			log "$what (pid $pid) still running after ${timeout}s: SIGKILL"
			if [[ $pgid == "$pid" ]]; then
				kill -KILL -- "-$pgid" 2>/dev/null || true
			else
				kill -KILL "$pid" 2>/dev/null || true
			fi
			sleep 0.2
			break
		fi
		sleep 0.1
	done
	rm -f "$pidfile"
	log "$what stopped"
}

# True while any process of the group led by PID (which we created with
# setsid) remains, e.g. a worker that outlived its master.
group_alive() {
	local pid=$1 pgid=$2 p
	[[ -n $pgid && $pgid == "$pid" ]] || return 1
	for p in $(pgrep -g "$pgid" 2>/dev/null); do
		pid_running "$p" && return 0
	done
	return 1
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
	timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Waits until PORT accepts connections while PID lives.
# still_starting WHAT PID LOGFILE DEADLINE LATE: one step of a wait for a
# process to come up; dies with the tail of its log if it exited, or with
# the message LATE once SECONDS reached DEADLINE.
still_starting() {
	local what=$1 pid=$2 logfile=$3 deadline=$4 late=$5
	if ! pid_running "$pid"; then
		tail -n 30 "$logfile" >&2 || true
		die "$what exited during startup (log: $logfile)"
	fi
	if ((SECONDS >= deadline)); then
		tail -n 30 "$logfile" >&2 || true
		die "$late"
	fi
}

wait_port() {
	local what=$1 port=$2 pid=$3 logfile=$4 deadline
	deadline=$((SECONDS + START_TIMEOUT))
	until port_open "$port"; do
		still_starting "$what" "$pid" "$logfile" "$deadline" \
		    "$what not listening on port $port after ${START_TIMEOUT}s"
		sleep 0.1
	done
}

# Waits until the unix socket PATH exists while PID lives (latchkeyd
# binds and listens at once; the web servers' checks follow).
wait_socket() {
	local what=$1 path=$2 pid=$3 logfile=$4 deadline
	deadline=$((SECONDS + START_TIMEOUT))
	until [[ -S $path ]]; do
		still_starting "$what" "$pid" "$logfile" "$deadline" \
		    "$what has no socket $path after ${START_TIMEOUT}s"
		sleep 0.1
	done
}

# Waits until URL/health gets an answer from latchkeyd through a web
# server: any status (the database check is latchkeyd's business), except
# a 502/503/504 that is not JSON, which is the web server's own page for a
# backend it cannot reach yet.  With PATH: until URL/PATH gets an answer
# that latchkeyd made (it has an X-Request-Id header), whatever its status
# (the web server's own error pages have none).
wait_http() {
	local what=$1 url=$2 pid=$3 logfile=$4 path=${5:-} deadline out code ctype
	deadline=$((SECONDS + START_TIMEOUT))
	while :; do
		if [[ -n $path ]]; then
			out=$(curl -s -o /dev/null -D - --max-time 5 "$url$path" || true)
			grep -qi '^x-request-id:' <<<"$out" && return 0
			out=$(head -n 1 <<<"$out" | tr -d '\r')
		else
			out=$(curl -s -o /dev/null --max-time 5 \
			    -w '%{http_code} %{content_type}' "$url/health" || true)
		fi
		code=${out%% *}
		ctype=${out#* }
		if [[ -z $path && -n $code && $code != 000 ]]; then
			case $code in
			502 | 503 | 504) [[ $ctype == *json* ]] && return 0 ;;
			*) return 0 ;;
			esac
		fi
		still_starting "$what" "$pid" "$logfile" "$deadline" \
		    "$url${path:-/health} did not answer within ${START_TIMEOUT}s (last: ${out:-none})"
		sleep 0.2
	done
}

# --- state ---------------------------------------------------------------

load_state() {
	STATE=$1
	[[ -d $STATE ]] || die "no state directory $STATE"
	STATE=$(cd "$STATE" && pwd)
	[[ -f $STATE/env ]] || die "$STATE/env missing: run stack.sh start first"
	# shellcheck disable=SC1091
	source "$STATE/env"
	START_TIMEOUT=${LK_START_TIMEOUT:-60}
	set_paths
}

set_paths() {
	PG_ROOT=$STATE/pg
	PG_DATA=$PG_ROOT/data
	PG_RUN=$PG_ROOT/run
	PG_LOG=$PG_ROOT/postgres.log
	CONFIG=$STATE/latchkey.conf
	LATCHKEYD_PID=$STATE/latchkeyd.pid
	LATCHKEYD_LOG=$STATE/latchkeyd.log
	LIGHTTPD_PID=$STATE/lighttpd.pid
	LIGHTTPD_DIR=$STATE/lighttpd
	APACHE_PID=$STATE/apache.pid
	APACHE_DIR=$STATE/apache
	DEMO_PID=$STATE/demo.pid
	DEMO_LOG=$STATE/demo.log
	DEMO_HITS=$STATE/demo-hits.log
}

# Writes STATE/env: what tools and tests need, and every setting that the
# other subcommands reuse.  Values are shell-quoted where needed.
write_env() {
	local tmp=$STATE/env.tmp url=""
	if enabled "$LK_HTTP_PORT"; then
		url=http://127.0.0.1:$LK_HTTP_PORT
	elif enabled "$LK_APACHE_PORT"; then
		url=http://127.0.0.1:$LK_APACHE_PORT
	fi
	{
		echo "# Written by tests/harness/stack.sh start; sourced by its other commands."
		kv LK_URL "$url"
		enabled "$LK_APACHE_PORT" && kv LK_APACHE_URL "http://127.0.0.1:$LK_APACHE_PORT"
		kv PGHOST "$(resolved "$PG_RUN")"
		kv PGPORT "$LK_PG_PORT"
		kv PGDATABASE "$DB_NAME"
		kv LK_OWNER_ROLE "$OWNER_ROLE"
		kv LK_APP_ROLE "$APP_ROLE"
		kv LK_WRITER_ROLE "$WRITER_ROLE"
		kv LK_CONFIG "$CONFIG"
		kv LK_SERVICE_KEY "$(<"$STATE/service_key")"
		kv LK_STATE_DIR "$STATE"
		kv LK_HARNESS "$HARNESS"
		kv LK_LATCHKEYD_PID_FILE "$LATCHKEYD_PID"
		kv LK_LATCHKEYD_LOG "$LATCHKEYD_LOG"
		kv LK_BUILD_DIR "$LK_BUILD_DIR"
		kv LK_SQL_DIR "$LK_SQL_DIR"
		kv LK_PGDATA "$(resolved "$PG_DATA")"
		kv LK_PG_LOG "$(resolved "$PG_LOG")"
		kv LK_HTTP_PORT "$LK_HTTP_PORT"
		kv LK_APACHE_PORT "$LK_APACHE_PORT"
		kv LK_FCGI_PORT "$LK_FCGI_PORT"
		kv LK_FCGI_SOCKET "$LK_FCGI_SOCKET"
		kv LK_DEMO_PORT "$LK_DEMO_PORT"
		kv LK_DEMO_URL "http://127.0.0.1:$LK_DEMO_PORT"
		kv LK_DEMO_HITS "$DEMO_HITS"
		kv LK_DEMO_PID_FILE "$DEMO_PID"
		kv LK_PG_PORT "$LK_PG_PORT"
		kv LK_WORKERS "$LK_WORKERS"
		kv LK_BCRYPT_COST "$LK_BCRYPT_COST"
		kv LK_ASAN_LOG "$LK_ASAN_LOG"
		kv LK_STACK_EPHEMERAL "$LK_STACK_EPHEMERAL"
		kv LK_START_TIMEOUT "$START_TIMEOUT"
	} >"$tmp"
	mv -f "$tmp" "$STATE/env"
}

kv() { if [[ -z $2 ]]; then printf '%s=\n' "$1"; else printf '%s=%q\n' "$1" "$2"; fi; }
enabled() { [[ -n ${1:-} && ${1:-} != 0 ]]; }
resolved() { readlink -m "$1"; }

# --- PostgreSQL -----------------------------------------------------------

# Runs a PostgreSQL server program: as the unprivileged postgres user when
# we are root (the server refuses root), else as ourselves.  From / so the
# postgres user never needs to enter the caller's directory.
as_pg() {
	if ((EUID == 0)); then
		(cd / && runuser -u "$PG_OS_USER" -- "$@")
	else
		(cd / && "$@")
	fi
}

# Superuser SQL over the unix socket.
psql_su() {
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$(resolved "$PG_RUN")" \
	    -p "$LK_PG_PORT" -U postgres "$@"
}

# Makes STATE/pg: a directory the server's user owns, inside the state
# directory when that user can reach it and the socket path stays short
# enough, else in a private directory under /tmp that STATE/pg links to
# (e.g. a checkout under /root, mode 700).
pg_prepare_root() {
	local tmp
	if [[ -L $PG_ROOT && ! -d $PG_ROOT ]]; then
		log "database directory $(readlink "$PG_ROOT") is gone (reboot?): a new cluster"
		rm -f "$PG_ROOT"
	fi
	[[ -d $PG_ROOT ]] && return 0
	if pg_user_can_use "$STATE" &&
	    ((${#PG_RUN} <= SOCKET_DIR_MAX)); then
		mkdir -m 700 "$PG_ROOT"
	else
		tmp=$(mktemp -d /tmp/latchkey-pg.XXXXXX)
		ln -s "$tmp" "$PG_ROOT"
		log "database cluster under $tmp ($STATE is out of reach of user $PG_OS_USER, or its path is too long for a socket)"
	fi
	if ((EUID == 0)); then
		chown "$PG_OS_USER:" "$(resolved "$PG_ROOT")"
	fi
	chmod 700 "$(resolved "$PG_ROOT")"
}

pg_user_can_use() {
	if ((EUID == 0)); then
		runuser -u "$PG_OS_USER" -- test -x "$1" 2>/dev/null
	else
		test -x "$1"
	fi
}

pg_initdb() {
	[[ -f $PG_DATA/PG_VERSION ]] && return 0
	log "initdb $(resolved "$PG_DATA")"
	# trust: this is a private development/test cluster.  It has no TCP
	# listener at all (listen_addresses = ''), and its only socket lives
	# in a directory that only the postgres user (and root) can enter.
	as_pg "$PG_BIN/initdb" -D "$(resolved "$PG_DATA")" --username=postgres \
	    --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-instructions \
	    >"$STATE/initdb.log" 2>&1 || {
		cat "$STATE/initdb.log" >&2
		die "initdb failed"
	}
	echo "include_if_exists = 'latchkey-harness.conf'" |
	    as_pg tee -a "$(resolved "$PG_DATA")/postgresql.conf" >/dev/null
}

# Rewritten at every start, so the port and socket follow the settings.
pg_write_conf() {
	local f
	f="$(resolved "$PG_DATA")/latchkey-harness.conf"
	{
		echo "# Written by tests/harness/stack.sh."
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$(resolved "$PG_RUN")'"
		echo "unix_socket_permissions = 0700"
		echo "port = $LK_PG_PORT"
		echo "timezone = 'UTC'"
		echo "log_timezone = 'UTC'"
		if [[ $LK_STACK_EPHEMERAL == 1 ]]; then
			echo "# A throwaway test cluster: durability buys nothing."
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		fi
	} | as_pg tee "$f" >/dev/null
}

pg_running() {
	[[ -f $PG_DATA/PG_VERSION ]] || return 1
	as_pg "$PG_BIN/pg_ctl" status -D "$(resolved "$PG_DATA")" >/dev/null 2>&1
}

pg_start() {
	if pg_running; then
		return 0
	fi
	as_pg mkdir -p "$(resolved "$PG_RUN")"
	as_pg chmod 700 "$(resolved "$PG_RUN")"
	log "starting PostgreSQL (socket $(resolved "$PG_RUN"), port $LK_PG_PORT)"
	as_pg "$PG_BIN/pg_ctl" start -D "$(resolved "$PG_DATA")" \
	    -l "$(resolved "$PG_LOG")" -w -t "$START_TIMEOUT" -s </dev/null || {
		as_pg tail -n 30 "$(resolved "$PG_LOG")" >&2 || true
		die "PostgreSQL did not start (log: $(resolved "$PG_LOG"))"
	}
}

pg_stop() {
	pg_running || return 0
	if ! as_pg "$PG_BIN/pg_ctl" stop -D "$(resolved "$PG_DATA")" -m fast \
	    -w -t "$START_TIMEOUT" -s; then
		log "PostgreSQL did not stop in time: immediate shutdown"
		as_pg "$PG_BIN/pg_ctl" stop -D "$(resolved "$PG_DATA")" \
		    -m immediate -w -t 30 -s || die "PostgreSQL will not stop"
	fi
	log "PostgreSQL stopped"
}

# Roles (sql/roles.sql, as a DBA would run it), the database, migrations.
pg_provision() {
	local n
	n=$(psql_su -d postgres -tAc "SELECT count(*) FROM pg_roles WHERE rolname IN ('$OWNER_ROLE', '$APP_ROLE', '$WRITER_ROLE')")
	if [[ $n != 3 ]]; then
		[[ -f $LK_SQL_DIR/roles.sql ]] || die "$LK_SQL_DIR/roles.sql missing"
		log "creating roles ($LK_SQL_DIR/roles.sql)"
		psql_su -d postgres -f "$LK_SQL_DIR/roles.sql" >/dev/null
	fi
	n=$(psql_su -d postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = '$DB_NAME'")
	if [[ $n != 1 ]]; then
		log "creating database $DB_NAME"
		psql_su -d postgres -c "CREATE DATABASE $DB_NAME OWNER $OWNER_ROLE"
	fi
	ctl migrate --dir "$LK_SQL_DIR" \
	    --database-url "$(conninfo "$OWNER_ROLE")" >"$STATE/migrate.log" 2>&1 || {
		cat "$STATE/migrate.log" >&2
		die "latchkeyctl migrate failed"
	}
	demo_routes
}

# What guards the demo upstream: its permission and its route.  Both
# commands are upserts, so every start runs them.
demo_routes() {
	local url
	url=$(conninfo "$OWNER_ROLE")
	{
		ctl --database-url "$url" permission add demo.read \
		    --description "call the demo upstream (GET /demo/...)" &&
		    ctl --database-url "$url" route add GET '/demo/*' demo.read
	} >"$STATE/routes.log" 2>&1 || {
		cat "$STATE/routes.log" >&2
		die "registering the demo route failed (latchkeyctl permission/route add)"
	}
}

conninfo() {
	printf 'host=%s port=%s dbname=%s user=%s' "$(resolved "$PG_RUN")" \
	    "$LK_PG_PORT" "$DB_NAME" "$1"
}

# --- latchkeyd ---------------------------------------------------------------

# The environment latchkey programs run in: ASan/UBSan write their reports
# to files under LK_ASAN_LOG (when set), and the caller's LK_* overrides are
# removed so that only the stack's config counts.
lk_env() {
	LK_ENV=(-u LK_JWT_SECRET -u LK_JWT_SECRET_PREVIOUS -u LK_DATABASE_URL
	    -u LK_HISTORY_DATABASE_URL)
	if [[ -n $LK_ASAN_LOG ]]; then
		mkdir -p "$LK_ASAN_LOG"
		LK_ENV+=("ASAN_OPTIONS=log_path=$LK_ASAN_LOG/asan:detect_leaks=1:halt_on_error=1:abort_on_error=0"
		    "UBSAN_OPTIONS=log_path=$LK_ASAN_LOG/ubsan:print_stacktrace=1:halt_on_error=1")
	fi
}

# Runs latchkeyctl in that environment.
ctl() {
	lk_env
	env "${LK_ENV[@]}" "$LK_BUILD_DIR/latchkeyctl" "$@"
}

write_config() {
	local secret_file=$STATE/jwt_secret tmp=$STATE/latchkey.conf.tmp
	local service_file=$STATE/service_key
	if [[ ! -s $secret_file ]]; then
		(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$secret_file")
	fi
	# This stack's service key (server-to-server, acts for any org):
	# the config holds its SHA-256, STATE/env the key (LK_SERVICE_KEY).
	if [[ ! -s $service_file ]]; then
		(umask 077 && printf 'lksvc_%s' "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >"$service_file")
	fi
	(
		umask 077
		{
			echo "# Written by tests/harness/stack.sh start; edits are lost at the next start."
			if [[ -n $LK_FCGI_SOCKET ]]; then
				echo "listen = unix:$LK_FCGI_SOCKET"
				echo "listen_mode = 0660"
			else
				echo "listen = 127.0.0.1:$LK_FCGI_PORT"
			fi
			[[ -n $LK_WORKERS ]] && echo "workers = $LK_WORKERS"
			echo "shutdown_timeout = 10"
			echo "database_url = $(conninfo "$APP_ROLE")"
			echo "history_database_url = $(conninfo "$WRITER_ROLE")"
			echo "mount_prefix = /"
			echo "jwt_secret = $(<"$secret_file")"
			echo "jwt_ttl = 86400"
			echo "jwt_leeway = 60"
			echo "bcrypt_cost = $LK_BCRYPT_COST"
			echo "max_body_bytes = 65536"
			echo "api_key_prefix = lk"
			echo "service_keys = $(printf '%s' "$(<"$service_file")" | sha256sum | cut -d' ' -f1)"
		} >"$tmp"
	)
	mv -f "$tmp" "$CONFIG"
	ctl check-config -c "$CONFIG" \
	    >"$STATE/check-config.log" 2>&1 || {
		cat "$STATE/check-config.log" >&2
		die "latchkeyctl check-config rejected $CONFIG"
	}
}

latchkeyd_start() {
	local pid sum
	sum=$(cksum <"$CONFIG")
	if pid=$(pidfile_pid "$LATCHKEYD_PID" latchkeyd); then
		if [[ -f $STATE/latchkeyd.conf-sum && $(<"$STATE/latchkeyd.conf-sum") == "$sum" ]]; then
			return 0
		fi
		log "config changed: restarting latchkeyd"
		latchkeyd_stop
	fi
	if [[ -z $LK_FCGI_SOCKET ]] && port_open "$LK_FCGI_PORT"; then
		die "port $LK_FCGI_PORT (LK_FCGI_PORT) is already in use by another process"
	fi
	log "starting latchkeyd on ${LK_FCGI_SOCKET:-127.0.0.1:$LK_FCGI_PORT}"
	lk_env
	spawn "$LATCHKEYD_PID" "$LATCHKEYD_LOG" \
	    env "${LK_ENV[@]}" "$LK_BUILD_DIR/latchkeyd" -c "$CONFIG"
	printf '%s\n' "$sum" >"$STATE/latchkeyd.conf-sum"
	if [[ -n $LK_FCGI_SOCKET ]]; then
		wait_socket latchkeyd "$LK_FCGI_SOCKET" "$(<"$LATCHKEYD_PID")" \
		    "$LATCHKEYD_LOG"
	else
		wait_port latchkeyd "$LK_FCGI_PORT" "$(<"$LATCHKEYD_PID")" \
		    "$LATCHKEYD_LOG"
	fi
}

latchkeyd_stop() {
	# latchkeyd's own shutdown_timeout (10 s) plus a margin.
	stop_pidfile latchkeyd "$LATCHKEYD_PID" latchkeyd 20
}

# --- the demo upstream ---------------------------------------------------------

# Prints the pid in DEMO_PID if that process is running our upstream.py
# (its argv[0] is the interpreter, so the script is checked too).
demo_pid() {
	local pid
	pid=$(pidfile_pid "$DEMO_PID" python3) || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "tests/demo/upstream.py $LK_DEMO_PORT " ||
	    return 1
	printf '%s\n' "$pid"
}

demo_start() {
	demo_pid >/dev/null && return 0
	# A stale upstream (another port) is ours to stop; anything else on
	# the port is not.
	demo_stop
	port_open "$LK_DEMO_PORT" &&
	    die "port $LK_DEMO_PORT (LK_DEMO_PORT) is already in use by another process"
	log "starting the demo upstream on 127.0.0.1:$LK_DEMO_PORT"
	# -u: unbuffered, so its log is current.
	spawn "$DEMO_PID" "$DEMO_LOG" /usr/bin/python3 -u \
	    "$SRC_DIR/tests/demo/upstream.py" "$LK_DEMO_PORT" "$DEMO_HITS"
	wait_port "demo upstream" "$LK_DEMO_PORT" "$(<"$DEMO_PID")" "$DEMO_LOG"
}

demo_stop() {
	stop_pidfile "demo upstream" "$DEMO_PID" python3 10
}

# Prints a free loopback port that none of the stack's other ports is
# (they may not be listening yet), in 20000-32767: below Linux's ephemeral
# range (32768-60999), whose ports outgoing connections take at any time.
free_port() {
	local port tries
	port=$((20000 + RANDOM % 12768))
	for ((tries = 0; tries < 1000; tries++)); do
		port=$((port + 1))
		((port < 32768)) || port=20000
		case " $LK_HTTP_PORT $LK_APACHE_PORT $LK_FCGI_PORT $LK_PG_PORT " in
		*" $port "*) continue ;;
		esac
		if ! port_open "$port"; then
			printf '%s\n' "$port"
			return 0
		fi
	done
	die "no free port for the demo upstream"
}

# --- web servers -------------------------------------------------------------

# What a running web server was started with: its settings and the
# content of its config files, so that a `start` after any change
# restarts it (an unchanged one is left running).
web_signature() {
	local dir=$1
	shift
	printf '%s\n' "$@"
	# Every file below dir (lighttpd-conf/errors/ too), in a fixed order.
	find "$SRC_DIR/$dir" -type f -print0 | sort -z |
	    xargs -0 cat 2>/dev/null | cksum
}

lighttpd_start() {
	local pid sig
	local -a envs=("LK_HTTP_PORT=$LK_HTTP_PORT" "LK_FCGI_PORT=$LK_FCGI_PORT"
	    "LK_FCGI_SOCKET=$LK_FCGI_SOCKET"
	    "LK_FCGI_TRANSPORT=$([[ -n $LK_FCGI_SOCKET ]] && echo unix || echo tcp)"
	    "LK_DEMO_PORT=$LK_DEMO_PORT" "LK_CONF_DIR=$SRC_DIR/lighttpd-conf"
	    "LK_WWW_DIR=$SRC_DIR/www"
	    "LK_WEB_DIR=$LIGHTTPD_DIR")
	sig=$(web_signature lighttpd-conf "${envs[@]}")
	if pid=$(pidfile_pid "$LIGHTTPD_PID" lighttpd); then
		if [[ $(cat "$LIGHTTPD_DIR/signature" 2>/dev/null) == "$sig" ]]; then
			return 0
		fi
		log "lighttpd's settings or config changed: restarting it"
		lighttpd_stop
	fi
	enabled "$LK_HTTP_PORT" || return 0
	port_open "$LK_HTTP_PORT" &&
	    die "port $LK_HTTP_PORT (LK_HTTP_PORT) is already in use by another process (a system web server?)"
	mkdir -p "$LIGHTTPD_DIR/www" "$LIGHTTPD_DIR/tmp"
	printf '%s\n' "$sig" >"$LIGHTTPD_DIR/signature"
	env "${envs[@]}" /usr/sbin/lighttpd -tt \
	    -f "$SRC_DIR/lighttpd-conf/lighttpd.conf" ||
	    die "lighttpd rejected lighttpd-conf/lighttpd.conf"
	log "starting lighttpd on http://127.0.0.1:$LK_HTTP_PORT"
	spawn "$LIGHTTPD_PID" "$LIGHTTPD_DIR/stderr.log" env "${envs[@]}" \
	    /usr/sbin/lighttpd -D -f "$SRC_DIR/lighttpd-conf/lighttpd.conf"
	wait_http lighttpd "http://127.0.0.1:$LK_HTTP_PORT" \
	    "$(<"$LIGHTTPD_PID")" "$LIGHTTPD_DIR/error.log"
}

lighttpd_stop() {
	stop_pidfile lighttpd "$LIGHTTPD_PID" lighttpd 10
}

apache_start() {
	local pid sig
	local -a envs=("LK_APACHE_PORT=$LK_APACHE_PORT" "LK_FCGI_PORT=$LK_FCGI_PORT"
	    "LK_DEMO_PORT=$LK_DEMO_PORT" "LK_WEB_DIR=$APACHE_DIR"
	    "LK_APACHE_CONF_DIR=$SRC_DIR/apache-conf"
	    "LK_WWW_DIR=$SRC_DIR/www")
	sig=$(web_signature apache-conf "${envs[@]}")
	if pid=$(pidfile_pid "$APACHE_PID" apache2); then
		if [[ $(cat "$APACHE_DIR/signature" 2>/dev/null) == "$sig" ]]; then
			return 0
		fi
		log "Apache's settings or config changed: restarting it"
		apache_stop
	fi
	enabled "$LK_APACHE_PORT" || return 0
	port_open "$LK_APACHE_PORT" &&
	    die "port $LK_APACHE_PORT (LK_APACHE_PORT) is already in use by another process (a system web server?)"
	mkdir -p "$APACHE_DIR/www"
	printf '%s\n' "$sig" >"$APACHE_DIR/signature"
	env "${envs[@]}" /usr/sbin/apache2 -t -f "$SRC_DIR/apache-conf/httpd.conf" \
	    >"$APACHE_DIR/configtest.log" 2>&1 || {
		cat "$APACHE_DIR/configtest.log" >&2
		die "apache2 rejected apache-conf/httpd.conf"
	}
	log "starting Apache on http://127.0.0.1:$LK_APACHE_PORT"
	spawn "$APACHE_PID" "$APACHE_DIR/stderr.log" env "${envs[@]}" \
	    /usr/sbin/apache2 -f "$SRC_DIR/apache-conf/httpd.conf" -DFOREGROUND
	wait_http apache2 "http://127.0.0.1:$LK_APACHE_PORT" \
	    "$(<"$APACHE_PID")" "$APACHE_DIR/error.log"
}

apache_stop() {
	stop_pidfile apache2 "$APACHE_PID" apache2 15
}

# Waits for latchkeyd to answer through every web server in front of it,
# as a responder (/health) and as the authorizer of /demo/: a web server
# keeps a backend it failed to reach disabled for a moment (lighttpd: each
# prefix's on its own), so both are checked.
wait_fronts() {
	local pid port
	pid=$(<"$LATCHKEYD_PID")
	for port in "$LK_HTTP_PORT" "$LK_APACHE_PORT"; do
		enabled "$port" || continue
		wait_http latchkeyd "http://127.0.0.1:$port" "$pid" "$LATCHKEYD_LOG"
		wait_http "latchkeyd (authorizer)" "http://127.0.0.1:$port" \
		    "$pid" "$LATCHKEYD_LOG" /demo/
	done
}

# --- commands ----------------------------------------------------------------

cmd_start() {
	STATE=$1
	mkdir -p "$STATE"
	STATE=$(cd "$STATE" && pwd)
	# A later start reuses what an earlier one saved, unless overridden.
	if [[ -f $STATE/env ]]; then
		local saved
		saved=$(
			# shellcheck disable=SC1091
			source "$STATE/env"
			for v in LK_HTTP_PORT LK_APACHE_PORT LK_FCGI_PORT LK_FCGI_SOCKET LK_DEMO_PORT LK_PG_PORT \
			    LK_BUILD_DIR LK_SQL_DIR LK_WORKERS LK_BCRYPT_COST LK_ASAN_LOG \
			    LK_STACK_EPHEMERAL; do
				printf 'saved_%s=%q\n' "$v" "${!v-}"
			done
		)
		eval "$saved"
	fi
	LK_HTTP_PORT=${LK_HTTP_PORT-${saved_LK_HTTP_PORT-8080}}
	LK_APACHE_PORT=${LK_APACHE_PORT-${saved_LK_APACHE_PORT-}}
	LK_FCGI_PORT=${LK_FCGI_PORT:-${saved_LK_FCGI_PORT:-9000}}
	LK_FCGI_SOCKET=${LK_FCGI_SOCKET-${saved_LK_FCGI_SOCKET-}}
	local demo_given=${LK_DEMO_PORT:-}
	LK_DEMO_PORT=${LK_DEMO_PORT:-${saved_LK_DEMO_PORT:-}}
	LK_PG_PORT=${LK_PG_PORT:-${saved_LK_PG_PORT:-5432}}
	LK_BUILD_DIR=${LK_BUILD_DIR:-${saved_LK_BUILD_DIR:-$SRC_DIR/build}}
	LK_SQL_DIR=${LK_SQL_DIR:-${saved_LK_SQL_DIR:-$SRC_DIR/sql}}
	LK_WORKERS=${LK_WORKERS-${saved_LK_WORKERS-}}
	LK_BCRYPT_COST=${LK_BCRYPT_COST:-${saved_LK_BCRYPT_COST:-12}}
	LK_ASAN_LOG=${LK_ASAN_LOG-${saved_LK_ASAN_LOG-}}
	LK_STACK_EPHEMERAL=${LK_STACK_EPHEMERAL-${saved_LK_STACK_EPHEMERAL-0}}
	START_TIMEOUT=${LK_START_TIMEOUT:-60}
	LK_BUILD_DIR=$(cd "$LK_BUILD_DIR" 2>/dev/null && pwd) ||
	    die "build directory ${LK_BUILD_DIR} missing"
	[[ -n $LK_ASAN_LOG ]] && LK_ASAN_LOG=$(readlink -m "$LK_ASAN_LOG")
	local p
	for p in latchkeyd latchkeyctl; do
		[[ -x $LK_BUILD_DIR/$p ]] || die "$LK_BUILD_DIR/$p missing: build first"
	done
	for p in "$LK_HTTP_PORT" "$LK_APACHE_PORT" "$LK_FCGI_PORT" "$LK_DEMO_PORT" "$LK_PG_PORT"; do
		[[ -z $p || $p =~ ^[0-9]+$ ]] || die "not a port number: $p"
	done
	if [[ -n $LK_FCGI_SOCKET ]]; then
		enabled "$LK_APACHE_PORT" &&
		    die "LK_FCGI_SOCKET with Apache: mod_authnz_fcgi reaches an authorizer over TCP only"
		LK_FCGI_SOCKET=$(readlink -m "$LK_FCGI_SOCKET")
		# sockaddr_un.sun_path: 108 bytes with the NUL.
		((${#LK_FCGI_SOCKET} < 108)) ||
		    die "socket path too long (over 107 bytes): $LK_FCGI_SOCKET"
	fi
	set_paths
	# The demo upstream's port: the one given; else the one an earlier
	# start saved, unless something else took it meanwhile; else a free
	# one.
	if [[ -z $demo_given ]] && { [[ -z $LK_DEMO_PORT || $LK_DEMO_PORT == 0 ]] ||
	    { ! demo_pid >/dev/null && port_open "$LK_DEMO_PORT"; }; }; then
		LK_DEMO_PORT=$(free_port)
	fi
	# What did start keeps running after a failure, for the log's sake;
	# `stop` stops it (script/test and bench/run always call it).
	trap 'log "start failed; stop what did start with: $HARNESS stop $STATE"' EXIT

	pg_prepare_root
	pg_initdb
	pg_write_conf
	pg_start
	pg_provision
	write_config
	write_env
	demo_start
	latchkeyd_start
	# A web server no longer wanted (e.g. LK_SERVER changed) is stopped.
	enabled "$LK_APACHE_PORT" || apache_stop
	enabled "$LK_HTTP_PORT" || lighttpd_stop
	lighttpd_start
	apache_start
	wait_fronts
	trap - EXIT
	local url
	url=$(sed -n 's/^LK_URL=//p' "$STATE/env")
	log "ready: ${url:-FastCGI on 127.0.0.1:$LK_FCGI_PORT} (env: $STATE/env)"
}

cmd_stop() {
	STATE=$1
	if [[ ! -d $STATE ]]; then
		return 0
	fi
	STATE=$(cd "$STATE" && pwd)
	if [[ ! -f $STATE/env ]]; then
		return 0
	fi
	load_state "$STATE"
	apache_stop
	lighttpd_stop
	latchkeyd_stop
	demo_stop
	if [[ -e $PG_ROOT ]]; then
		pg_stop
		if [[ $LK_STACK_EPHEMERAL == 1 ]]; then
			remove_pg_root
		fi
	fi
}

# Deletes a throwaway cluster: the /tmp directory STATE/pg links to, or
# STATE/pg itself; nothing else.
remove_pg_root() {
	local target
	if [[ -L $PG_ROOT ]]; then
		target=$(readlink "$PG_ROOT")
		case $target in
		/tmp/latchkey-pg.*) rm -rf -- "$target" ;;
		*) log "not removing unexpected link target $target" ;;
		esac
		rm -f "$PG_ROOT"
	elif [[ -d $PG_ROOT ]]; then
		rm -rf -- "$PG_ROOT"
	fi
}

cmd_status() {
	load_state "$1"
	local pid
	if pg_running; then
		echo "postgres   running  socket $(resolved "$PG_RUN") port $LK_PG_PORT"
	else
		echo "postgres   stopped"
	fi
	if pid=$(pidfile_pid "$LATCHKEYD_PID" latchkeyd); then
		echo "latchkeyd  running  pid $pid  fastcgi ${LK_FCGI_SOCKET:-127.0.0.1:$LK_FCGI_PORT}"
	else
		echo "latchkeyd  stopped"
	fi
	if pid=$(demo_pid); then
		echo "demo       running  pid $pid  http://127.0.0.1:$LK_DEMO_PORT/ (mounted at /demo/)"
	else
		echo "demo       stopped"
	fi
	if pid=$(pidfile_pid "$LIGHTTPD_PID" lighttpd); then
		echo "lighttpd   running  pid $pid  http://127.0.0.1:$LK_HTTP_PORT/"
	elif enabled "$LK_HTTP_PORT"; then
		echo "lighttpd   stopped"
	fi
	if pid=$(pidfile_pid "$APACHE_PID" apache2); then
		echo "apache2    running  pid $pid  http://127.0.0.1:$LK_APACHE_PORT/"
	elif enabled "$LK_APACHE_PORT"; then
		echo "apache2    stopped"
	fi
}

cmd_pg_stop() {
	load_state "$1"
	pg_stop
}

cmd_pg_start() {
	load_state "$1"
	pg_start
}

cmd_latchkeyd_restart() {
	load_state "$1"
	latchkeyd_stop
	latchkeyd_start
	wait_fronts
}

cmd_latchkeyd_stop() {
	load_state "$1"
	latchkeyd_stop
}

cmd_latchkeyd_start() {
	load_state "$1"
	latchkeyd_start
	wait_fronts
}

main() {
	[[ $# -eq 2 ]] || usage
	case $1 in
	start) cmd_start "$2" ;;
	stop) cmd_stop "$2" ;;
	status) cmd_status "$2" ;;
	pg-stop) cmd_pg_stop "$2" ;;
	pg-start) cmd_pg_start "$2" ;;
	latchkeyd-restart) cmd_latchkeyd_restart "$2" ;;
	latchkeyd-stop) cmd_latchkeyd_stop "$2" ;;
	latchkeyd-start) cmd_latchkeyd_start "$2" ;;
	*) usage ;;
	esac
}

main "$@"
