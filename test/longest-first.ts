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
  // session 16's full run (load 6.5-13, every file about twice its quiet time, halved here): each
  // file's time from its first hook to its last, so a long set-up counts (discovery's, groups');
  // nat-traversal runs its scenarios at once: about its longest one
  'test/nat/nat-traversal.test.ts': 41,
  'test/cli/demo.test.ts': 36,
  'test/node/mesh-recovery.test.ts': 27,
  'test/node/discovery.test.ts': 25,
  'test/node/groups.test.ts': 24,
  'test/node/notify.test.ts': 20,
  'test/node/devices/contact-sync.test.ts': 17,
  'test/node/chat.test.ts': 16,
  'test/cli/client-pty.test.ts': 16,
  'test/node/groups/devices.test.ts': 16,
  'test/cli/cli.test.ts': 15,
  'test/node/adversarial/held.test.ts': 15,
  'test/node/groups-crash.test.ts': 14,
  'test/node/client-api.test.ts': 14,
  'test/cli/subcommands.test.ts': 14,
  'test/node/backup.test.ts': 14,
  'test/node/contacts.test.ts': 14,
  'test/protocol/category-reader.test.ts': 13,
  'test/node/xmpp/rooms.test.ts': 12,
  'test/node/adversarial/reach.test.ts': 11,
  'test/node/adversarial/requests.test.ts': 11,
  'test/node/chat-crash.test.ts': 11,
  'test/node/discovery-mdns.test.ts': 11,
  'test/node/adversarial/goodbye.test.ts': 11,
  'test/node/privacy-adversarial.test.ts': 10,
  'test/node/enhanced-presence.test.ts': 10,
  'test/node/devices/conversations.test.ts': 10,
  'test/node/xmpp/endpoint.test.ts': 9,
  'test/bench/fuzz.test.ts': 9,
  'test/node/devices/devices.test.ts': 8,
  'test/protocol/item-reader.test.ts': 8,
  'test/node/presence/expiry.test.ts': 8,
  'test/node/xmpp/fuzz.test.ts': 8,
  'test/protocol/devices.test.ts': 7,
  'test/node/crash.test.ts': 7,
  'test/node/presence/categories.test.ts': 7,
  'test/node/connection-gater.test.ts': 7,
  'test/node/contacts-locator.test.ts': 7,
  'test/cli/readme.test.ts': 6,
  'test/node/presence-state.test.ts': 6,
  'test/node/presence.test.ts': 6,
  'test/protocol/presence-composition.test.ts': 6,
  'test/cli/xmpp-cli.test.ts': 6,
  'test/node/signals.test.ts': 5,
  'test/protocol/group-log.test.ts': 5,
  'test/cli/interactive-pty.test.ts': 5,
  'test/node/instance/duplicate.test.ts': 5,
  'test/cli/contact-code.test.ts': 5,
  'test/node/adversarial/mdns.test.ts': 5,
  'test/node/locator/locator-service.test.ts': 5,
  'test/node/contact-codes.test.ts': 5,
  'test/node/adversarial/mesh.test.ts': 5
}

export class LongestFirst extends BaseSequencer {
  override async sort (files: TestSpecification[]): Promise<TestSpecification[]> {
    const seconds = (f: TestSpecification): number => SECONDS[path.relative(f.project.config.root, f.moduleId).split(path.sep).join('/')] ?? 0
    // Array.prototype.sort is stable: files outside the table keep vitest's order
    return (await super.sort(files)).sort((a, b) => seconds(b) - seconds(a))
  }
}
