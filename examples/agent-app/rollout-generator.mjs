// Writes the agent app's conversation history the way it keeps it on disk:
// one JSONL rollout per conversation under rollouts/YYYY/MM/DD/, a
// session_meta line first, then the conversation's events (messages, tool
// calls and results, token counts). Seeded, so every run writes the same
// bytes. `damage` adds what real histories have: a line cut mid-write by a
// crash, and a malformed line.
import fs from 'node:fs';
import path from 'node:path';

const KINDS = ['user_message', 'agent_message', 'reasoning', 'function_call', 'function_call_output', 'token_count'];

export function generateRollouts(dir, { conversations = 30, eventsPerConversation = 40, projects = 4, seed = 11, damage = true, start = 0 } = {}) {
  let state = seed + start;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const files = [];
  const base = Date.UTC(2025, 2, 1, 8, 0, 0);
  let events = 0;
  for (let c = start; c < start + conversations; c++) {
    const at = base + c * 5_400_000; // one conversation every 90 minutes
    const day = new Date(at).toISOString().slice(0, 10).split('-');
    const id = `019a${String(c).padStart(4, '0')}-7e5b-7c1d-9f00-${String(c * 7919).padStart(12, '0')}`;
    const file = path.join(dir, 'rollouts', ...day, `rollout-${new Date(at).toISOString().slice(0, 19).replace(/:/g, '-')}-${id}.jsonl`);
    const project = `proj-${1 + (c % projects)}`;
    const lines = [
      JSON.stringify({
        timestamp: new Date(at).toISOString(),
        type: 'session_meta',
        payload: { id, project, cwd: `/home/dev/src/app-${1 + (c % projects)}`, cli_version: `0.${40 + (c % 5)}.0`, title: `Conversation ${c}` },
      }),
    ];
    for (let e = 1; e <= eventsPerConversation; e++) {
      const kind = KINDS[Math.floor(random() * KINDS.length)];
      const payload =
        kind === 'token_count'
          ? { input: Math.floor(random() * 9000), output: Math.floor(random() * 2000) }
          : kind === 'function_call'
            ? { name: 'shell', arguments: JSON.stringify({ command: ['rg', '-n', `pattern${e}`] }) }
            : { text: `${kind.replace('_', ' ')} ${e} of conversation ${c}: ${'lorem ipsum '.repeat(1 + Math.floor(random() * 6))}`.trim() };
      lines.push(JSON.stringify({ timestamp: new Date(at + e * 2000).toISOString(), type: 'event', payload: { type: kind, ...payload } }));
      events += 1;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, lines.join('\n') + '\n');
    files.push(file);
  }
  if (damage && files.length >= 3) {
    // A malformed line in the middle of one conversation (a hand edit gone wrong)…
    const a = fs.readFileSync(files[1], 'utf8').split('\n');
    a.splice(5, 0, '{"timestamp": "2025-03-01T09:30:00Z", "type": "event", "payload": {');
    fs.writeFileSync(files[1], a.join('\n'));
    // …and the last line of another cut short by a crash (no newline).
    fs.appendFileSync(files[2], '{"timestamp":"2025-03-01T11:00:00Z","type":"event","payload":{"type":"agent_mes');
  }
  return { files, conversations, events };
}
