# shellcheck shell=bash
#
# script/lib/common.sh: helpers shared by script/server, script/test and
# bench/run (sourced, not run): where the repository is, how a build
# directory is configured and built, and how free loopback ports are found.
#

# shellcheck disable=SC2034 # LK_HARNESS and LK_PYTHON are for the sourcing scripts.
LK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LK_HARNESS=$LK_ROOT/tests/harness/stack.sh
# Debian's interpreter, whatever python3 comes first in PATH (pyenv ...):
# python3-pytest and python3-psycopg2 are installed for it.
LK_PYTHON=/usr/bin/python3

lk_log() { printf '==> %s\n' "$*" >&2; }

# Runs autoreconf when there is no configure script yet.  Later changes to
# configure.ac or Makefile.am are picked up by make's own rebuild rules.
lk_autoreconf_if_needed() {
	if [[ ! -x $LK_ROOT/configure ]]; then
		lk_log "autoreconf -fi"
		(cd "$LK_ROOT" && autoreconf -fi)
	fi
}

# lk_build DIR [CONFIGURE_ARGS...]: configures DIR (out of tree) when it has
# never been configured or was configured with other arguments, then runs
# make.  Returns make's (or configure's) status.
lk_build() {
	local dir=$1 want have
	shift
	want="$*"
	mkdir -p "$dir"
	have=$(cat "$dir/.lk-configure-args" 2>/dev/null || echo "<none>")
	if [[ ! -f $dir/config.status || ! -f $dir/Makefile || $have != "$want" ]]; then
		lk_log "configure $want (in ${dir#"$LK_ROOT"/})"
		rm -f "$dir/.lk-configure-args"
		(cd "$dir" && "$LK_ROOT/configure" "$@") || return
		printf '%s\n' "$want" >"$dir/.lk-configure-args"
	fi
	lk_log "make (in ${dir#"$LK_ROOT"/})"
	make -C "$dir" -j"$(nproc)"
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
lk_port_open() {
	timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# lk_free_ports N: prints N distinct ports in 20000-32767 that nothing
# listens on now (a random start, so parallel runs rarely collide).  The
# range stays below Linux's ephemeral ports (32768-60999), which the
# kernel hands to outgoing connections and could take between our check
# and the bind.
lk_free_ports() {
	local n=$1 port found=0 tries=0
	port=$((20000 + RANDOM % 12768))
	while ((found < n)); do
		((tries++ < 1000)) || return 1
		port=$((port + 1))
		((port < 32768)) || port=20000
		if ! lk_port_open "$port"; then
			printf '%s\n' "$port"
			found=$((found + 1))
		fi
	done
}

# Prints seconds elapsed since START (from lk_now) with one decimal.
lk_now() { date +%s.%N; }
lk_elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
