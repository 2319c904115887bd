#!/usr/bin/env bash
# One entry point for the README's commands. On a fresh machine (Node 20, no pnpm) it installs
# pnpm 12 from the npm registry into .tools/ (no corepack), installs the workspace — which
# brings Node 22 as a root devDependency, so every package script runs on Node 22 — and, for
# the tests, Debian's Chromium for the viewer's browser test. Then it runs the task.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PWD/node_modules/.bin:$PATH"
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 DO_NOT_TRACK=1
PNPM_VERSION=12.21.0

step() { printf '\n› %s\n' "$*" >&2; }

if ! pnpm --version 2>/dev/null | grep -qx "$PNPM_VERSION"; then
  step "installing pnpm $PNPM_VERSION into .tools/"
  npm install --silent --no-audit --no-fund --prefix .tools "pnpm@$PNPM_VERSION" >/dev/null
fi

step "pnpm install (Node 22 comes in as a devDependency)"
mkdir -p .tools
if ! pnpm install --frozen-lockfile --reporter=append-only >.tools/install.log 2>&1; then
  cat .tools/install.log >&2
  echo "pnpm install failed (log above)" >&2
  exit 1
fi
echo "  node $(node --version), pnpm $(pnpm --version)" >&2

# Debian's chromium for the viewer's browser tests, and firefox-esr for core's Web Worker test
# (Firefox, unlike Chromium, sends a User-Agent given to fetch, which a CORS preflight then asks for).
ensure_browsers() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing Debian's ${missing[*]} for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >.tools/apt.log 2>&1 ||
      { tail -20 .tools/apt.log >&2; echo "${missing[*]} install failed" >&2; return 1; }
  else
    echo "  ${missing[*]} missing and apt-get is not usable here: install Debian's ${missing[*]}" >&2
    return 1
  fi
}

build() { step "build"; turbo run build --output-logs=errors-only; }

# Node 22's AsyncLocalStorage runs on promise hooks that slow every promise in the process once it
# is used (measured here: about +1.2 ms on an AI SDK streaming request with tracing on). Node 24
# made AsyncContextFrame the default; Node 22 has it behind a flag. The demo, benchmarks and
# reliability figures run the way the README advises users to run; tests run Node's default.
fast_async_context() {
  export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--experimental-async-context-frame"
  echo "  NODE_OPTIONS=$NODE_OPTIONS" >&2
}

task="${1:-test}"
shift || true
case "$task" in
  test)
    ensure_browsers
    build
    step "format and lint (biome)"
    biome ci .
    step "typecheck and package lint (publint, attw)"
    turbo run typecheck lint --output-logs=errors-only "$@"
    step "tests"
    find . -path ./node_modules -prune -o -name vitest.json -path '*test-results*' -print | xargs rm -f
    status=0
    turbo run test --output-logs=errors-only --concurrency=1 --continue "$@" -- \
      --reporter=dot --reporter=json --outputFile.json=test-results/vitest.json || status=$?
    node scripts/test-summary.mjs
    exit $status
    ;;
  demo)
    build
    fast_async_context
    pnpm --filter @tokentrail/cli run demo "$@"
    ;;
  reliability)
    ensure_browsers
    build
    fast_async_context
    step "reliability suite, full size (faults, load, bad input, security; figures table at the end)"
    pnpm --filter @tokentrail/reliability run reliability "$@"
    ;;
  bench)
    build
    fast_async_context
    turbo run bench --concurrency=1 --output-logs=full "$@"
    ;;
  *)
    pnpm "$task" "$@"
    ;;
esac
