/**
 * The order test files start in (vitest.config.ts `sequence.sequencer`): the
 * longest first, so that no long file starts last while the other worker
 * sits idle. vitest's own order does this only where it has a cache of the
 * last run's durations; a fresh clone (CI) has none and would start files by
 * size. The table holds the files that take more than about 5 s (seconds,
 * as the default reporter prints them for a run on 2 cores); the rest keep vitest's
 * order after them. Keep it roughly current when a file gets much slower or
 * faster: an outdated entry costs only time, never a result.
 */
import path from 'node:path'
import { BaseSequencer } from 'vitest/node'
import type { TestSpecification } from 'vitest/node'

const SECONDS: Record<string, number> = {
  'test/nat/nat-traversal.test.ts': 48,
  // its eight scenarios run at once: about its longest one
  'test/cli/client-pty.test.ts': 20,
  'test/node/mesh-recovery.test.ts': 31,
  'test/cli/demo.test.ts': 32,
  'test/node/discovery-mdns.test.ts': 4,
  'test/node/devices/contact-sync.test.ts': 22,
  'test/node/notify.test.ts': 21,
  'test/node/chat-crash.test.ts': 20,
  'test/cli/cli.test.ts': 20,
  'test/cli/xmpp-cli.test.ts': 19,
  'test/node/contacts.test.ts': 17,
  'test/node/privacy-adversarial.test.ts': 15,
  'test/node/chat.test.ts': 12,
  'test/node/devices/conversations.test.ts': 15,
  'test/node/devices/devices.test.ts': 13,
  'test/node/discovery.test.ts': 13,
  'test/node/adversarial/reach.test.ts': 13,
  'test/node/client-api.test.ts': 11,
  'test/node/adversarial/goodbye.test.ts': 11,
  'test/cli/interactive-pty.test.ts': 10,
  'test/node/xmpp/endpoint.test.ts': 9,
  'test/node/presence/expiry.test.ts': 9,
  'test/node/contacts-locator.test.ts': 9,
  'test/node/connection-gater.test.ts': 9,
  'test/node/groups.test.ts': 8,
  'test/node/groups-crash.test.ts': 8,
  'test/node/crash.test.ts': 8,
  'test/node/adversarial/probe.test.ts': 8,
  'test/node/adversarial/mesh.test.ts': 7,
  'test/cli/subcommands.test.ts': 7,
  'test/cli/duplicate-cli.test.ts': 7,
  'test/node/discovery/follow-link.test.ts': 6,
  'test/node/contact-codes.test.ts': 6,
  'test/node/adversarial/requests.test.ts': 6,
  'test/node/adversarial/held.test.ts': 5,
  'test/cli/contact-code.test.ts': 6,
  'test/node/reach/intake-publish.test.ts': 5,
  'test/node/pubsub-streams.test.ts': 5,
  'test/node/presence.test.ts': 5,
  'test/cli/readme.test.ts': 5,
  // files over about 5 s missing from the table (most of them unit files): started last, they alone
  // ran at the end of a run while the other workers sat idle
  'test/node/lean-transport.test.ts': 12,
  'test/node/signals.test.ts': 10,
  'test/bench/fuzz.test.ts': 10,
  'test/node/presence/service-lifecycle.test.ts': 7,
  'test/node/backup.test.ts': 6,
  'test/node/groups/devices.test.ts': 5
}

export class LongestFirst extends BaseSequencer {
  override async sort (files: TestSpecification[]): Promise<TestSpecification[]> {
    const seconds = (f: TestSpecification): number => SECONDS[path.relative(f.project.config.root, f.moduleId).split(path.sep).join('/')] ?? 0
    // Array.prototype.sort is stable: files outside the table keep vitest's order
    return (await super.sort(files)).sort((a, b) => seconds(b) - seconds(a))
  }
}
