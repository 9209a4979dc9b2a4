#!/usr/bin/python3
"""Hostile clients (test/scripts/hostile.sh): requests shaped to cost the
server much, inputs made to be echoed, races on what must happen once, and
admin changes that could put a unit in two experiments of a layer. Every
case is counted; the counts are printed; any failure, crash or request past
REQUEST_SECONDS fails the suite.

Connections log in as the roles the README has users create (members of
experiments_client and experiments_admin) and authenticate with a key in each
transaction, as the HTTP endpoints do; the HTTP entry points are called as
PostgREST calls them (a lone unnamed json parameter as $1::json). A superuser
connection only counts rows and reads the backends' /proc status.
"""
import collections
import json
import os
import random
import sys
import threading
import time

import psycopg
from psycopg import errors

CLIENT_KEY, ADMIN_KEY = os.environ["HOSTILE_KEYS"].split()
LOG = os.environ["EXP_CLUSTER_LOG"]
REQUEST_SECONDS = float(os.environ.get("REQUEST_SECONDS", "10"))
# Documented bounds (docs/events.md, "Hostile clients")
MEMORY_FACTOR = float(os.environ.get("MEMORY_FACTOR", "40"))   # peak growth / accepted body
REFUSED_MEMORY_FACTOR = float(os.environ.get("REFUSED_MEMORY_FACTOR", "6"))
LOG_BYTES = 4096                # server log growth per long-input request
ANSWER_BYTES = 4096             # answer to a long-input request
MAX_REQUEST_ROWS = 100000       # experiments.max_request_rows' default
MAX_BATCH_BYTES = 16 * 1024 * 1024
ANSWER_LIMIT = 2 * 1000 * 2400    # 1,000 errors and 1,000 warnings listed, each under 2.4 kB

tried = collections.Counter()
failures = []
lock = threading.Lock()
rng = random.Random(int(os.environ.get("SEED", "19")))


def fail(message):
    with lock:
        failures.append(message)
    print("FAIL:", message, flush=True)


def connect(role):
    return psycopg.connect(user=role, autocommit=True, options="-c statement_timeout=30s")


def timed(label, fn):
    """fn() with its time checked against REQUEST_SECONDS."""
    start = time.monotonic()
    try:
        return fn()
    finally:
        elapsed = time.monotonic() - start
        if elapsed > REQUEST_SECONDS:
            fail(f"{label}: {elapsed:.1f} s, over the bound of {REQUEST_SECONDS} s")


def call(conn, key, sql, args=(), isolation=None, settings=None):
    """One request: a transaction that authenticates with key, then runs sql.
    Returns (value, response.status)."""
    with conn.transaction():
        if isolation:
            conn.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
        conn.execute("SELECT experiments.authenticate(%s)", (key,))
        for name, value in (settings or {}).items():
            conn.execute("SELECT set_config(%s, %s, true)", (name, value))
        value = conn.execute(sql, args).fetchone()[0]
        status = conn.execute("SELECT current_setting('response.status', true)").fetchone()[0]
    return value, status


def vm_hwm(conn):
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


monitor = psycopg.connect(autocommit=True)
EVENT_TABLES = ("exposures", "goal_events", "attribute_events", "rejected_events")


def rows():
    return monitor.execute("SELECT " + " + ".join(f"(SELECT count(*) FROM experiments.{t})" for t in EVENT_TABLES)).fetchone()[0]


def now_ms():
    return int(time.time() * 1000)


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def batch(requests, units, exposures, goals, attributes, properties=None):
    at = now_ms()
    req = lambda r: {
        "units": [{"type": f"t{u}", "uid": f"r{r}u{u}"} for u in range(units)],
        "publishedAt": at,
        "exposures": [{} for _ in range(exposures)],
        "goals": [{"name": f"g{g}", "achievedAt": at, "properties": properties} for g in range(goals)],
        "attributes": [{"name": f"a{a}", "value": a, "setAt": at} for a in range(attributes)],
    }
    return {"requests": [req(r) for r in range(requests)]}


