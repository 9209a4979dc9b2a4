# Throwaway PostgreSQL 15 clusters, sourced by test/cluster and by the suites
# that need a cluster of their own (test/scripts/crash_recovery.sh).
#
#   cluster_start [CONF_LINE...]  initdb and start a cluster in a fresh
#                                 temporary directory, on a free port of
#                                 127.0.0.1 and a unix socket in that
#                                 directory; extra lines go to postgresql.conf.
#                                 Exports PGBIN, PGHOST, PGPORT, PGUSER,
#                                 PGDATABASE=postgres, EXP_CLUSTER_DIR and
#                                 EXP_CLUSTER_LOG for that cluster.
#   cluster_restart               start the cluster again after a stop or crash
#   cluster_kill                  SIGKILL the postmaster and all its children
#                                 at once, and wait until they are gone
#   cluster_remove                stop it (immediate) and delete its directory
#   cluster_scratch NAME          for a suite on the current cluster: creates
#                                 database NAME (PGDATABASE) and a work
#                                 directory ($work), both removed on exit
#
# initdb refuses to run as root, so as root the cluster belongs to postgres.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export PGBIN

cluster_owner=$(id -un)
# cluster_run_as CMD...: runs a command as the owner of the clusters
cluster_run_as() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
	cluster_owner=postgres
	cluster_run_as() { runuser -u postgres -- "$@"; }
fi

# cluster_free_port: a TCP port of 127.0.0.1 the kernel gave out and nothing answers on
cluster_free_port() {
	local port
	for _ in $(seq 1 50); do
		port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
			echo $((20000 + RANDOM % 20000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	echo "no free port found" >&2
	return 1
}

# cluster_start [CONF_LINE...]: see above
cluster_start() {
	local dir
	dir=$(mktemp -d /tmp/experiments-cluster.XXXXXX)
	chown "$cluster_owner" "$dir"
	chmod 755 "$dir"
	export EXP_CLUSTER_DIR=$dir
	export EXP_CLUSTER_LOG=$dir/server.log
	PGPORT=$(cluster_free_port)
	cluster_run_as "$PGBIN/initdb" -D "$dir/data" -U "$cluster_owner" --auth=trust --encoding=UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
	cat >>"$dir/data/postgresql.conf" <<-CONF
	port = $PGPORT
	listen_addresses = '127.0.0.1'
	unix_socket_directories = '$dir'
	fsync = off
	max_connections = 60
	shared_buffers = 512MB
	max_prepared_transactions = 10
	log_line_prefix = '%m [%p] '
	log_min_messages = warning
	CONF
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" >>"$dir/data/postgresql.conf"
	fi
	# As a deployment has it: the roles users create log in over TCP with a
	# password; the cluster's owner (the suites' superuser) is trusted.
	cat >"$dir/data/pg_hba.conf" <<-HBA
	local all all trust
	local replication all trust
	host all $cluster_owner 127.0.0.1/32 trust
	host replication $cluster_owner 127.0.0.1/32 trust
	host all all 127.0.0.1/32 scram-sha-256
	HBA
	export PGHOST=$dir PGPORT PGUSER=$cluster_owner PGDATABASE=postgres
	cluster_restart
}

# cluster_restart: starts the cluster of EXP_CLUSTER_DIR, recovering if it crashed
cluster_restart() {
	cluster_run_as "$PGBIN/pg_ctl" -D "$EXP_CLUSTER_DIR/data" -l "$EXP_CLUSTER_LOG" -w -t 120 start >/dev/null ||
		{ cat "$EXP_CLUSTER_LOG"; return 1; }
}

# cluster_children PID: the pids whose parent is PID, read from /proc (a
# minimal Debian has no procps).
cluster_children() {
	local stat line ppid state
	for stat in /proc/[0-9]*/stat; do
		line=$(cat "$stat" 2>/dev/null) || continue
		read -r state ppid _ <<<"${line##*) }"
		if [ "$ppid" = "$1" ]; then
			basename "$(dirname "$stat")"
		fi
	done
}

# cluster_kill: SIGKILL to the postmaster and every child of it, as a power
# cut would stop them; returns when all of them are gone. The postmaster is
# stopped first so that it forks no child between the listing and the kill.
# Its lock files go too, as after a reboot: a postmaster not yet reaped by
# init would otherwise look alive to the next start.
cluster_kill() {
	local postmaster pids
	postmaster=$(head -1 "$EXP_CLUSTER_DIR/data/postmaster.pid")
	kill -STOP "$postmaster"
	pids="$postmaster $(cluster_children "$postmaster" | tr '\n' ' ')"
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	for _ in $(seq 1 100); do
		# shellcheck disable=SC2086
		if ! cluster_any_alive $pids; then
			rm -f "$EXP_CLUSTER_DIR/data/postmaster.pid" "$EXP_CLUSTER_DIR"/.s.PGSQL.*
			return 0
		fi
		sleep 0.1
	done
	echo "processes $pids survived SIGKILL" >&2
	return 1
}

# cluster_any_alive PID...: whether one of them still runs (a zombie does not)
cluster_any_alive() {
	local p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] && [ "$(sed 's/^.*) //' "/proc/$p/stat" | cut -c1)" != Z ] && return 0
	done
	return 1
}

# cluster_remove: stops the cluster at once and deletes its directory
cluster_remove() {
	local postmaster
	[ -n "${EXP_CLUSTER_DIR:-}" ] || return 0
	if [ -f "$EXP_CLUSTER_DIR/data/postmaster.pid" ]; then
		postmaster=$(head -1 "$EXP_CLUSTER_DIR/data/postmaster.pid")
		# a crash test that failed half-way may have left it stopped (SIGSTOP)
		kill -CONT "$postmaster" 2>/dev/null || true
		if ! cluster_run_as "$PGBIN/pg_ctl" -D "$EXP_CLUSTER_DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1; then
			# shellcheck disable=SC2046
			kill -KILL "$postmaster" $(cluster_children "$postmaster") 2>/dev/null || true
		fi
	fi
	rm -rf "$EXP_CLUSTER_DIR"
}

# cluster_scratch NAME: see above
cluster_scratch() {
	export PGDATABASE=$1
	work=$(mktemp -d "/tmp/experiments-$1.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$work'; dropdb --if-exists '$1' >/dev/null 2>&1 || true" EXIT
	createdb "$1"
}
