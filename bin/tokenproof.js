#!/usr/bin/env node
// Entry point for `npx tokenproof` / an installed bin: Node >= 24 runs the TypeScript sources directly.
import { main } from '../harness/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
