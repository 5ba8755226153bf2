#!/usr/bin/env bash
# Runs every FlowEngine test. Installs what the tests need first: Debian packages when run as root
# (servers the integration tests start themselves, a browser for the editor tests) and npm packages.
# Used as-is by CI (.ci/run) and by the README's quick start.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*"; }

# Debian packages the integration and browser tests start on loopback. Installed only when missing.
APT_PACKAGES=()
if [ -f tests/apt-packages.txt ]; then
  mapfile -t APT_PACKAGES < <(grep -vE '^\s*(#|$)' tests/apt-packages.txt)
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "missing Debian packages (run as root to install them): ${missing[*]}; tests that need them will fail"
  fi
fi

# npm packages for the browser tests and the editor build.
if [ -f package.json ] && grep -q '"dependencies"\|"devDependencies"' package.json; then
  if [ ! -d node_modules ] || [ package.json -nt node_modules ]; then
    log "installing npm packages"
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  fi
fi

log "building"
dotnet build FlowEngine.sln -nologo -v quiet -clp:ErrorsOnly

log "running tests"
results=$(mktemp -d)
set +e
dotnet test FlowEngine.sln --no-build -nologo -v quiet --logger "console;verbosity=minimal" --results-directory "$results" 2>&1 | tee "$results/out.txt"
status=${PIPESTATUS[0]}
set -e

# One plain summary line for CI: the sum over every test assembly.
passed=$(grep -oE 'Passed: +[0-9]+' "$results/out.txt" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$results/out.txt" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$results/out.txt" | awk '{s+=$2} END {print s+0}')
rm -rf "$results"
echo "dotnet: ${passed} passed, ${failed} failed, ${skipped} skipped"
overall=0
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  overall=1
fi

# Browser tests of the editor (headless Chromium through playwright-core), when the editor and Chromium are there.
if grep -q '"test:e2e"' package.json && [ -d tests/e2e ]; then
  if command -v chromium >/dev/null || [ -x /usr/bin/chromium ]; then
    log "running browser tests"
    if ! npm run --silent test:e2e; then overall=1; fi
  else
    log "chromium is not installed (run as root to install it): browser tests not run"
    overall=1
  fi
fi
exit "$overall"
