#!/usr/bin/env node
import '../dist/main/cli/credential-helper-main.js';
