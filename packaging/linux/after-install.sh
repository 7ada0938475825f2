#!/bin/sh
# The deb's post-install: the app on PATH as berth-app, and the CLI and the docker credential helper as berth and
# docker-credential-berth, so docker finds the helper when config.json names it.
set -e
app='/opt/${sanitizedProductName}'
ln -sf "$app/${executable}" '/usr/bin/${executable}'
ln -sf "$app/resources/bin/berth" /usr/bin/berth
ln -sf "$app/resources/bin/docker-credential-berth" /usr/bin/docker-credential-berth
# Chromium's sandbox helper must be setuid root where user namespaces are off.
chmod 4755 "$app/chrome-sandbox" || true
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database /usr/share/applications || true; fi
