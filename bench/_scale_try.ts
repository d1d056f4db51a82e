import '/work/wt-direct/node/polyfill.js'
import { benchScale } from '/work/wt-direct/bench/scale.js'
const rows = await benchScale({ contacts: [Number(process.argv[2] ?? 100)], idleMs: 5000, settleMs: 2000 })
console.log(JSON.stringify(rows, null, 1))
process.exit(0)
