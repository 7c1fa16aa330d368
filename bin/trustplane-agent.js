#!/usr/bin/env node
import '../src/agent/main.ts';
