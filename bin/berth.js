#!/usr/bin/env node
import '../dist/main/cli/berth-main.js';
