// The agent app's legacy import plan: the flat files of releases before 2.0
// into the `state` store. Run once by each user with `cairn import legacy`;
// running it again writes nothing new.
import path from 'node:path';
import { defineImport, source } from 'cairndb';

export default defineImport({
  target: 'state',
  sources: {
    // Declared parents first for readability; cairn orders writes by the schema's foreign keys anyway.
    projects: source.json('projects.json', { each: 'projects' }),
    sessions: source.json('sessions/*.json'),
    transcripts: source.jsonl('transcripts/*.jsonl'),
  },
  map: {
    projects: ({ key, value }) => ({
      rows: {
        projects: { id: key, path: value.path, name: value.name, created_at: value.createdAt },
        settings: Object.entries(value.settings ?? {}).map(([k, v]) => ({ project_id: key, key: k, value: v })),
      },
    }),
    sessions: ({ value: s }) => {
      const state = JSON.parse(s.state || '{}'); // double-encoded by the old app
      return {
        rows: {
          threads: {
            id: s.id,
            project_id: s.projectId,
            title: s.title,
            cli_version: s.cliVersion ?? null,
            cwd: s.cwd ?? null,
            created_at: s.createdAt,
            updated_at: s.updatedAt,
            preview: state.preview ?? null,
          },
        },
        // claude-code resumes from its own transcript file: move it where 2.0 looks for it.
        copies:
          s.harness === 'claude-code' ? [{ from: `transcripts/${s.id}.jsonl`, to: `transcripts/${s.projectId}/${s.id}.jsonl`, label: 'transcripts' }] : [],
      };
    },
    transcripts: ({ file, value: e }) => ({
      rows: { events: { thread_id: path.basename(file, '.jsonl'), seq: e.seq, kind: e.type, payload: e.payload, at: e.ts } },
    }),
  },
});