def bound(b):
    """Rows a batch may write (docs/events.md): per request 1, its exposures,
    and its goals and attributes once per unit."""
    return sum(1 + len(r["exposures"]) + max(len(r["units"]), 1) * (len(r["goals"]) + len(r["attributes"]))
               for r in b["requests"])


# 1. Amplification: shapes whose rows grow with units x goals. Each call
#    writes at most its bound; a bound over experiments.max_request_rows is
#    refused whole (413) and writes nothing.
def amplification():
    client = connect("hostile_client")
    shapes = [(1, 1000, 0, 1000, 0), (500, 1, 128, 0, 0), (1, 200, 0, 600, 0), (1, 100, 0, 999, 0),
              (10, 50, 10, 150, 50), (500, 3, 0, 60, 6), (2, 1000, 0, 0, 1000)]
    shapes += [(rng.randint(1, 20), rng.randint(1, 50), rng.randint(0, 128), rng.randint(0, 100), rng.randint(0, 20))
               for _ in range(12)]
    for shape in shapes:
        b = batch(*shape)
        text = json.dumps(b)
        before = rows()
        answer, status = timed(f"context_batch {shape}", lambda: call(
            client, CLIENT_KEY, "SELECT experiments_api.context_batch(%s::json)", (text,)))
        written = rows() - before
        tried["amplification shapes"] += 1
        limit = bound(b)
        if written > limit:
            fail(f"shape {shape}: {written} rows written, more than its bound {limit}")
        if limit > MAX_REQUEST_ROWS:
            tried["amplification shapes refused"] += 1
            if status != "413" or written != 0 or answer.get("ok") is not False:
                fail(f"shape {shape} (bound {limit}): status {status}, {written} rows written; expected 413 and none")
        elif status not in (None, "", "200"):
            fail(f"shape {shape} (bound {limit}): status {status}: {str(answer)[:200]}")
        if len(json.dumps(answer)) > ANSWER_LIMIT:
            fail(f"shape {shape}: an answer of {len(json.dumps(answer))} bytes for a body of {len(text)}")
    # Bytes: 300 units and 300 goals of 1 kB properties are 90,301 rows, under
    # the rows cap, but 90 MB of properties, over experiments.max_request_bytes.
    text = json.dumps(batch(1, 300, 0, 300, 0, {"padding": "p" * 1000}))
    before = rows()
    answer, status = timed("bytes cap", lambda: call(
        client, CLIENT_KEY, "SELECT experiments_api.context_batch(%s::json)", (text,)))
    tried["amplification shapes refused"] += 1
    if status != "413" or rows() != before or "max_request_bytes" not in json.dumps(answer):
        fail(f"90 MB of goal properties in a body of {len(text)} bytes: status {status}: {str(answer)[:200]}")
    client.close()


# 2. Memory: peak resident memory of the backend (VmHWM) grows by less than
#    MEMORY_FACTOR times an accepted body, and REFUSED_MEMORY_FACTOR times an
#    oversized one, which is refused on its length before jsonb is built.
def memory():
    padding = "x" * 200
    accepted = json.dumps(batch(500, 2, 0, 40, 0, {"padding": padding}))
    oversized = json.dumps(batch(500, 1, 0, 400, 0, {"padding": padding}))
    assert len(oversized) > MAX_BATCH_BYTES, len(oversized)
    for label, text, factor, expect in (("accepted", accepted, MEMORY_FACTOR, None),
                                        ("oversized", oversized, REFUSED_MEMORY_FACTOR, "413")):
        client = connect("hostile_client")
        call(client, CLIENT_KEY, "SELECT experiments_api.context_batch(%s::json)",
             (json.dumps(batch(1, 1, 0, 1, 0)),))
        base = vm_hwm(client)
        _, status = timed(f"{label} body", lambda: call(
            client, CLIENT_KEY, "SELECT experiments_api.context_batch(%s::json)", (text,)))
        growth = vm_hwm(client) - base
        tried["memory bodies"] += 1
        print(f"memory: {label} body of {len(text)} bytes: status {status or 200}, peak growth {growth} bytes "
              f"({growth / len(text):.1f} times the body)", flush=True)
        if (status or None) != expect:
            fail(f"{label} body: status {status}, expected {expect or 200}")
        if growth > factor * len(text):
            fail(f"{label} body: peak memory grew {growth} bytes, over {factor} times the body ({len(text)})")
        client.close()


