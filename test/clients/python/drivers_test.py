#!/usr/bin/python3
"""psycopg 3 (Debian's python3-psycopg 3.1) as an application uses the extension.

Run by test/scripts/drivers.sh, which sets the DRIVERS_* variables below and
the libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE) of a superuser.

DRIVERS_MODE=direct: the application's login, over TCP with its password,
runs server-side prepared statements on ONE connection, alternating the keys
of two tenants whose experiment of the same key answers a different variant:
each transaction sees its own tenant only, enrolment is sticky, a published
batch is stored in its tenant, an operator's committed weight change is seen
by the next transaction of the existing connection, and a transaction that
did not call authenticate() has no tenant.

DRIVERS_MODE=pooled: through pgbouncer in transaction mode, sharing one
server connection with the Node client (test/clients/node): no transaction
sees the tenant, role or request settings of another.
"""
import json
import os
import sys
import time
import unittest
import uuid
from contextlib import contextmanager

import psycopg
from psycopg import errors
from psycopg.types.json import Jsonb

ENV = os.environ
EXPERIMENT = "checkout_button"
RUN = uuid.uuid4().hex[:8]
TENANTS = {
    name: {
        "id": ENV[f"DRIVERS_{name.upper()}_TENANT"],
        "key": ENV[f"DRIVERS_{name.upper()}_KEY"],
        "admin_key": ENV[f"DRIVERS_{name.upper()}_ADMIN_KEY"],
    }
    for name in ("acme", "globex")
}
# Each tenant's experiment is 100% one variant, so an answer names its tenant
# (drivers.sh sets these weights; the direct tests set them again).
VARIANT = {"acme": "green", "globex": "control"}
WEIGHTS = {"acme": (0, 100), "globex": (100, 0)}

AUTHENTICATE = "SELECT experiments.authenticate(%s)"
ASSIGN = ("SELECT variant, reason::text, experiment_id, ordinal, experiments.current_tenant()::text"
          " FROM experiments.assign(%s, %s)")
ENROL = "SELECT variant, reason::text FROM experiments.enrol(%s, %s)"
PUBLISH = "SELECT experiments.publish(%s)"
STATE = ("SELECT experiments.current_tenant()::text, current_user::text, current_setting('role'),"
         " current_setting('request.headers', true), pg_backend_pid()")
SET_HEADERS = "SELECT set_config('request.headers', %s, true)"
NO_TENANT = "no tenant is set for this transaction"


# The application's and the operator's logins, over TCP with a password as a
# deployment has them (DRIVERS_PORT is the server or pgbouncer).
def login(user, password, **options):
    return psycopg.connect(host=ENV["DRIVERS_HOST"], port=ENV["DRIVERS_PORT"], dbname=ENV["DRIVERS_DB"],
                           user=user, password=password, autocommit=True, **options)


# The superuser, from the libpq variables (unix socket, trusted): it reads
# every tenant's rows to check what the application stored.
def superuser():
    return psycopg.connect(autocommit=True)


# An operator's weight change, committed before it returns: what the
# application's next transaction must see.
def set_weights(ops, tenant, control, green):
    variants = [{"key": "control", "allocation": control}, {"key": "green", "allocation": green}]
    with ops.transaction():
        role = ops.execute(AUTHENTICATE, (TENANTS[tenant]["admin_key"],)).fetchone()[0]
        assert role == "experiments_admin", role
        ops.execute("SELECT count(*) FROM experiments.set_variants(%s, %s)", (EXPERIMENT, Jsonb(variants)))


# An ABsmartly batch of one exposure and one goal of a unit, as an SDK sends it.
def batch(unit, experiment_id, ordinal):
    now = int(time.time() * 1000)
    return {"requests": [{
        "units": [{"type": "user_id", "uid": unit}],
        "publishedAt": now,
        "exposures": [{"id": experiment_id, "name": EXPERIMENT, "unit": "user_id", "variant": ordinal,
                       "exposedAt": now, "assigned": True, "eligible": True}],
        "goals": [{"name": "checkout", "achievedAt": now, "properties": {"value": 12}}],
    }]}


class App:
    """The application's connection: every query goes through one(), so that
    the prepare policy (always, or never through pgbouncer) is in one place."""

    def __init__(self, conn, prepare):
        self.conn = conn
        self.prepare = prepare

    # One row of a query, prepared on the server when the policy says so.
    def one(self, query, params=()):
        return self.conn.execute(query, params, prepare=self.prepare).fetchone()

    # A transaction of a tenant: authenticate() first, as every transaction
    # must, since the tenant holds for that transaction only.
    @contextmanager
    def tenant(self, name):
        with self.conn.transaction():
            assert self.one(AUTHENTICATE, (TENANTS[name]["key"],))[0] == "experiments_client"
            yield

    # assign() as a dict, checked to come from the transaction's own tenant.
    def assign(self, tenant, unit):
        variant, reason, experiment_id, ordinal, current = self.one(ASSIGN, (EXPERIMENT, unit))
        assert current == TENANTS[tenant]["id"], f"{tenant}'s transaction runs in tenant {current}"
        return {"variant": variant, "reason": reason, "experiment_id": experiment_id, "ordinal": ordinal}


