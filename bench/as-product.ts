/**
 * Imported first (after the polyfill) by a benchmark child: a child whose
 * role (its first argument) runs presence-mesh nodes sets its process up as
 * the presence-mesh command does (cli/main.ts, cli/v8-tiering.ts) before the
 * product's modules are evaluated, so the benchmark measures what a user
 * runs. Baseline roles (XMPP clients, a bare libp2p node) are left as node
 * starts them.
 */
import { tuneV8ForNode } from '../cli/v8-tiering.js'

/** The roles of bench/direct-child.ts and bench/scale-child.ts that run presence-mesh nodes. */
const PRODUCT_ROLES = new Set(['mesh-presentity', 'mesh-watchers', 'measured', 'online'])

if (PRODUCT_ROLES.has(process.argv[2] ?? '')) tuneV8ForNode()