# 3. Long inputs: 10 MB where a name or id goes; the server log and the answer
#    grow by less than a few kB.
def long_inputs():
    big = "x" * (10 * 1024 * 1024)
    cases = [
        ("hostile_client", CLIENT_KEY, "SELECT experiments_api.allocate(%s::jsonb)", (json.dumps({"visitor_id": big}),)),
        ("hostile_client", CLIENT_KEY, "SELECT experiments_api.allocate(%s::jsonb)",
         (json.dumps({"visitor_id": "v", "campaign_id": big}),)),
        ("hostile_client", CLIENT_KEY, "SELECT experiments_api.experiment_status(%s::jsonb)",
         (json.dumps({"api_key": CLIENT_KEY, "user_tag": "u", "country": big}),)),
        ("hostile_client", CLIENT_KEY, "SELECT experiments_api.experiment_status(%s::jsonb)",
         (json.dumps({"api_key": CLIENT_KEY, "device_tag": big}),)),
        ("hostile_admin", ADMIN_KEY, "SELECT experiments_api.get_ab_test(%s, %s)", (big, "t")),
        ("hostile_admin", ADMIN_KEY, "SELECT experiments_api.get_ab_test(%s, %s)", ("site", big)),
        ("hostile_admin", ADMIN_KEY, "SELECT experiments_api.create_org_experiment(%s::uuid, %s::jsonb)",
         (TENANT, json.dumps({"name": "n", "is_draft": True, "goal_id": big}),)),
        ("hostile_admin", ADMIN_KEY, "SELECT experiments_api.create_org_experiment(%s::uuid, %s::jsonb)",
         (TENANT, json.dumps({"name": "n", "is_draft": True, "groups": [{"name": big}]}),)),
        ("hostile_client", CLIENT_KEY, "SELECT experiments.assign(%s, 'u')::text", (big,)),
        ("hostile_client", CLIENT_KEY, "SELECT experiments_api.context_batch(%s::json)",
         (json.dumps({"requests": [{"units": [{"type": "t", "uid": "u"}], big: 1,
                                    "goals": [{"name": "g", "achievedAt": now_ms(), big[:-1]: 1}]}]}),)),
        ("hostile_client", CLIENT_KEY, "SELECT experiments_api.visit_event(%s::jsonb)",
         (json.dumps({"tracking_data": {"visitor_id": "v", "device_type": big, "origin": "o", "timestamp": now_iso()}}),)),
    ]
    for role, key, sql, args in cases:
        conn = connect(role)
        before = os.path.getsize(LOG)
        try:
            answer, _ = timed(sql, lambda: call(conn, key, sql, args))
            shown = json.dumps(answer) if not isinstance(answer, str) else answer
        except psycopg.Error as e:
            shown = str(e) + (e.diag.message_detail or "") + (e.diag.message_hint or "")
        grown = os.path.getsize(LOG) - before
        tried["long inputs"] += 1
        if grown > LOG_BYTES:
            fail(f"{sql} with a 10 MB input: the server log grew {grown} bytes")
        if len(shown) > ANSWER_BYTES:
            fail(f"{sql} with a 10 MB input: an answer or error of {len(shown)} bytes: {shown[:200]}")
        conn.close()


# 4. Exactly once: THREADS connections send the same AB Tasty transaction at
#    once, under READ COMMITTED and REPEATABLE READ, retrying serialization
#    failures and lost answers; then each id is stored once, with its items.
#    Events with an Idempotency-Key are stored once however often they are
#    sent, and every send gets the first answer.
THREADS = 6


