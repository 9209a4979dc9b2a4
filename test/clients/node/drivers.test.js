'use strict';
// node-postgres (pg, pinned in package.json) as an application uses the
// extension; run with `node --test` by test/scripts/drivers.sh, which sets the
// DRIVERS_* variables below and the PG* variables of a superuser.
//
// DRIVERS_MODE=direct: the application's login, over TCP with its password,
// runs named (server-side prepared) statements on ONE connection, alternating
// the keys of two tenants whose experiment of the same key answers a different
// variant: each transaction sees its own tenant only, enrolment is sticky, a
// published batch is stored in its tenant, an operator's committed weight
// change is seen by the next transaction of the existing connection, and a
// transaction that did not call authenticate() has no tenant.
//
// DRIVERS_MODE=pooled: through pgbouncer in transaction mode, sharing one
// server connection with the Python client (test/clients/python): no
// transaction sees the tenant, role or request settings of another.

const { describe, test, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');

const ENV = process.env;
const EXPERIMENT = 'checkout_button';
const RUN = crypto.randomBytes(4).toString('hex');
const TENANTS = {};
for (const name of ['acme', 'globex']) {
  const prefix = `DRIVERS_${name.toUpperCase()}`;
  TENANTS[name] = { id: ENV[`${prefix}_TENANT`], key: ENV[`${prefix}_KEY`], adminKey: ENV[`${prefix}_ADMIN_KEY`] };
}
// Each tenant's experiment is 100% one variant, so an answer names its tenant
// (drivers.sh sets these weights; the direct tests set them again).
const VARIANT = { acme: 'green', globex: 'control' };
const WEIGHTS = { acme: [0, 100], globex: [100, 0] };

const AUTHENTICATE = 'SELECT experiments.authenticate($1) AS role';
const ASSIGN = 'SELECT variant, reason::text, experiment_id, ordinal, experiments.current_tenant()::text AS tenant'
  + ' FROM experiments.assign($1, $2)';
const ENROL = 'SELECT variant, reason::text FROM experiments.enrol($1, $2)';
const PUBLISH = 'SELECT experiments.publish($1::jsonb) AS answer';
const STATE = "SELECT experiments.current_tenant()::text AS tenant, current_user::text AS user,"
  + " current_setting('role') AS role, current_setting('request.headers', true) AS headers, pg_backend_pid() AS pid";
const SET_HEADERS = "SELECT set_config('request.headers', $1, true)";
const NO_TENANT = 'no tenant is set for this transaction';

// The application's and the operator's logins, over TCP with a password as a
// deployment has them (DRIVERS_PORT is the server or pgbouncer).
async function login(user, password) {
  const client = new Client({
    host: ENV.DRIVERS_HOST, port: Number(ENV.DRIVERS_PORT), database: ENV.DRIVERS_DB, user, password,
  });
  await client.connect();
  return client;
}

// The superuser, from the PG* variables (unix socket, trusted): it reads
// every tenant's rows to check what the application stored.
async function superuser() {
  const client = new Client();
  await client.connect();
  return client;
}

// BEGIN, the work, COMMIT (or ROLLBACK when asked or when the work throws).
async function transaction(client, work, { rollback = false } = {}) {
  await client.query('BEGIN');
  try {
    await work();
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  await client.query(rollback ? 'ROLLBACK' : 'COMMIT');
}

// An operator's weight change, committed before it returns: what the
// application's next transaction must see.
async function setWeights(ops, tenant, control, green) {
  const variants = [{ key: 'control', allocation: control }, { key: 'green', allocation: green }];
  await transaction(ops, async () => {
    const { rows } = await ops.query(AUTHENTICATE, [TENANTS[tenant].adminKey]);
    assert.equal(rows[0].role, 'experiments_admin');
    await ops.query('SELECT count(*) FROM experiments.set_variants($1, $2::jsonb)', [EXPERIMENT, JSON.stringify(variants)]);
  });
}

// An ABsmartly batch of one exposure and one goal of a unit, as an SDK sends it.
function batch(unit, experimentId, ordinal) {
  const now = Date.now();
  return {
    requests: [{
      units: [{ type: 'user_id', uid: unit }],
      publishedAt: now,
      exposures: [{
        id: experimentId, name: EXPERIMENT, unit: 'user_id', variant: ordinal,
        exposedAt: now, assigned: true, eligible: true,
      }],
      goals: [{ name: 'checkout', achievedAt: now, properties: { value: 12 } }],
    }],
  };
}

// The application's connection: every query goes through one(), so that the
// prepare policy (named statements, or unnamed through pgbouncer) is in one place.
class App {
  constructor(client, prepare) {
    this.client = client;
    this.prepare = prepare;
  }

  // One row of a query; with prepare, a named statement the server parses
  // once per connection and node-postgres reuses by name.
  async one(name, text, values = []) {
    const { rows } = await this.client.query(this.prepare ? { name, text, values } : { text, values });
    return rows[0];
  }

  // A transaction of a tenant: authenticate() first, as every transaction
  // must, since the tenant holds for that transaction only.
  async tenant(name, work) {
    await transaction(this.client, async () => {
      assert.equal((await this.one('authenticate', AUTHENTICATE, [TENANTS[name].key])).role, 'experiments_client');
      await work();
    });
  }

  // assign(), checked to come from the transaction's own tenant.
  async assign(tenant, unit) {
    const row = await this.one('assign', ASSIGN, [EXPERIMENT, unit]);
    assert.equal(row.tenant, TENANTS[tenant].id, `${tenant}'s transaction runs in tenant ${row.tenant}`);
    return row;
  }
}

// Asserts that a promise fails with the no-tenant error (42501).
async function rejectsNoTenant(promise) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.code, '42501');
    assert.equal(error.message, NO_TENANT);
    return true;
  });
}

