#!/usr/bin/env bash
# Runs the compiled test suite inside a private D-Bus session with an unlocked gnome-keyring,
# so tests use a real OS keychain without touching the user's own.
set -euo pipefail
cd "$(dirname "$0")/.."

strict=${BERTH_TEST_STRICT:-}
[ "${CI:-}" = "true" ] && strict=1

if [ -z "${BERTH_TEST_KEYRING:-}" ]; then
  if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
    exec dbus-run-session -- bash -c '
      set -euo pipefail
      export HOME=$(mktemp -d) XDG_DATA_HOME= XDG_RUNTIME_DIR=
      echo -n berth-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      BERTH_TEST_KEYRING=1 exec bash "$0" "$@"' "$0" "$@"
  elif [ -n "$strict" ]; then
    echo "test/run.sh: dbus-run-session and gnome-keyring-daemon are required (apt-get install dbus gnome-keyring)" >&2
    exit 1
  else
    echo "test/run.sh: no gnome-keyring; tests that need the OS keychain will be skipped" >&2
  fi
fi

if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find dist/test -name '*.test.js' | sort); fi
exec node --test --test-concurrency=2 --test-timeout=300000 "${files[@]}"
