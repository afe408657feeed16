#!/usr/bin/env node
// Entry point for `npx tokenproof` / an installed bin: Node >= 24 runs the TypeScript sources directly.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
