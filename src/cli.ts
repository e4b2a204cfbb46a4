#!/usr/bin/env node
import { processContext } from './cli/context.js';
import { runCli } from './cli/program.js';

process.exitCode = await runCli(process.argv.slice(2), processContext());
