#!/usr/bin/env node
import '../dist/cli/docker-credential-berth.js';
