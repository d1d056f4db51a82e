/**
 * Imported first (after the polyfill) by a benchmark child: every child sets
 * its process up as the presence-mesh command does (cli/main.ts,
 * cli/v8-tiering.ts) before any module of its own is evaluated. The nodes
 * measured run as a user runs them, and the JavaScript of the baselines (the
 * XMPP clients beside Prosody, the bare libp2p node) runs with the same V8
 * settings: a setting that speeds up code run once per change speeds up
 * theirs as well, and the comparison stays one of the code, not of the
 * settings. Prosody (Lua) is not JavaScript and runs as Debian starts it.
 */
import { tuneV8ForNode } from '../cli/v8-tiering.js'

tuneV8ForNode()