class DirectTest(unittest.TestCase):
    """The application's login on the server itself, prepared statements on."""

    # Fresh connections and the starting weights for every test: each stands alone.
    def setUp(self):
        self.ops = login(ENV["DRIVERS_OPS_USER"], ENV["DRIVERS_OPS_PASSWORD"])
        for tenant, (control, green) in WEIGHTS.items():
            set_weights(self.ops, tenant, control, green)
        self.app = App(login(ENV["DRIVERS_APP_USER"], ENV["DRIVERS_APP_PASSWORD"]), prepare=True)

    def tearDown(self):
        self.app.conn.close()
        self.ops.close()

    # The same prepared statements serve both tenants in turn on one session,
    # and each transaction answers for its own tenant only.
    def test_prepared_statements_alternate_tenants(self):
        pids = set()
        for i in range(40):
            tenant = ("acme", "globex")[i % 2]
            with self.app.tenant(tenant):
                self.assertEqual(self.app.assign(tenant, f"py-alt-{RUN}-{i}")["variant"], VARIANT[tenant])
                pids.add(self.app.one(STATE)[4])
        self.assertEqual(len(pids), 1, "one connection, one backend")
        prepared = [row[0] for row in self.app.conn.execute(
            "SELECT statement FROM pg_prepared_statements WHERE NOT from_sql", prepare=False)]
        for text in ("experiments.authenticate($1)", "experiments.assign($1, $2)"):
            self.assertEqual(sum(text in s for s in prepared), 1, f"{text} prepared once: {prepared}")

    # Enrolment outlives a weight change; the change itself is seen by the
    # next transaction of the connection that had cached the old weights.
    def test_sticky_enrolment_and_weights_seen_after_commit(self):
        unit = f"py-sticky-{RUN}"
        for tenant in ("acme", "globex"):
            with self.app.tenant(tenant):
                self.assertEqual(self.app.one(ENROL, (EXPERIMENT, unit))[0], VARIANT[tenant])
                self.assertEqual(self.app.assign(tenant, f"py-warm-{RUN}")["variant"], VARIANT[tenant])
        set_weights(self.ops, "acme", 100, 0)
        set_weights(self.ops, "globex", 0, 100)
        flipped = {"acme": "control", "globex": "green"}
        for tenant in ("acme", "globex", "acme", "globex"):
            with self.app.tenant(tenant):
                self.assertEqual(self.app.assign(tenant, f"py-warm-{RUN}")["variant"], flipped[tenant],
                                 "the committed weights, not the cached ones")
                sticky = self.app.assign(tenant, unit)
                self.assertEqual((sticky["variant"], sticky["reason"]), (VARIANT[tenant], "sticky"))
                self.assertEqual(self.app.one(ENROL, (EXPERIMENT, unit)), (VARIANT[tenant], "sticky"))

    # A batch published in a tenant's transaction is stored in that tenant
    # (the superuser reads it back), and in no other.
    def test_publish_stored_in_its_tenant(self):
        unit = f"py-publish-{RUN}"
        for tenant in ("acme", "globex"):
            with self.app.tenant(tenant):
                a = self.app.assign(tenant, unit)
                answer = self.app.one(PUBLISH, (Jsonb(batch(unit, a["experiment_id"], a["ordinal"])),))[0]
                self.assertEqual((answer["ok"], answer["errors"]), (True, []), answer)
        with superuser() as su:
            for tenant in ("acme", "globex"):
                rows = su.execute("""
                    SELECT (SELECT count(*) FROM experiments.exposures x JOIN experiments.variants v
                              ON v.experiment_id = x.experiment_id AND v.ordinal = x.ordinal
                            WHERE x.tenant_id = %(t)s AND x.unit = %(u)s AND v.key = %(v)s),
                           (SELECT count(*) FROM experiments.goal_events
                            WHERE tenant_id = %(t)s AND unit = %(u)s AND goal = 'checkout'),
                           (SELECT count(*) FROM experiments.goal_events
                            WHERE tenant_id <> %(t)s AND unit = %(u)s)""",
                                  {"t": TENANTS[tenant]["id"], "u": unit, "v": VARIANT[tenant]}).fetchone()
                self.assertEqual(rows, (1, 1, 1), f"{tenant}: exposure, goal, the other tenant's goal")

    # The tenant ends with the transaction that authenticated, committed or
    # rolled back: a later statement without authenticate() has none.
    def test_no_tenant_without_authenticate(self):
        with self.app.tenant("acme"):
            self.app.assign("acme", f"py-before-{RUN}")
        for case in ("in a transaction", "autocommit", "after a rollback"):
            if case == "after a rollback":
                with self.app.conn.transaction(force_rollback=True):
                    self.app.one(AUTHENTICATE, (TENANTS["globex"]["key"],))
            with self.assertRaises(errors.InsufficientPrivilege, msg=case) as raised:
                if case == "autocommit":
                    self.app.one(ASSIGN, (EXPERIMENT, f"py-none-{RUN}"))
                else:
                    with self.app.conn.transaction():
                        self.assertIsNone(self.app.one(STATE)[0])
                        self.app.one(ASSIGN, (EXPERIMENT, f"py-none-{RUN}"))
            self.assertEqual(raised.exception.sqlstate, "42501")
            self.assertEqual(raised.exception.diag.message_primary, NO_TENANT)
        with self.assertRaises(errors.InsufficientPrivilege):
            with self.app.conn.transaction():
                self.app.one(PUBLISH, (Jsonb(batch(f"py-none-{RUN}", 1, 0)),))


