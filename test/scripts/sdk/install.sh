# Sourced by the SDK suites (test/scripts/sdk_*.sh): sdk_install DIR installs
# Node and npm from Debian when missing, then the SDKs at the exact versions
# of test/bench/peers/package-lock.json into DIR (node_modules), with npm's
# cache inside DIR, so that removing DIR leaves nothing behind.
sdk_install() {
	local missing=()
	command -v node >/dev/null || missing+=(nodejs)
	command -v npm >/dev/null || missing+=(npm)
	[ ${#missing[@]} -eq 0 ] || test/deps "${missing[@]}"
	cp test/bench/peers/package.json test/bench/peers/package-lock.json "$1"
	npm ci --prefix "$1" --cache "$1/npm-cache" --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
}
