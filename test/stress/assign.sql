-- stress: assignment only, of one experiment and of all
\set u random(1, 6000)
SELECT * FROM experiments.assign('stress_exp', 'unit-' || :u);
SELECT count(*) FROM experiments.assign_all('unit-' || :u);
