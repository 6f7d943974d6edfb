// The agent app's backfill: every conversation rollout on disk into the
// `state` store's threads and events. It runs on every start until complete
// (cairn backfill rollouts does the same from the shell); a killed run
// resumes after its last checkpoint, and --refresh picks up conversations
// that were added or continued since.
import path from 'node:path';
import { defineBackfill } from 'cairndb';

/** rollout-2025-03-01T08-00-00-<id>.jsonl → <id> */
const threadIdOf = (file) => path.basename(file, '.jsonl').replace(/^rollout-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-/, '');

export default defineBackfill({
  target: 'state',
  items: 'rollouts/**/*.jsonl',
  // The default watermark (the path under the home) already sorts by date: rollouts/YYYY/MM/DD/rollout-<time>-<id>.
  map: ({ item, line, value }) => {
    const thread = threadIdOf(item.file);
    if (value.type === 'session_meta') {
      const m = value.payload;
      return {
        rows: {
          threads: {
            id: thread,
            project_id: m.project,
            title: m.title,
            cli_version: m.cli_version,
            cwd: m.cwd,
            created_at: value.timestamp,
            updated_at: value.timestamp,
          },
        },
      };
    }
    // One event per line; the line number is its sequence, so a file read again (or from an offset) yields the same keys.
    return { rows: { events: { thread_id: thread, seq: line, kind: value.payload.type, payload: value.payload, at: value.timestamp } } };
  },
});
