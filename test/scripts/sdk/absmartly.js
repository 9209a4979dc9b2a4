// ABsmartly's JavaScript SDK as a client of the extension (run by
// test/scripts/sdk_absmartly.sh): its context data is what
// experiments.absmartly_context() returns, its publisher sends to
// POST /rpc/context_batch through the PostgREST harness.
//
//   node absmartly.js CONTEXT_JSON ANSWERS_TSV PUBLISHED
//
// ANSWERS_TSV: unit, experiment, assign()'s ordinal (\N: none) and reason,
// one line each. Every unit's treatment is read with peek() (no exposure)
// and compared with assign()'s: the SDK gives 0 to a unit out of traffic,
// and says so with eligible false. The first PUBLISHED units are also
// exposed through treatment(), achieve a goal, and are published; their
// exposures' eligible flags are compared too. Prints the counts as
// "name value" lines, and "exposed EXPERIMENT VARIANT UNITS" for what it
// published; exits 1 on a disagreement or a refused publish.
'use strict';
const fs = require('fs');
const { SDK } = require('@absmartly/javascript-sdk');

const [contextFile, answersFile, publishedArg] = process.argv.slice(2);
const data = JSON.parse(fs.readFileSync(contextFile, 'utf8'));
const published = Number(publishedArg);
const url = process.env.PGRST_URL + '/rpc/context_batch';
const headers = { 'Content-Type': 'application/json', 'X-API-Key': process.env.SDK_CLIENT_KEY };

// unit -> Map(experiment -> {ordinal, reason})
const answers = new Map();
for (const line of fs.readFileSync(answersFile, 'utf8').split('\n')) {
	if (line === '') continue;
	const [unit, experiment, ordinal, reason] = line.split('\t');
	if (!answers.has(unit)) answers.set(unit, new Map());
	answers.get(unit).set(experiment, { ordinal: ordinal === '\\N' ? null : Number(ordinal), reason });
}

// The batch the SDK's requests go out in: the product's context_batch takes
// {"requests": [...]}, up to 500 requests.
let batch = [];
let refused = 0;
let eligibleDisagreements = 0;
let exposures = 0;
let goals = 0;
const exposed = new Map();	// "experiment variant" -> units the SDK exposed there
async function send() {
	if (batch.length === 0) return;
	const body = JSON.stringify({ requests: batch });
	batch = [];
	const r = await fetch(url, { method: 'POST', headers, body });
	const answer = await r.json();
	if (r.status !== 200 || !answer.ok || answer.errors.length > 0) {
		refused++;
		console.error('context_batch answered', r.status, JSON.stringify(answer).slice(0, 500));
	}
}
const publisher = {
	publish(request) {
		for (const x of request.exposures || []) {
			const k = `${x.name} ${x.variant}`;
			exposed.set(k, (exposed.get(k) || 0) + 1);
			exposures++;
		}
		goals += (request.goals || []).length;
		batch.push(request);
		return batch.length >= 500 ? send() : Promise.resolve();
	},
};
const sdk = new SDK({ endpoint: 'http://127.0.0.1:9/v1', apiKey: 'unused', environment: 'test', application: 'test', publisher });
const options = { publishDelay: -1, refreshPeriod: 0 };
const names = data.experiments.map((e) => e.name);

async function main() {
	let units = 0;
	let checked = 0;
	let disagreements = 0;
	for (const [unit, byExperiment] of answers) {
		const ctx = sdk.createContextWith({ units: { user_id: unit } }, data, options);
		const publish = units < published;
		for (const name of names) {
			const a = byExperiment.get(name);
			const variant = publish ? ctx.treatment(name) : ctx.peek(name);
			checked++;
			if (variant !== (a.ordinal === null ? 0 : a.ordinal)) {
				if (disagreements < 10) console.error('disagreement', JSON.stringify(unit), name, variant, a.ordinal, a.reason);
				disagreements++;
			}
		}
		if (publish) {
			// The exposures' eligible flags: false exactly when assign() says traffic.
			for (const x of ctx._exposures) {
				if (x.eligible !== (byExperiment.get(x.name).reason !== 'traffic')) eligibleDisagreements++;
			}
			ctx.track('purchase', { amount: 10 });
			await ctx.publish();
		}
		units++;
	}
	await send();
	console.log(`units ${units}`);
	console.log(`treatments ${checked}`);
	console.log(`disagreements ${disagreements}`);
	console.log(`published_exposures ${exposures}`);
	console.log(`published_goals ${goals}`);
	console.log(`eligible_disagreements ${eligibleDisagreements}`);
	console.log(`refused_batches ${refused}`);
	for (const [k, n] of [...exposed].sort()) console.log(`exposed ${k} ${n}`);
	process.exit(disagreements === 0 && eligibleDisagreements === 0 && refused === 0 ? 0 : 1);
}
main().catch((e) => { console.error(e); process.exit(1); });
