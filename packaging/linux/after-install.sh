#!/bin/sh
# The deb's post-install: the app on PATH as berth-app, and the CLI and the docker credential helper as berth and
# docker-credential-berth, so docker finds the helper when config.json names it. Paths are under $DPKG_ROOT, which dpkg
# sets when it installs into another root (--root); the links point where the files are inside that root.
set -e
root="$DPKG_ROOT"
app='/opt/${sanitizedProductName}'
ln -sf "$app/${executable}" "$root"'/usr/bin/${executable}'
ln -sf "$app/resources/bin/berth" "$root/usr/bin/berth"
ln -sf "$app/resources/bin/docker-credential-berth" "$root/usr/bin/docker-credential-berth"
# Chromium's sandbox helper must be setuid root where user namespaces are off (Ubuntu 24.04 restricts them).
chmod 4755 "$root$app/chrome-sandbox" || true
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database "$root/usr/share/applications" || true; fi
