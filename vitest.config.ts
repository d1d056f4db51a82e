import { defineConfig } from 'vitest/config'
import { LongestFirst } from './test/longest-first.js'

/**
 * Unit tests that start no node and no process and leave nothing global
 * behind (spies and fake timers are undone after each test): they share
 * their workers' module cache (isolate: false) instead of importing the
 * project again in a new process per file, about a second less per file.
 * A file that starts nodes or processes, patches a global, or leaves
 * listeners behind belongs in the isolated project: leave it off this list.
 */
const UNITS = [
  'test/protocol/**/*.test.ts',
  'test/bench/fuzz.test.ts',
  'test/bench/group-layout.test.ts',
  'test/cli/cmd-groups.test.ts',
  'test/cli/backlog.test.ts',
  'test/cli/cmd-who.test.ts',
  'test/cli/format.test.ts',
  'test/cli/imports.test.ts',
  'test/cli/safe-text.test.ts',
  'test/cli/terminal.test.ts',
  'test/cli/screen.test.ts',
  'test/cli/cmd-accept.test.ts',
  'test/cli/v8-tiering.test.ts',
  'test/node/devices/contact-sync-retry.test.ts',
  'test/node/groups/invite-retry.test.ts',
  'test/node/groups/device-groups.test.ts',
  'test/node/chat-held-quota.test.ts',
  'test/node/chat-retry-schedule.test.ts',
  'test/node/chat-conversation-log.test.ts',
  'test/node/contacts/admission.test.ts',
  'test/node/contacts/consent.test.ts',
  'test/node/contacts/consent-store.test.ts',
  'test/node/contacts/stop.test.ts',
  'test/node/devices/devices-service.test.ts',
  'test/node/devices/contact-sync-state.test.ts',
  'test/node/discovery/autonat.test.ts',
  'test/node/discovery/bootstrap.test.ts',
  'test/node/discovery/dht-mode.test.ts',
  'test/node/discovery/dht-privacy.test.ts',
  'test/node/discovery/dht-routing-repair.test.ts',
  'test/node/discovery/follow.test.ts',
  'test/node/signals.test.ts',
  'test/node/discovery/mdns-dialer.test.ts',
  'test/node/discovery/neighbour-lookup.test.ts',
  'test/node/discovery/rejoin.test.ts',
  'test/node/discovery/relay-reservations.test.ts',
  'test/node/groups/feeds.test.ts',
  'test/node/groups/unread.test.ts',
  'test/node/groups/own-journal.test.ts',
  'test/node/notify/frame-reader.test.ts',
  'test/node/notify/outlet.test.ts',
  'test/node/pidf.test.ts',
  'test/node/connect.test.ts',
  'test/node/pubsub-stream-open.test.ts',
  'test/node/pubsub-stream-hold-order.test.ts',
  'test/node/presence/categories.test.ts',
  'test/node/presence/goodbye-barrier.test.ts',
  'test/node/presence/pair-peers.test.ts',
  'test/node/presence/dht-records.test.ts',
  'test/node/presence/dht-presence-puts.test.ts',
  'test/node/presence/person-view.test.ts',
  'test/node/presence/watched-people.test.ts',
  'test/node/presence/seq-reservation.test.ts',
  'test/node/presence/service-lifecycle.test.ts',
  'test/node/presence/stores.test.ts',
  'test/node/presence/watch-batch.test.ts',
  'test/node/presence/audience-changes.test.ts',
  'test/node/reach/known-then-record.test.ts',
  'test/node/reach/units.test.ts',
  'test/node/relay-reservation-renewal.test.ts',
  'test/node/roster/roster.test.ts',
  'test/node/store/group-commit.test.ts',
  'test/node/store/records.test.ts',
  'test/node/util/wait.test.ts',
  'test/node/util/open-stream.test.ts',
  'test/node/chat-person-state.test.ts',
  'test/node/chat-revoked-outbox.test.ts',
  'test/node/xmpp/archive.test.ts',
  'test/node/xmpp/devices.test.ts',
  'test/node/xmpp/rooms-rules.test.ts',
  'test/node/xmpp/streams.test.ts',
  'test/node/xmpp/units.test.ts',
  'test/node/lean-transport.test.ts'
]

export default defineConfig({
  test: {
    setupFiles: ['./node/polyfill.ts'],
    // nodes started by tests, CLI children included, never multicast on the host's network
    env: { PRESENCE_MESH_MDNS: 'off' },
    // four files at a time on 2 cores: most of a multi-node test is waiting (records, expiries,
    // retries), and the children run the shared build, not tsx. Measured back to back on one tree
    // (session 5, load 6.5-13): three workers 281 s, four 211 s, both green; generous deadlines.
    fileParallelism: true,
    maxWorkers: 4,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // the longest files first, on a fresh clone too (test/longest-first.ts)
    sequence: { sequencer: LongestFirst },
    watch: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'mesh',
          include: ['test/**/*.test.ts'],
          exclude: UNITS,
          // files share a worker's module cache: importing the node for each of 140 files cost about
          // 100 s of worker time (a third of a run on 2 cores: 185 s isolated, 148-155 s shared);
          // what a file changes on the process (test/node/xmpp/client.ts's tls wrap) must be per process
          isolate: false,
          restoreMocks: true,
          unstubGlobals: true,
          unstubEnvs: true,
          // one transpiled build for every child process the tests start (test/child-build.ts)
          globalSetup: ['./test/global-setup.ts']
        }
      },
      {
        extends: true,
        test: {
          name: 'units',
          include: UNITS,
          isolate: false,
          restoreMocks: true,
          unstubGlobals: true,
          unstubEnvs: true
        }
      }
    ]
  }
})