def transactions():
    answers = collections.Counter()
    ids = []

    def send(tx_id, isolation, barrier, results, retry_after_success):
        conn = connect("hostile_client")
        body = json.dumps({"name": "order", "id": tx_id, "revenue": 1234, "shipping": 0,
                           "items": [{"name": "i1", "price": 1000, "sku": "s1"}, {"name": "i2", "price": 234, "sku": "s2"}],
                           "tracking_data": {"visitor_id": "v-" + tx_id, "device_type": "DESKTOP",
                                             "origin": "checkout", "timestamp": now_iso()}})
        barrier.wait()
        sends = 2 if retry_after_success else 1
        for _ in range(sends):
            for attempt in range(10):
                try:
                    answer, status = call(conn, CLIENT_KEY, "SELECT experiments_api.transaction_event(%s::jsonb)",
                                          (body,), isolation)
                    results.append((status or "200", answer.get("code")))
                    break
                except errors.SerializationFailure:
                    with lock:
                        tried["transaction serialization retries"] += 1
                    time.sleep(0.01 * attempt)
        conn.close()

    for round_ in range(12):
        isolation = "REPEATABLE READ" if round_ % 2 else "READ COMMITTED"
        tx_id = f"T-{round_}-{rng.randrange(10 ** 9)}"
        ids.append(tx_id)
        barrier = threading.Barrier(THREADS)
        results = []
        threads = [threading.Thread(target=send, args=(tx_id, isolation, barrier, results, t == 0))
                   for t in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        tried["concurrent transaction sends"] += len(results)
        stored = sum(1 for s, _ in results if s == "200")
        if stored != 1 or any(s not in ("200", "409") for s, _ in results):
            fail(f"transaction {tx_id} ({isolation}): answers {results}; expected one 200, the rest 409")
        answers.update(s for s, _ in results)
    counts = monitor.execute("""SELECT t.transaction_id, count(*), sum(t.revenue),
        (SELECT count(*) FROM experiments.transaction_items i WHERE i.transaction_id = t.transaction_id)
        FROM experiments.transactions t WHERE t.transaction_id = ANY(%s) GROUP BY 1""", (ids,)).fetchall()
    for tx_id, n, revenue, items in counts:
        if n != 1 or revenue != 1234 or items != 2:
            fail(f"transaction {tx_id}: stored {n} times, revenue {revenue}, {items} items")
    if len(counts) != len(ids):
        fail(f"{len(ids) - len(counts)} transactions lost")
    tried["transaction ids"] += len(ids)

    # Idempotency keys: a visit sent 4 times with one key, concurrently.
    for round_ in range(4):
        key = f"visit-{round_}-{rng.randrange(10 ** 9)}"
        body = json.dumps({"tracking_data": {"visitor_id": key, "device_type": "MOBILE_PHONE",
                                             "origin": "home", "timestamp": now_iso()}, "extra": 1})
        barrier = threading.Barrier(4)
        results = []

        def visit():
            conn = connect("hostile_client")
            barrier.wait()
            for attempt in range(10):
                try:
                    results.append(call(conn, CLIENT_KEY, "SELECT experiments_api.visit_event(%s::jsonb)", (body,),
                                        "REPEATABLE READ" if round_ % 2 else None,
                                        {"request.headers": json.dumps({"idempotency-key": key})})[0])
                    break
                except errors.SerializationFailure:
                    time.sleep(0.01 * attempt)
            conn.close()
        threads = [threading.Thread(target=visit) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        n = monitor.execute("SELECT count(*) FROM experiments.visits WHERE visitor_id = %s", (key,)).fetchone()[0]
        tried["idempotent visits sent"] += len(results)
        if n != 1 or len(results) != 4 or any(r != results[0] for r in results):
            fail(f"visit with key {key}: stored {n} times; answers {results}")


# 5. Layers: two REPEATABLE READ transactions claim overlapping ranges of one
#    layer at once (one must fail); ranges of experiments with enrolled units
#    are moved, shrunk and grown; afterwards no two experiments of a layer
#    that are not stopped overlap, and no unit is in two of them.
def layers():
    admin = [connect("hostile_admin") for _ in range(2)]
    layer = f"L{rng.randrange(10 ** 6)}"
    call(admin[0], ADMIN_KEY, "INSERT INTO experiments.layers (key) VALUES (%s) RETURNING id", (layer,))
    placed = []
    for round_ in range(10):
        lo1 = rng.randrange(0, 9000)
        hi1 = rng.randrange(lo1 + 1, 10001)
        lo2 = rng.randrange(max(0, lo1 - 500), hi1)
        hi2 = rng.randrange(lo2 + 1, 10001)
        keys = [f"{layer}-{round_}-a", f"{layer}-{round_}-b"]
        barrier = threading.Barrier(2)
        outcome = [None, None]

        def claim(i, key, lo, hi):
            conn = admin[i]
            try:
                with conn.transaction():
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    conn.execute("SELECT experiments.authenticate(%s)", (ADMIN_KEY,))
                    conn.execute("SELECT count(*) FROM experiments.experiments").fetchone()
                    barrier.wait()
                    conn.execute("""INSERT INTO experiments.experiments (key, layer_id, layer_lo, layer_hi)
                                    SELECT %s, id, %s, %s FROM experiments.layers WHERE key = %s""", (key, lo, hi, layer))
                outcome[i] = "placed"
            except (errors.ExclusionViolation, errors.SerializationFailure) as e:
                outcome[i] = type(e).__name__
        threads = [threading.Thread(target=claim, args=(0, keys[0], lo1, hi1)),
                   threading.Thread(target=claim, args=(1, keys[1], lo2, hi2))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        tried["overlapping layer claims"] += 2
        if outcome.count("placed") != 1:
            fail(f"claims [{lo1}, {hi1}) and [{lo2}, {hi2}) under REPEATABLE READ: {outcome}")
        placed += [k for k, o in zip(keys, outcome) if o == "placed"]
        # free the layer for the next round; the last one is kept and runs
        if round_ < 9:
            call(admin[0], ADMIN_KEY, "WITH d AS (DELETE FROM experiments.experiments WHERE key = ANY(%s) RETURNING 1) "
                 "SELECT count(*) FROM d", (keys,))
    # The last placed experiment runs and enrols units; then its range is
    # moved, shrunk and grown, and another experiment tries to take the rest.
    running = placed[-1]
    call(admin[0], ADMIN_KEY, """SELECT count(*) FROM experiments.set_variants(%s,
        '[{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}]')""", (running,))
    call(admin[0], ADMIN_KEY, "SELECT experiments.set_state(%s, 'running')::text", (running,))
    client = connect("hostile_client")
    enrolled, _ = call(client, CLIENT_KEY,
                       "SELECT count(*) FILTER (WHERE e.assigned) FROM generate_series(1, 2000) u, experiments.enrol(%s, 'u' || u) e",
                       (running,))
    lo, hi = monitor.execute("SELECT layer_lo, layer_hi FROM experiments.experiments WHERE key = %s", (running,)).fetchone()
    for label, sql in (("move", f"layer_lo = {max(0, lo - 1)}, layer_hi = {hi - 1}"),
                       ("shrink", f"layer_lo = {lo + (hi - lo) // 2}"),
                       ("leave the layer", "layer_id = NULL, layer_lo = NULL, layer_hi = NULL"),
                       ("grow", f"layer_lo = {max(0, lo - 1)}, layer_hi = {min(10000, hi + 1)}")):
        tried["range changes of an enrolled experiment"] += 1
        try:
            call(admin[0], ADMIN_KEY, f"UPDATE experiments.experiments SET {sql} WHERE key = %s RETURNING 1", (running,))
            ok = True
        except (errors.ObjectNotInPrerequisiteState, errors.ExclusionViolation):
            ok = False
        if ok != (label == "grow" and enrolled > 0) and not (label == "grow" and (lo == 0 and hi == 10000)):
            fail(f"{label} of the range of {running} with {enrolled} enrolled units: {'done' if ok else 'refused'}")
    other = f"{layer}-other"
    for lo2, hi2 in ((0, 10000), (0, 1), (9999, 10000)):
        tried["claims next to an enrolled experiment"] += 1
        try:
            call(admin[0], ADMIN_KEY, """INSERT INTO experiments.experiments (key, layer_id, layer_lo, layer_hi)
                 SELECT %s, id, %s, %s FROM experiments.layers WHERE key = %s RETURNING 1""",
                 (f"{other}-{lo2}", lo2, hi2, layer))
        except errors.ExclusionViolation:
            pass
    overlaps = monitor.execute("""SELECT count(*) FROM experiments.experiments a JOIN experiments.experiments b
        ON a.layer_id = b.layer_id AND a.id < b.id AND a.state <> 'stopped' AND b.state <> 'stopped'
        AND int4range(a.layer_lo, a.layer_hi) && int4range(b.layer_lo, b.layer_hi)""").fetchone()[0]
    if overlaps:
        fail(f"{overlaps} pairs of experiments of one layer overlap")
    # Every other experiment of the layer runs: no unit gets a variant of two.
    for key in monitor.execute("""SELECT e.key FROM experiments.experiments e JOIN experiments.layers l ON l.id = e.layer_id
                                  WHERE l.key = %s AND e.state = 'draft'""", (layer,)).fetchall():
        call(admin[0], ADMIN_KEY, """SELECT count(*) FROM experiments.set_variants(%s,
            '[{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}]')""", key)
        call(admin[0], ADMIN_KEY, "SELECT experiments.set_state(%s, 'running')::text", key)
    doubles, _ = call(admin[0], ADMIN_KEY, """SELECT count(*) FROM (
        SELECT u FROM generate_series(1, 2000) u, experiments.assign_all('u' || u) a
        JOIN experiments.experiments e ON e.id = a.experiment_id JOIN experiments.layers l ON l.id = e.layer_id
        WHERE l.key = %s AND a.ordinal IS NOT NULL GROUP BY u HAVING count(*) > 1) d""", (layer,))
    tried["units checked for two experiments of a layer"] += 2000
    if doubles:
        fail(f"{doubles} units are in two experiments of layer {layer}")
    client.close()
    for c in admin:
        c.close()


# 6. Layers under races: while clients enrol units in an experiment that has
#    none yet (it may change its range then), an admin shrinks it and gives
#    the rest of the layer to another experiment, in one transaction, under
#    READ COMMITTED and REPEATABLE READ. An enrolment decided from the old
#    range is refused (40001) and retried; the shrink is refused (55000) when
#    an enrolment committed first. Afterwards no enrolled unit is outside its
#    experiment's range and no unit gets a variant of two experiments of the
#    layer.
def layer_races():
    admin = connect("hostile_admin")
    variants = '[{"key": "A", "allocation": 50}, {"key": "B", "allocation": 50}]'
    for round_ in range(6):
        isolation = "REPEATABLE READ" if round_ % 2 else "READ COMMITTED"
        layer = f"R{round_}-{rng.randrange(10 ** 6)}"
        x, y = f"{layer}-x", f"{layer}-y"
        split = rng.randrange(1000, 9000)
        call(admin, ADMIN_KEY, "INSERT INTO experiments.layers (key) VALUES (%s) RETURNING id", (layer,))
        call(admin, ADMIN_KEY, """INSERT INTO experiments.experiments (key, layer_id, layer_lo, layer_hi)
             SELECT %s, id, 0, 10000 FROM experiments.layers WHERE key = %s RETURNING 1""", (x, layer))
        call(admin, ADMIN_KEY, "SELECT count(*) FROM experiments.set_variants(%s, %s)", (x, variants))
        call(admin, ADMIN_KEY, "SELECT experiments.set_state(%s, 'running')::text", (x,))
        barrier = threading.Barrier(4)
        shrink = [None]

        def change():
            conn = connect("hostile_admin")
            barrier.wait()
            try:
                with conn.transaction():
                    conn.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
                    conn.execute("SELECT experiments.authenticate(%s)", (ADMIN_KEY,))
                    time.sleep(rng.random() * 0.02)
                    conn.execute("UPDATE experiments.experiments SET layer_hi = %s WHERE key = %s", (split, x))
                    conn.execute("""INSERT INTO experiments.experiments (key, layer_id, layer_lo, layer_hi)
                                    SELECT %s, id, %s, 10000 FROM experiments.layers WHERE key = %s""", (y, split, layer))
                    time.sleep(0.05)
                shrink[0] = "done"
            except (errors.ObjectNotInPrerequisiteState, errors.SerializationFailure) as e:
                shrink[0] = type(e).__name__
            conn.close()

        def enrol(t):
            conn = connect("hostile_client")
            barrier.wait()
            for u in range(t, 120, 3):
                for attempt in range(20):
                    try:
                        call(conn, CLIENT_KEY, "SELECT (experiments.enrol(%s, %s)).reason::text", (x, f"u{u}"), isolation)
                        break
                    except errors.SerializationFailure:
                        with lock:
                            tried["enrolments retried after a range change"] += 1
                        time.sleep(0.005 * attempt)
                else:
                    fail(f"enrolment of u{u} in {x}: 20 serialization failures")
                with lock:
                    tried["enrolments racing range changes"] += 1
            conn.close()
        threads = [threading.Thread(target=change)] + [threading.Thread(target=enrol, args=(t,)) for t in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        tried[f"range changes racing enrolments: {shrink[0]}"] += 1
        if shrink[0] == "done":
            call(admin, ADMIN_KEY, "SELECT count(*) FROM experiments.set_variants(%s, %s)", (y, variants))
            call(admin, ADMIN_KEY, "SELECT experiments.set_state(%s, 'running')::text", (y,))
        outside = monitor.execute("""SELECT count(*) FROM experiments.enrolments n
            JOIN experiments.experiments e ON e.id = n.experiment_id JOIN experiments.layers l ON l.id = e.layer_id
            WHERE l.key = %s AND NOT experiments.bucket(n.unit, l.seed) <@ int4range(e.layer_lo, e.layer_hi)""",
                                  (layer,)).fetchone()[0]
        doubles, _ = call(admin, ADMIN_KEY, """SELECT count(*) FROM (
            SELECT u FROM generate_series(0, 119) u, experiments.assign_all('u' || u) a
            JOIN experiments.experiments e ON e.id = a.experiment_id JOIN experiments.layers l ON l.id = e.layer_id
            WHERE l.key = %s AND a.ordinal IS NOT NULL GROUP BY u HAVING count(*) > 1) d""", (layer,))
        tried["units checked for two experiments of a layer"] += 120
        if outside or doubles:
            fail(f"layer {layer} ({isolation}, shrink {shrink[0]}): {outside} enrolments outside their range, "
                 f"{doubles} units in two experiments")
    admin.close()


TENANT = os.environ["HOSTILE_TENANT"]
suites = [amplification, memory, long_inputs, transactions, layers, layer_races]
start = time.monotonic()
for suite in suites:
    t0 = time.monotonic()
    try:
        suite()
    except Exception as e:  # a crash or an unexpected error is a failure
        fail(f"{suite.__name__}: {type(e).__name__}: {e}"[:500])
    print(f"{suite.__name__}: {time.monotonic() - t0:.1f} s", flush=True)
for what, n in sorted(tried.items()):
    print(f"tried: {n:6d} {what}")
print(f"hostile: {sum(tried.values())} cases in {time.monotonic() - start:.1f} s, {len(failures)} failures")
sys.exit(1 if failures else 0)
