#!/usr/bin/env bash
# Benchmark of what the exposure rollups' triggers (src/events/rollups.sql)
# cost writers, run against the cluster of test/cluster:
#   flock /tmp/experiments-make-install.lock sh -c 'make install && test/cluster test/bench/rollup_triggers.sh'
# Once maintenance has rolled the current month up to midnight, its
# partition has triggers whose WHEN clause lets through only exposures
# before that time. Inserting ROWS exposures of now into the current month
# (1,000,000 by default, in batches of 10,000, as one session) is timed
# before maintenance, then after, RUNS times each (default 3): the
# ratio is what the triggers cost ingest (target <= 1.1). For scale, the
# same number of late exposures (of yesterday, which the triggers record)
# after maintenance.
set -euo pipefail
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
createdb bench_rollup_triggers
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d bench_rollup_triggers "$@"; }
psql -c 'CREATE EXTENSION experiments'
tenant=$(psql -Atc "SELECT experiments.create_tenant('bench')")
exp=$(psql -Atc "SET experiments.tenant = '$tenant';
	SELECT id FROM experiments.create_experiment('bench',
		'[{\"key\": \"control\", \"allocation\": 50}, {\"key\": \"treatment\", \"allocation\": 50}]', start => true)")
psql -c "CREATE TABLE timings (what text, run integer, seconds float8)"

# insert WHAT RUN AT: ROWS exposures at AT (an SQL expression), timed
insert() {
	psql <<SQL
SET experiments.tenant = '$tenant';
SELECT clock_timestamp() AS t0 \gset
DO \$\$
BEGIN
	FOR b IN 0 .. $ROWS / 10000 - 1 LOOP
		INSERT INTO experiments.exposures (experiment_id, ordinal, unit_type, unit, exposed_at,
			assigned, eligible, overridden, full_on, custom, audience_mismatch)
		SELECT $exp, g % 2, 'user_id', 'u$2-' || b || '-' || g, $3, true, true, false, false, false, false
		FROM generate_series(1, 10000) g;
	END LOOP;
END
\$\$;
INSERT INTO timings VALUES ('$1', $2, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz));
SQL
}

for run in $(seq "$RUNS"); do
	insert "exposures of now, no triggers" "$run" "now()"
done
psql -c 'CALL experiments.maintain_partitions()'
psql -Atc "SELECT 'triggers on the current month: ' || count(*) FROM pg_trigger t
	JOIN experiments_internal.event_partition_bounds('exposures') b ON b.part = t.tgrelid
	WHERE b.from_time <= now() AND b.to_time > now() AND t.tgname LIKE 'exposure_rollup_%'"
for run in $(seq "$RUNS"); do
	insert "exposures of now, triggers set" "$((run + RUNS))" "now()"
	insert "late exposures (of yesterday), recorded" "$run" "date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '1 hour'"
done

psql <<SQL
CREATE TEMPORARY VIEW summary AS
SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median, count(*) AS runs
FROM timings GROUP BY what;
\pset footer off
SELECT what, round(median::numeric, 2) AS median_s, runs FROM summary ORDER BY median;
SELECT count(*) AS changes_recorded FROM experiments.exposure_rollup_changes;
\pset format unaligned
\pset tuples_only on
SELECT format(E'RESULT\tinserting $ROWS exposures of now, rollup triggers set (median of %s)\t%s\ts\twithout the triggers\t%s\t%s\t<= 1.1',
	t.runs, round(t.median::numeric, 2), round(n.median::numeric, 2), round((t.median / n.median)::numeric, 2))
FROM summary t, summary n WHERE t.what LIKE '%triggers set' AND n.what LIKE '%no triggers';
SELECT format(E'RESULT\tinserting $ROWS late exposures, recorded (median of %s)\t%s\ts\tof now, without the triggers\t%s\t%s\t(for scale)',
	t.runs, round(t.median::numeric, 2), round(n.median::numeric, 2), round((t.median / n.median)::numeric, 2))
FROM summary t, summary n WHERE t.what LIKE 'late%' AND n.what LIKE '%no triggers';
SQL
