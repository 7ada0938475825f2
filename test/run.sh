#!/usr/bin/env bash
# Runs the compiled test suite (or the given compiled test files) with a private keychain.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find dist/test -name '*.test.js' | sort); fi
exec bash test/with-keyring.sh node --test --test-concurrency=2 --test-timeout=300000 "${files[@]}"
