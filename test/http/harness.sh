#!/usr/bin/env bash
# The PostgREST stand-in (test/http/pgrst.py) for tests, started and stopped from a shell.
#
#   . test/http/harness.sh
#   harness_start DB_URI   starts pgrst.py detached, configured by the PGRST_* variables of the
#                          environment (a random PGRST_JWT_SECRET when none is set), waits until it
#                          answers, and exports PGRST_URL, PGRST_PORT_FILE and PGRST_JWT_SECRET
#                          for test/http/request. Its log is next to the port file.
#   harness_stop           stops it and removes its directory
#
# Executed instead of sourced:  eval "$(test/http/harness.sh start DB_URI)"  prints the exports;
# test/http/harness.sh stop  stops the server of PGRST_PORT_FILE.

harness_bin=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

harness_start() {
	local dir
	dir=$(mktemp -d /tmp/pgrst-harness.XXXXXX) || return 1
	export PGRST_JWT_SECRET=${PGRST_JWT_SECRET:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}
	if ! PGRST_DB_URI=${1:?harness_start DB_URI} /usr/bin/python3 "$harness_bin/pgrst.py" --daemon \
		--port 0 --port-file "$dir/port" --pid-file "$dir/pid" --log "$dir/log"; then
		cat "$dir/log" >&2
		rm -rf "$dir"
		return 1
	fi
	PGRST_URL=http://127.0.0.1:$(cat "$dir/port")
	export PGRST_PORT_FILE=$dir/port PGRST_URL
	for _ in $(seq 1 50); do
		"$harness_bin/request" GET / >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "harness: pgrst.py does not answer at $PGRST_URL; its log:" >&2
	cat "$dir/log" >&2
	harness_stop
	return 1
}

harness_stop() {
	local dir pid
	[ -n "${PGRST_PORT_FILE:-}" ] || return 0
	dir=$(dirname "$PGRST_PORT_FILE")
	pid=$(cat "$dir/pid" 2>/dev/null)
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	rm -rf "$dir"
	unset PGRST_URL PGRST_PORT_FILE
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	start) harness_start "${2:-}" >&2 &&
		printf 'export PGRST_URL=%q PGRST_PORT_FILE=%q PGRST_JWT_SECRET=%q\n' \
			"$PGRST_URL" "$PGRST_PORT_FILE" "$PGRST_JWT_SECRET" ;;
	stop) harness_stop ;;
	*) echo "usage: $0 start DB_URI | stop" >&2; exit 2 ;;
	esac
fi
