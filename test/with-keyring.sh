#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring and a throw-away HOME,
# so tests and benchmarks use a real OS keychain without touching the user's own.
set -euo pipefail

if [ -n "${BERTH_TEST_KEYRING:-}" ]; then exec "$@"; fi

strict=${BERTH_TEST_STRICT:-}
[ "${CI:-}" = "true" ] && strict=1

if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  exec dbus-run-session -- bash -c '
    set -euo pipefail
    export HOME=$(mktemp -d) XDG_DATA_HOME= XDG_RUNTIME_DIR=
    echo -n berth-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    BERTH_TEST_KEYRING=1 exec "$@"' bash "$@"
elif [ -n "$strict" ]; then
  echo "with-keyring: dbus-run-session and gnome-keyring-daemon are required (apt-get install dbus gnome-keyring)" >&2
  exit 1
else
  echo "with-keyring: no gnome-keyring; tests that need the OS keychain will be skipped" >&2
  exec "$@"
fi
