/**
 * The V8 flags Hookline runs with: `npm start` passes them (package.json's start script, checked against
 * this list by a test) and the benchmarks start Hookline with them, so they measure what runs.
 *
 * `--max-semi-space-size=32`: on Node 24, V8 lets each half of the young generation grow to 64 MB (32 MB
 * scaled up for a build without pointer compression, where Node 20 stopped at 16 MB), and it grows it
 * whenever enough objects survive a scavenge, as they do while the start-up replay folds 100,000 webhooks
 * or a burst fans out to a thousand endpoints. Both halves stay committed: 128 MB resident for the young
 * generation alone. Measured in the bench's memory case (100,000 webhooks, 1,000 with traffic): 307–330 MB
 * with Node 24's default, 271–292 MB at 32, 284 at 24, and 239–314 at 16 (a smaller young generation
 * promotes the start-up garbage to the old space, whose freed pages stay resident). 32 also keeps most of
 * the CPU a large young generation saves: fewer scavenges while a backlog is held in memory.
 */
export const nodeFlags: ReadonlyArray<string> = ["--max-semi-space-size=32"]
