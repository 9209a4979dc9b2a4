-- Row-level security keeps tenants apart for every role that is not a
-- superuser; superusers bypass it. The ordinary role here is an operator as
-- the README has users create one (regress_ops, a member of
-- experiments_admin: it reads every table but the keys and writes the
-- catalog); the superuser makes the fixtures of two tenants.
\i sql/helpers/logins.sql
SELECT experiments.create_tenant('tenancy_a') AS tenant_a \gset
SELECT experiments.create_tenant('tenancy_b') AS tenant_b \gset

-- Each tenant gets an experiment with a variant, an override and an enrolment.
SET experiments.tenant = :'tenant_a';
SELECT key FROM experiments.create_experiment('shared-key', '[{"key": "a", "allocation": 100}]', start => true);
SELECT variant FROM experiments.set_override('shared-key', 'qa', 'a') o, experiments.assign('shared-key', 'u1');
SELECT variant FROM experiments.enrol('shared-key', 'u1');
INSERT INTO experiments.layers (key) VALUES ('layer-a');
SET experiments.tenant = :'tenant_b';
SELECT key FROM experiments.create_experiment('shared-key', '[{"key": "b", "allocation": 100}]', start => true);
SELECT variant FROM experiments.enrol('shared-key', 'u1');

-- As an ordinary role acting for tenant A: only A's rows, in every table.
SET experiments.tenant = :'tenant_a';
SET SESSION AUTHORIZATION regress_ops;
SELECT 'tenants' AS t, count(*) FROM experiments.tenants
UNION ALL SELECT 'experiments', count(*) FROM experiments.experiments
UNION ALL SELECT 'variants', count(*) FROM experiments.variants
UNION ALL SELECT 'overrides', count(*) FROM experiments.overrides
UNION ALL SELECT 'enrolments', count(*) FROM experiments.enrolments
UNION ALL SELECT 'layers', count(*) FROM experiments.layers;
SELECT e.key, v.key AS variant FROM experiments.experiments e JOIN experiments.variants v ON v.experiment_id = e.id;
SELECT variant, reason FROM experiments.assign('shared-key', 'u1');
SELECT experiment, variant FROM experiments.assign_all('u1');

-- It can neither write rows for tenant B nor change B's rows.
SELECT regress.attempt(format('INSERT INTO experiments.experiments (tenant_id, key) VALUES (%L, %L)', :'tenant_b', 'smuggled'));
SELECT regress.attempt($$UPDATE experiments.experiments SET name = 'mine' WHERE key = 'shared-key'$$);
RESET SESSION AUTHORIZATION;
SELECT (SELECT name FROM experiments.experiments WHERE tenant_id = :'tenant_a' AND key = 'shared-key') AS a_name,
	   (SELECT name FROM experiments.experiments WHERE tenant_id = :'tenant_b' AND key = 'shared-key') AS b_name;

-- It cannot pick another tenant: the setting is for superusers (and the
-- SECURITY DEFINER functions that authenticate), and set_tenant() is not granted.
SET SESSION AUTHORIZATION regress_ops;
SELECT regress.attempt(format('SET experiments.tenant = %L', :'tenant_b'));
SELECT regress.attempt(format('SELECT experiments.set_tenant(%L)', :'tenant_b'));
SELECT regress.attempt($$SELECT experiments.create_tenant('sneaky')$$);
SELECT regress.attempt($$SET experiments.tenant = 'not-a-uuid'$$);
-- Without a tenant, it sees nothing at all.
RESET SESSION AUTHORIZATION;
RESET experiments.tenant;
SET SESSION AUTHORIZATION regress_ops;
SELECT count(*) AS experiments_visible FROM experiments.experiments;
RESET SESSION AUTHORIZATION;
\i sql/helpers/drop_logins.sql
