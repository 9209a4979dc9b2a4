# experiments: PGXS build, demo and test entry points.
#
#   make demo     install what is missing, build, install, run the tour on a throwaway cluster
#   make test     install what is missing, build, install, run every suite on a throwaway cluster
#   make bench    the benchmarks under test/bench (never part of make test)
#   make calibrate  the calibration of the statistics by simulation (test/calibrate, never part of make test)
#   make reliability  longer crash (CRASH_CYCLES) and stress (STRESS_SECONDS) runs
#   make fuzz SEED=n CASES=n  the SQL fuzzer, as long as asked
#   make check-valgrind  pg_regress and isolation suites with the server under valgrind
#   make check-asan  pg_regress and isolation suites with the extension built with ASan and UBSan
#
# Everything else is ordinary PGXS: make, make install, make installcheck (the
# pg_regress and isolation suites against a running server).

EXTENSION = experiments
EXTVERSION = 0.2.0

MODULE_big = experiments
# The C of each layer (docs/architecture.md): the
# core (module entry, tenants), assignment, events, results, the HTTP layer,
# and the adapters of the APIs that need C.
OBJS = \
	src/core/experiments.o \
	src/core/tenant.o \
	src/assign/bucket.o \
	src/assign/audience.o \
	src/assign/conditions.o \
	src/assign/growthbook.o \
	src/assign/absmartly.o \
	src/assign/config_cache.o \
	src/assign/enrolments.o \
	src/assign/assign.o \
	src/events/event_input.o \
	src/events/event_store.o \
	src/events/publish.o \
	src/results/distributions.o \
	src/results/comparisons.o \
	src/results/ordered_values.o \
	src/results/results.o \
	src/results/sequential.o \
	src/http/auth.o \
	src/adapters/abtasty/abtasty.o \
	src/adapters/abtasty/allocate.o

# The install script is assembled from these files, in this order: each file
# may use only what the files before it define. The roles come early, so that
# every file can grant beside its objects; the adapters' endpoints
# (src/adapters/*/api.sql) come after the schema experiments_api and what they
# wrap; privileges.sql comes last, as its REVOKE from PUBLIC must follow every
# CREATE FUNCTION.
SQL_SOURCES = \
	src/core/tenant.sql \
	src/core/roles.sql \
	src/core/catalog.sql \
	src/assign/assign.sql \
	src/assign/portable.sql \
	src/events/events.sql \
	src/events/partitions.sql \
	src/events/rollups.sql \
	src/http/faults.sql \
	src/http/documents.sql \
	src/adapters/commerce/commerce.sql \
	src/adapters/lifecycle/lifecycle.sql \
	src/results/stats.sql \
	src/results/metrics.sql \
	src/results/sequential.sql \
	src/results/results.sql \
	src/results/metric_results.sql \
	src/results/planning.sql \
	src/http/auth.sql \
	src/http/api.sql \
	src/http/page.sql \
	src/adapters/abtasty/api.sql \
	src/adapters/absmartly/api.sql \
	src/adapters/datacortex/api.sql \
	src/adapters/commerce/api.sql \
	src/adapters/lifecycle/api.sql \
	src/core/privileges.sql

DATA_built = $(EXTENSION)--$(EXTVERSION).sql
# Released versions' install scripts, frozen (README, "Upgrades"), and the
# update scripts between them: ALTER EXTENSION UPDATE and the upgrade test
# (test/scripts/upgrade.sh) need both.
DATA = $(wildcard src/upgrades/$(EXTENSION)--*--*.sql) $(wildcard test/upgrade/$(EXTENSION)--*.sql)

# PostgreSQL 15 is the supported server; its own pg_config wins over any other on PATH.
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
SHLIB_LINK += -lxxhash
PG_CPPFLAGS += -I$(srcdir)/src/include
PG_CFLAGS += -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers

# make installcheck: the pg_regress and isolation suites against a running
# server (PGHOST, PGPORT, PGUSER: a superuser), as PGXS runs them. The HTTP
# suites need the PostgREST harness (test/http) and run in make test only.
HTTP_SUITES = api api_security results_page http_api wire_datacortex wire_absmartly wire_commerce wire_lifecycle wire_abtasty
REGRESS = $(filter-out $(HTTP_SUITES),$(shell sed -n 's/^test: //p' test/schedule))
REGRESS_OPTS = --load-extension=experiments
ISOLATION = $(basename $(notdir $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --load-extension=experiments

EXTRA_CLEAN = results regression.diffs regression.out test/output_iso output_iso

# No JIT bitcode: it would need clang on the build machine and buys nothing here.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifeq ($(PGXS),)
# pg_config is not there yet: only the targets that install it can run.
.DEFAULT_GOAL := help
help:
	@echo "PostgreSQL 15 development files are missing: run 'make demo' or 'make test', which install them."
else
include $(PGXS)
endif

# PGXS tracks no header dependencies: a struct change must rebuild every object.
$(OBJS): $(wildcard src/include/*.h)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES)
	cat $^ > $@

.PHONY: deps demo test bench calibrate reliability fuzz check-valgrind check-asan sdk-clients

# Debian packages the build and the tests need; installed only when missing.
deps:
	@test/deps

# make install writes into the server's directories, so two checkouts testing
# at once would overwrite each other's build: a lock makes them take turns.
LOCK = flock /tmp/experiments-make-install.lock

demo: deps
	$(MAKE) all
	$(LOCK) sh -c '$(MAKE) install && test/cluster test/demo.sh'

test: deps
	$(MAKE) all
	$(LOCK) sh -c '$(MAKE) install && test/cluster test/run'

bench: deps
	$(MAKE) all
	$(LOCK) sh -c '$(MAKE) install && test/cluster test/bench/run'

calibrate: deps
	$(MAKE) all
	$(LOCK) sh -c '$(MAKE) install && test/cluster test/calibrate/run'

# ABsmartly's and GrowthBook's JavaScript SDKs against assign() over
# 1,000,000 ids (make test runs test/scripts/sdk_*.sh over 100,000).
SDK_IDS ?= 1000000
sdk-clients: deps
	$(MAKE) all
	$(LOCK) sh -c '$(MAKE) install && SDK_IDS=$(SDK_IDS) test/cluster test/scripts/sdk_absmartly.sh && \
		SDK_IDS=$(SDK_IDS) test/cluster test/scripts/sdk_growthbook.sh'

# The reliability suites of make test, longer; each on a throwaway cluster.
CRASH_CYCLES ?= 5
STRESS_SECONDS ?= 120
SEED ?= 1
CASES ?= 200000

reliability: deps
	$(MAKE) all
	$(LOCK) sh -c '$(MAKE) install && CRASH_CYCLES=$(CRASH_CYCLES) CRASH_SEED=$(SEED) test/scripts/crash_recovery.sh && \
		STRESS_SECONDS=$(STRESS_SECONDS) test/cluster test/scripts/stress.sh'

fuzz: deps
	$(MAKE) all
	$(LOCK) sh -c '$(MAKE) install && FUZZ_SEED=$(SEED) FUZZ_CASES=$(CASES) test/cluster test/scripts/fuzz.sh'

# The memory checks build and install into a private copy of the server
# (test/memcheck/tree.sh), so they hold no lock however long they run.
check-valgrind: deps
	@command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind"; exit 1; }
	test/memcheck/run

check-asan: deps
	test/memcheck/asan
