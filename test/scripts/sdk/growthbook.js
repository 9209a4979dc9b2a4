// GrowthBook's JavaScript SDK given the features payload of
// experiments.growthbook_features() (run by test/scripts/sdk_growthbook.sh).
//
//   node growthbook.js FEATURES_JSON ANSWERS_TSV
//
// ANSWERS_TSV: unit, experiment, assign()'s ordinal (\N: none), one line
// each. Every unit's feature value (the variant's ordinal, or null when the
// SDK puts it in no variation) is compared with assign()'s ordinal. Prints
// the counts; exits 1 on a disagreement.
'use strict';
const fs = require('fs');
const { GrowthBookClient } = require('@growthbook/growthbook');

const [featuresFile, answersFile] = process.argv.slice(2);
const payload = JSON.parse(fs.readFileSync(featuresFile, 'utf8'));
const client = new GrowthBookClient().initSync({ payload });
let checked = 0;
let disagreements = 0;
let inVariant = 0;
for (const line of fs.readFileSync(answersFile, 'utf8').split('\n')) {
	if (line === '') continue;
	const [unit, experiment, ordinal] = line.split('\t');
	const value = client.evalFeature(experiment, { attributes: { id: unit } }).value;
	const expected = ordinal === '\\N' ? null : Number(ordinal);
	checked++;
	if (value !== null) inVariant++;
	if (value !== expected) {
		if (disagreements < 10) console.error('disagreement', JSON.stringify(unit), experiment, value, expected);
		disagreements++;
	}
}
console.log(`evaluations ${checked}`);
console.log(`in_a_variant ${inVariant}`);
console.log(`disagreements ${disagreements}`);
process.exit(disagreements === 0 && inVariant > 0 && inVariant < checked ? 0 : 1);
