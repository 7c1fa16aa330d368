#!/usr/bin/env node
import { runEntry } from './runtime.js';

await runEntry('../src/agent/main.ts');
