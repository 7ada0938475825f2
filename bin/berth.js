#!/usr/bin/env node
require('../dist/cli/compile-cache.cjs').enableCompileCache();
require('../dist/cli/berth.cjs');
