#!/usr/bin/env node
/** The presence-mesh command (cli/program.ts). */
import { runCli } from './program.js'

process.exitCode = await runCli(process.argv)
