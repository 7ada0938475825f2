#!/usr/bin/env bash
# npm run mutation [part ...]: one StrykerJS run per part of the core (stryker.config.mjs), each with its own tests and
# report in reports/mutation/; all parts unless some are named.
set -euo pipefail
cd "$(dirname "$0")/../.."
parts=("$@")
[ "${#parts[@]}" -gt 0 ] || parts=(credentials registry-lock keep-alive token-service pull-check)
for part in "${parts[@]}"; do
  echo "== mutation testing: $part"
  BERTH_MUTATION_PART=$part stryker run
done
