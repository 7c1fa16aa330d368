#!/usr/bin/env node
import { runEntry } from './runtime.js';

await runEntry('../src/cli/main.ts');
