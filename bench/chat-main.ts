/** Runs the chat benchmark alone: npx tsx bench/chat-main.ts */
import '../node/polyfill.js'
import { benchChat } from './chat.js'

const rows = await benchChat()
for (const r of rows) {
  console.log(`${r.name.padEnd(22)} ${r.value.toFixed(3).padStart(10)} ${r.unit.padEnd(7)} | ${r.baseline.padEnd(26)} ${r.baselineValue.toFixed(3).padStart(10)} | ratio ${r.ratio.toFixed(2)}`)
}
console.log(JSON.stringify(rows, null, 2))
