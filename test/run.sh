#!/usr/bin/env bash
# Runs the compiled test suite (or the given compiled test files). On Linux inside a private D-Bus session with an
# unlocked gnome-keyring (test/with-keyring.sh); macOS and Windows have no D-Bus, so the tests run as they are and those
# needing that keyring are listed as not run (test/rig/components.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find dist/test -name '*.test.js' | sort); fi
case "$(uname -s)" in
  Linux) keyring=(bash test/with-keyring.sh) ;;
  *) keyring=() ;;
esac
# TAP, then the list of what did not run (a suite skipped for a missing component is named, never silently green).
exec ${keyring[@]+"${keyring[@]}"} node --test --test-concurrency=2 --test-timeout=300000 \
  --test-reporter=tap --test-reporter-destination=stdout \
  --test-reporter=./dist/test/not-run-reporter.js --test-reporter-destination=stdout \
  "${files[@]}"
