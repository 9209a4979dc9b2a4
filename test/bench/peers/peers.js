// Assigns the same distinct ids with the assignment path of each peer SDK, one
// thread, and prints one line per SDK: name, version, best seconds, all runs.
//
//   node --single-threaded peers.js IDS RUNS
//
// Every SDK is configured locally with the experiment of test/bench/peers.sh
// (4 even variants, all traffic), never reaches a network, and is set up
// before the clock starts: only the assignment calls are timed. The ids are
// 'user-1' .. 'user-IDS', as in the extension's table. Each SDK first runs
// once over all ids untimed (warm-up), then RUNS timed passes.
'use strict';

const VARIANTS = ['a', 'b', 'c', 'd'];
const EXPERIMENT = 'bench';

// GrowthBook: runInlineExperiment of the multi-user server client.
function growthbook() {
	const { GrowthBookClient } = require('@growthbook/growthbook');
	const client = new GrowthBookClient().initSync({ payload: { features: {} } });
	const experiment = { key: EXPERIMENT, variations: VARIANTS, weights: [0.25, 0.25, 0.25, 0.25], coverage: 1 };

	return (id) => client.runInlineExperiment(experiment, { attributes: { id } }).value;
}

// Unleash: getVariant of a flexible rollout toggle with strategy variants,
// bootstrapped from memory; no polling, no metrics, no backup file.
async function unleash() {
	const { Unleash, InMemStorageProvider } = require('unleash-client');
	const client = new Unleash({
		appName: 'bench',
		url: 'http://127.0.0.1:9/api/',	/* required, never contacted: refreshInterval 0 */
		refreshInterval: 0,
		disableMetrics: true,
		storageProvider: new InMemStorageProvider(),
		bootstrap: {
			data: [{
				name: EXPERIMENT,
				type: 'experiment',
				enabled: true,
				project: 'default',
				strategies: [{
					name: 'flexibleRollout',
					parameters: { rollout: '100', stickiness: 'default', groupId: EXPERIMENT },
					constraints: [],
					variants: VARIANTS.map((name) => ({ name, weight: 250, weightType: 'variable', stickiness: 'default' })),
				}],
			}],
		},
	});

	await new Promise((resolve, reject) => {
		client.once('ready', resolve);
		client.once('error', reject);
	});
	return {
		assign: (id) => client.getVariant(EXPERIMENT, { userId: id }).name,
		close: () => client.destroy(),
	};
}

// ABsmartly: a context per unit from context data supplied in memory, and
// peek (assignment without queueing an exposure). A context is the SDK's
// per-user object, so creating it is part of assigning a new id.
function absmartly() {
	const { SDK } = require('@absmartly/javascript-sdk');
	const sdk = new SDK({ endpoint: 'http://127.0.0.1:9/v1', apiKey: 'bench', environment: 'bench', application: 'bench' });
	const data = {
		experiments: [{
			id: 1,
			name: EXPERIMENT,
			unitType: 'user_id',
			iteration: 1,
			seedHi: 3603515,
			seedLo: 233373850,
			split: [0.25, 0.25, 0.25, 0.25],
			trafficSeedHi: 449867249,
			trafficSeedLo: 455443629,
			trafficSplit: [0, 1],
			fullOnVariant: 0,
			applications: [{ name: 'bench' }],
			variants: VARIANTS.map((name) => ({ name, config: null })),
			audienceStrict: false,
			audience: null,
		}],
	};
	/* publishDelay -1: nothing is ever sent (peek queues nothing anyway) */
	const options = { publishDelay: -1, refreshPeriod: 0 };

	return (id) => VARIANTS[sdk.createContextWith({ units: { user_id: id } }, data, options).peek(EXPERIMENT)];
}

// One pass over all ids; the variant counts keep the work observable.
function pass(assign, ids) {
	const counts = new Map();
	const started = process.hrtime.bigint();

	for (let i = 0; i < ids.length; i++) {
		const v = assign(ids[i]);
		counts.set(v, (counts.get(v) || 0) + 1);
	}
	return { seconds: Number(process.hrtime.bigint() - started) / 1e9, counts };
}

async function main() {
	const n = Number(process.argv[2] || 1000000);
	const runs = Number(process.argv[3] || 5);
	const ids = Array.from({ length: n }, (_, i) => 'user-' + (i + 1));
	const version = (name) => require(name + '/package.json').version;
	const u = await unleash();
	const peers = [
		['GrowthBook runInlineExperiment', '@growthbook/growthbook', growthbook()],
		['Unleash getVariant', 'unleash-client', u.assign],
		['ABsmartly context peek', '@absmartly/javascript-sdk', absmartly()],
	];

	for (const [name, pkg, assign] of peers) {
		const warm = pass(assign, ids);
		const times = [];

		for (const variant of VARIANTS)
			if (!(warm.counts.get(variant) > n / 8))
				throw new Error(`${name}: variant ${variant} got ${warm.counts.get(variant) || 0} of ${n} ids`);
		for (let r = 0; r < runs; r++)
			times.push(pass(assign, ids).seconds);
		console.log([name, pkg + '@' + version(pkg), Math.min(...times), times.map((t) => t.toFixed(3)).join(' ')].join('\t'));
	}
	u.close();
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
