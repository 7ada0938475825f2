#!/usr/bin/env bash
# Runs the compiled test suite (or the given compiled test files) with a private keychain.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find dist/test -name '*.test.js' | sort); fi
# TAP, then the list of what did not run (a suite skipped for a missing component is named, never silently green).
exec bash test/with-keyring.sh node --test --test-concurrency=2 --test-timeout=300000 \
  --test-reporter=tap --test-reporter-destination=stdout \
  --test-reporter=./dist/test/not-run-reporter.js --test-reporter-destination=stdout \
  "${files[@]}"