// The application's login on the server itself, named statements on.
function directTests() {
  let ops;
  let app;

  // Fresh connections and the starting weights for every test: each stands alone.
  beforeEach(async () => {
    ops = await login(ENV.DRIVERS_OPS_USER, ENV.DRIVERS_OPS_PASSWORD);
    for (const [tenant, [control, green]] of Object.entries(WEIGHTS)) {
      await setWeights(ops, tenant, control, green);
    }
    app = new App(await login(ENV.DRIVERS_APP_USER, ENV.DRIVERS_APP_PASSWORD), true);
  });

  afterEach(async () => {
    await app.client.end();
    await ops.end();
  });

  // The same prepared statements serve both tenants in turn on one session,
  // and each transaction answers for its own tenant only.
  test('prepared statements alternate tenants on one connection', async () => {
    const pids = new Set();
    for (let i = 0; i < 40; i++) {
      const tenant = ['acme', 'globex'][i % 2];
      await app.tenant(tenant, async () => {
        assert.equal((await app.assign(tenant, `node-alt-${RUN}-${i}`)).variant, VARIANT[tenant]);
        pids.add((await app.one('state', STATE)).pid);
      });
    }
    assert.equal(pids.size, 1, 'one connection, one backend');
    const { rows } = await app.client.query('SELECT name FROM pg_prepared_statements WHERE NOT from_sql ORDER BY name');
    assert.deepEqual(rows.map((r) => r.name), ['assign', 'authenticate', 'state']);
  });

  // Enrolment outlives a weight change; the change itself is seen by the
  // next transaction of the connection that had cached the old weights.
  test('enrolment is sticky and committed weights are seen at once', async () => {
    const unit = `node-sticky-${RUN}`;
    for (const tenant of ['acme', 'globex']) {
      await app.tenant(tenant, async () => {
        assert.equal((await app.one('enrol', ENROL, [EXPERIMENT, unit])).variant, VARIANT[tenant]);
        assert.equal((await app.assign(tenant, `node-warm-${RUN}`)).variant, VARIANT[tenant]);
      });
    }
    await setWeights(ops, 'acme', 100, 0);
    await setWeights(ops, 'globex', 0, 100);
    const flipped = { acme: 'control', globex: 'green' };
    for (const tenant of ['acme', 'globex', 'acme', 'globex']) {
      await app.tenant(tenant, async () => {
        assert.equal((await app.assign(tenant, `node-warm-${RUN}`)).variant, flipped[tenant],
          'the committed weights, not the cached ones');
        const sticky = await app.assign(tenant, unit);
        assert.deepEqual([sticky.variant, sticky.reason], [VARIANT[tenant], 'sticky']);
        const enrolled = await app.one('enrol', ENROL, [EXPERIMENT, unit]);
        assert.deepEqual([enrolled.variant, enrolled.reason], [VARIANT[tenant], 'sticky']);
      });
    }
  });

  // A batch published in a tenant's transaction is stored in that tenant
  // (the superuser reads it back), and in no other.
  test('a published batch is stored in its tenant', async () => {
    const unit = `node-publish-${RUN}`;
    for (const tenant of ['acme', 'globex']) {
      await app.tenant(tenant, async () => {
        const a = await app.assign(tenant, unit);
        const { answer } = await app.one('publish', PUBLISH, [JSON.stringify(batch(unit, Number(a.experiment_id), a.ordinal))]);
        assert.deepEqual([answer.ok, answer.errors], [true, []], JSON.stringify(answer));
      });
    }
    const su = await superuser();
    try {
      for (const tenant of ['acme', 'globex']) {
        const { rows } = await su.query(`
          SELECT (SELECT count(*) FROM experiments.exposures x JOIN experiments.variants v
                    ON v.experiment_id = x.experiment_id AND v.ordinal = x.ordinal
                  WHERE x.tenant_id = $1 AND x.unit = $2 AND v.key = $3)::int AS exposures,
                 (SELECT count(*) FROM experiments.goal_events
                  WHERE tenant_id = $1 AND unit = $2 AND goal = 'checkout')::int AS goals,
                 (SELECT count(*) FROM experiments.goal_events
                  WHERE tenant_id <> $1 AND unit = $2)::int AS other_goals`,
        [TENANTS[tenant].id, unit, VARIANT[tenant]]);
        assert.deepEqual(rows[0], { exposures: 1, goals: 1, other_goals: 1 }, tenant);
      }
    } finally {
      await su.end();
    }
  });

  // The tenant ends with the transaction that authenticated, committed or
  // rolled back: a later statement without authenticate() has none.
  test('no tenant without authenticate()', async () => {
    await app.tenant('acme', async () => { await app.assign('acme', `node-before-${RUN}`); });
    await rejectsNoTenant(transaction(app.client, async () => {
      assert.equal((await app.one('state', STATE)).tenant, null);
      await app.one('assign', ASSIGN, [EXPERIMENT, `node-none-${RUN}`]);
    }));
    await rejectsNoTenant(app.one('assign', ASSIGN, [EXPERIMENT, `node-none-${RUN}`])); // autocommit
    await transaction(app.client, async () => {
      await app.one('authenticate', AUTHENTICATE, [TENANTS.globex.key]);
    }, { rollback: true });
    await rejectsNoTenant(transaction(app.client, async () => {
      assert.equal((await app.one('state', STATE)).tenant, null);
      await app.one('assign', ASSIGN, [EXPERIMENT, `node-none-${RUN}`]);
    }));
    await rejectsNoTenant(transaction(app.client, async () => {
      await app.one('publish', PUBLISH, [JSON.stringify(batch(`node-none-${RUN}`, 1, 0))]);
    }));
  });
}

