#!/bin/sh
# Removes the links the post-install made.
rm -f '/usr/bin/${executable}' /usr/bin/berth /usr/bin/docker-credential-berth
