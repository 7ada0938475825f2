#!/usr/bin/env node
require('../dist/cli/quick-start.cjs').runQuickStart('docker-credential-berth');
