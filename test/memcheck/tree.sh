# shellcheck shell=bash
# A private copy of the PostgreSQL 15 server for the memory checks, sourced
# by test/memcheck/asan and test/memcheck/run.
#
#   memcheck_tree DIR [MAKE_ARG...]  copies the server's bin, lib and share
#                                    directories to DIR/usr/... and builds
#                                    this checkout's extension (in a copy,
#                                    with MAKE_ARG...) into it
#   memcheck_wrap DIR SCRIPT         replaces the copy's postgres by SCRIPT,
#                                    which must exec "$MEMCHECK_POSTGRES" "$@"
#
# PostgreSQL is relocatable: postgres finds its lib and share directories
# relative to its own executable, and Debian's bindir and sharedir share the
# prefix /usr. So the copy loads the extension built here, nothing is written
# under /usr, and no install lock is held however long the check runs.
# Sets PGBIN to the copy's bin directory.

MEMCHECK_SERVER=/usr/lib/postgresql/15
MEMCHECK_SHARE=/usr/share/postgresql/15

# memcheck_tree DIR [MAKE_ARG...]: see above
memcheck_tree() {
	local dir=$1 src
	shift
	src=$(pwd)
	mkdir -p "$dir/usr/lib/postgresql" "$dir/usr/share/postgresql" "$dir/build"
	chmod 755 "$dir"	# the server's user reads the copy
	cp -a "$MEMCHECK_SERVER" "$dir/usr/lib/postgresql/"
	cp -a "$MEMCHECK_SHARE" "$dir/usr/share/postgresql/"
	git -C "$src" ls-files -z Makefile experiments.control src test/upgrade |
		(cd "$src" && xargs -0 cp --parents -t "$dir/build")
	# shellcheck disable=SC2015  # either make failing shows the log
	make -s -C "$dir/build" "$@" all >"$dir/build.log" 2>&1 &&
		make -s -C "$dir/build" "$@" install DESTDIR="$dir" >>"$dir/build.log" 2>&1 ||
		{ cat "$dir/build.log"; return 1; }
	PGBIN=$dir/usr/lib/postgresql/15/bin
	export PGBIN
	# the copy's configuration must point into the copy, or the check is void
	if [ "$("$PGBIN/pg_config" --pkglibdir)" != "$dir/usr/lib/postgresql/15/lib" ] ||
		[ "$("$PGBIN/pg_config" --sharedir)" != "$dir/usr/share/postgresql/15" ]; then
		echo "the server copy in $dir does not relocate:" >&2
		"$PGBIN/pg_config" --pkglibdir --sharedir >&2
		return 1
	fi
}

# memcheck_wrap DIR SCRIPT: see above
memcheck_wrap() {
	local bin=$1/usr/lib/postgresql/15/bin
	mv "$bin/postgres" "$bin/postgres.bin"
	{
		echo '#!/bin/sh'
		echo "MEMCHECK_POSTGRES=$bin/postgres.bin"
		printf '%s\n' "$2"
	} >"$bin/postgres"
	chmod 755 "$bin/postgres"
}