// Waits until drivers.sh says go, so that both clients' transactions interleave.
async function awaitBarrier() {
  fs.writeFileSync(path.join(ENV.DRIVERS_BARRIER, 'node.ready'), '');
  const deadline = Date.now() + 30000;
  while (!fs.existsSync(path.join(ENV.DRIVERS_BARRIER, 'go'))) {
    if (Date.now() > deadline) throw new Error('drivers.sh never said go');
    await new Promise((resolve) => { setTimeout(resolve, 10); });
  }
}

// Through pgbouncer (pool_mode = transaction, one server connection),
// concurrently with the Python client, which uses the other tenant.
function pooledTests() {
  // Many short transactions on a server connection the other client uses
  // between them: each must start clean (no tenant, the login's role, no
  // request settings) and see its own tenant's answers once authenticated.
  test('transactions share one server connection without leaking', async () => {
    const own = ENV.DRIVERS_TENANT;
    const user = ENV.DRIVERS_APP_USER;
    // Named statements are prepared on one server connection, and pgbouncer
    // 1.18 in transaction mode may run the next transaction on another: so
    // unnamed statements here (prepare=false), still sent with parameters
    // through the extended protocol (Parse/Bind/Execute), which works.
    const app = new App(await login(user, ENV.DRIVERS_APP_PASSWORD), false);
    const pids = new Set();
    const starts = [];
    await awaitBarrier();
    try {
      const count = Number(ENV.DRIVERS_TRANSACTIONS || 300);
      for (let i = 0; i < count; i++) {
        starts.push(performance.timeOrigin + performance.now());
        const work = transaction(app.client, async () => {
          const state = await app.one('state', STATE);
          pids.add(state.pid);
          assert.deepEqual([state.tenant, state.user, state.role], [null, user, 'none'], `transaction ${i}`);
          assert.ok(state.headers === null || state.headers === '', `transaction ${i} sees request.headers ${state.headers}`);
          if (i % 10 === 9) {
            await app.one('assign', ASSIGN, [EXPERIMENT, `node-pooled-${i}`]);
            assert.fail(`transaction ${i} assigned without authenticate()`);
          }
          assert.equal((await app.one('authenticate', AUTHENTICATE, [TENANTS[own].key])).role, 'experiments_client');
          assert.equal((await app.assign(own, `node-pooled-${i}`)).variant, VARIANT[own]);
          if (i % 7 === 0) {
            assert.equal((await app.one('enrol', ENROL, [EXPERIMENT, `node-pooled-${RUN}`])).variant, VARIANT[own]);
          }
          await app.one('headers', SET_HEADERS, [JSON.stringify({ 'x-api-key': TENANTS[own].key, client: 'node' })]);
          if (i % 2) {
            await app.client.query('SET LOCAL ROLE experiments_client');
            const state2 = await app.one('state', STATE);
            assert.deepEqual([state2.user, state2.role], ['experiments_client', 'experiments_client']);
          }
          if (i % 5 === 0) await app.one('fail', 'SELECT 1 / 0'); // ends in a rollback instead of a commit
        });
        if (i % 10 === 9) {
          await rejectsNoTenant(work);
        } else if (i % 5 === 0) {
          await assert.rejects(work, { code: '22012' });
        } else {
          await work;
        }
      }
    } finally {
      await app.client.end();
    }
    fs.writeFileSync(ENV.DRIVERS_REPORT, JSON.stringify({ client: 'node', pids: [...pids], starts }));
  });
}

const mode = ENV.DRIVERS_MODE || 'direct';
describe(`node-postgres ${require('pg/package.json').version}, mode ${mode}`, mode === 'pooled' ? pooledTests : directTests);
