#!/usr/bin/env node
import '../dist/cli/berth.js';
