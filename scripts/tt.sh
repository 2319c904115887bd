#!/usr/bin/env bash
# One entry point for the README's commands: makes sure pnpm 12 is here (from the npm
# registry, no corepack), installs the workspace (which brings Node 22 as a devDependency,
# so every package script runs on it), then runs the task.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PWD/node_modules/.bin:$PATH"
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 DO_NOT_TRACK=1

if ! pnpm --version 2>/dev/null | grep -qx '12.21.0'; then
  echo "› installing pnpm 12.21.0 into .tools/" >&2
  npm install --silent --no-audit --no-fund --prefix .tools pnpm@12.21.0 >/dev/null
fi
echo "› pnpm install" >&2
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | grep -vE '^(Progress|Packages):' >&2 || true
test -x node_modules/.bin/node || { echo "pnpm install failed" >&2; exit 1; }

task="${1:-test}"
shift || true
case "$task" in
  test)
    pnpm turbo run build --output-logs=errors-only
    pnpm exec biome ci .
    pnpm turbo run typecheck lint test --output-logs=new-on-error --concurrency=1 "$@"
    ;;
  demo) pnpm turbo run build --output-logs=errors-only && pnpm --filter @tokentrail/cli run demo "$@" ;;
  bench) pnpm turbo run build --output-logs=errors-only && pnpm --filter @tokentrail/bench run bench "$@" ;;
  *) pnpm "$task" "$@" ;;
esac
