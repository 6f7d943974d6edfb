// Writes the flat-file layout the agent app used before it had SQLite: a
// project registry, one JSON file per session (with its state double-encoded,
// as the old app stored it), and a JSONL transcript per session. Seeded, so
// every run writes the same bytes; a few files are damaged the way real ones
// get damaged (a crash mid-write, a bad byte, a hand edit), so the import has
// something to reject.
import fs from 'node:fs';
import path from 'node:path';

export function generateLegacy(dir, { projects = 4, sessionsPerProject = 5, eventsPerSession = 40, seed = 7 } = {}) {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const pick = (list) => list[Math.floor(random() * list.length)];
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'sessions'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'transcripts'), { recursive: true });

  const registry = { version: 2, projects: {} };
  const base = Date.UTC(2025, 0, 6, 9, 0, 0);
  const iso = (ms) => new Date(ms).toISOString();
  let sessionCount = 0;
  for (let p = 1; p <= projects; p++) {
    const id = `proj-${p}`;
    registry.projects[id] = {
      path: `/home/dev/src/app-${p}`,
      name: `app-${p}`,
      createdAt: iso(base + p * 86_400_000),
      settings: { model: pick(['gpt-5', 'claude-sonnet', 'local-llama']), approval: pick(['on-request', 'never']), sandbox: { network: random() < 0.5 } },
    };
    for (let s = 1; s <= sessionsPerProject; s++) {
      sessionCount += 1;
      const sid = `sess-${p}-${s}`;
      const started = base + p * 86_400_000 + s * 3_600_000;
      const harness = pick(['claude-code', 'codex', 'aider']);
      const session = {
        id: sid,
        projectId: id,
        title: `Task ${s} in app-${p}`,
        harness,
        cliVersion: `0.${p}.${s}`,
        cwd: `/home/dev/src/app-${p}`,
        createdAt: iso(started),
        updatedAt: iso(started + eventsPerSession * 1000),
        // The old app stored its state machine as a JSON string inside the JSON.
        state: JSON.stringify({ lifecycle: pick(['working', 'idle', 'done']), preview: `Fix issue #${p}${s}` }),
      };
      fs.writeFileSync(path.join(dir, 'sessions', `${sid}.json`), JSON.stringify(session, null, 2));
      const lines = [];
      for (let e = 1; e <= eventsPerSession; e++) {
        const kind = pick(['user_message', 'agent_message', 'tool_call', 'tool_result']);
        lines.push(
          JSON.stringify({ seq: e, type: kind, ts: iso(started + e * 1000), payload: { text: `${kind} ${e} of ${sid}`, tokens: Math.floor(random() * 500) } }),
        );
      }
      fs.writeFileSync(path.join(dir, 'transcripts', `${sid}.jsonl`), lines.join('\n') + '\n');
    }
  }
  fs.writeFileSync(path.join(dir, 'projects.json'), JSON.stringify(registry, null, 2));

  // The damage a real home directory collects:
  const t1 = path.join(dir, 'transcripts', 'sess-1-1.jsonl');
  fs.appendFileSync(t1, '{"seq": 999, "type": "agent_message", "ts": "2025-01-07T10:00:00.000Z", "payload": {"text": "cut off mid-wr'); // crash mid-write
  const t2 = path.join(dir, 'transcripts', 'sess-1-2.jsonl');
  const lines2 = fs
    .readFileSync(t2, 'utf8')
    .split('\n')
    .map((line) => Buffer.from(line));
  lines2.splice(3, 0, Buffer.from('{"seq": 3.5, "type": "tool_call", payload: not json}')); // a hand edit
  lines2.splice(6, 0, Buffer.from([0x7b, 0x22, 0x73, 0x65, 0x71, 0x22, 0x3a, 0x20, 0xff, 0xfe, 0x7d])); // bytes that are not UTF-8
  fs.writeFileSync(t2, Buffer.concat(lines2.flatMap((line, i) => (i === 0 ? [line] : [Buffer.from('\n'), line]))));
  // A session whose project was deleted from the registry by hand.
  fs.writeFileSync(
    path.join(dir, 'sessions', 'sess-orphan.json'),
    JSON.stringify({
      id: 'sess-orphan',
      projectId: 'proj-deleted',
      title: 'orphan',
      harness: 'codex',
      createdAt: iso(base),
      updatedAt: iso(base),
      state: '{}',
    }),
  );
  return { projects, sessions: sessionCount, events: sessionCount * eventsPerSession };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = path.resolve(process.argv[2] ?? 'legacy');
  console.log(generateLegacy(dir));
}
