#!/bin/sh
# Removes the links the post-install made (under $DPKG_ROOT, as there).
rm -f "$DPKG_ROOT"'/usr/bin/${executable}' "$DPKG_ROOT/usr/bin/berth" "$DPKG_ROOT/usr/bin/docker-credential-berth"
