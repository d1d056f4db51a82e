#!/usr/bin/env node
/** The presence-mesh command (cli/program.ts). */
import { tuneV8ForNode } from './v8-tiering.js'

// before the product's modules are evaluated: a function's budget is set when it is made
tuneV8ForNode()
const { runCli } = await import('./program.js')

process.exitCode = await runCli(process.argv)