class PooledTest(unittest.TestCase):
    """Through pgbouncer (pool_mode = transaction, one server connection),
    concurrently with the Node client, which uses the other tenant."""

    # Many short transactions on a server connection the other client uses
    # between them: each must start clean (no tenant, the login's role, no
    # request settings) and see its own tenant's answers once authenticated.
    def test_shared_server_connection(self):
        own = ENV["DRIVERS_TENANT"]
        user = ENV["DRIVERS_APP_USER"]
        # pgbouncer 1.18 does not support protocol-level prepared statements in
        # transaction mode (the next transaction may run on a server
        # connection that never saw the Parse), so prepare_threshold=None:
        # psycopg still sends every query with parameters through the extended
        # protocol (Parse/Bind/Execute of the unnamed statement), which works.
        app = App(login(user, ENV["DRIVERS_APP_PASSWORD"], prepare_threshold=None), prepare=None)
        pids, starts = set(), []
        await_barrier()
        with app.conn:
            for i in range(int(ENV.get("DRIVERS_TRANSACTIONS", "300"))):
                starts.append(time.time() * 1000)
                try:
                    with app.conn.transaction():
                        tenant, current_user, role, headers, pid = app.one(STATE)
                        pids.add(pid)
                        self.assertEqual((tenant, current_user, role), (None, user, "none"), f"transaction {i}")
                        self.assertIn(headers, (None, ""), f"transaction {i} sees request.headers")
                        if i % 10 == 9:
                            app.one(ASSIGN, (EXPERIMENT, f"py-pooled-{i}"))
                            self.fail(f"transaction {i} assigned without authenticate()")
                        self.assertEqual(app.one(AUTHENTICATE, (TENANTS[own]["key"],))[0], "experiments_client")
                        self.assertEqual(app.assign(own, f"py-pooled-{i}")["variant"], VARIANT[own])
                        if i % 7 == 0:
                            self.assertEqual(app.one(ENROL, (EXPERIMENT, f"py-pooled-{RUN}"))[0], VARIANT[own])
                        app.one(SET_HEADERS, (json.dumps({"x-api-key": TENANTS[own]["key"], "client": "python"}),))
                        if i % 2:
                            app.conn.execute("SET LOCAL ROLE experiments_client")
                            self.assertEqual(app.one(STATE)[1:3], ("experiments_client", "experiments_client"))
                        if i % 5 == 0:
                            app.one("SELECT 1 / 0")  # ends in a rollback instead of a commit
                except errors.DivisionByZero:
                    pass
                except errors.InsufficientPrivilege as e:
                    self.assertEqual((i % 10, e.diag.message_primary), (9, NO_TENANT))
        report(sorted(pids), starts)


# Waits until drivers.sh says go, so that both clients' transactions interleave.
def await_barrier():
    directory = ENV["DRIVERS_BARRIER"]
    open(os.path.join(directory, "python.ready"), "w").close()
    deadline = time.time() + 30
    while not os.path.exists(os.path.join(directory, "go")):
        if time.time() > deadline:
            raise TimeoutError("drivers.sh never said go")
        time.sleep(0.01)


# What drivers.sh checks across the clients: the server backends used, and
# when each transaction started (to count how often the clients took turns).
def report(pids, starts):
    with open(ENV["DRIVERS_REPORT"], "w") as f:
        json.dump({"client": "python", "pids": pids, "starts": starts}, f)


def main():
    mode = ENV.get("DRIVERS_MODE", "direct")
    case = {"direct": DirectTest, "pooled": PooledTest}[mode]
    print(f"psycopg {psycopg.__version__}, libpq {psycopg.pq.version()}, mode {mode}", flush=True)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(case))
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)


if __name__ == "__main__":
    main()
