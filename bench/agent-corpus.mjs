// An agent-shaped history for the import and backfill benches (issue 22):
// Codex-style rollout files, one per conversation under rollouts/YYYY/MM/DD/:
// a session_meta line, turn_context lines, then response_item and event_msg
// lines whose payloads nest (message content arrays, function-call arguments
// as JSON strings, tool output with tabs, quotes, newlines and emoji, reasoning
// with an opaque blob). Conversation lengths follow a heavy tail: a few huge
// conversations and many small ones. About 1 line in 2,000 is damaged (cut
// short or not JSON), as real histories are. Seeded: the same bytes every run.
import fs from 'node:fs';
import path from 'node:path';

const WORDS = 'the build fails because a test expects the old path so update the fixture and rerun it with coverage then check lint'.split(' ');
const TOOLS = ['shell', 'apply_patch', 'read_file', 'update_plan'];

function rng(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

function sentence(random, words) {
  const out = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(random() * WORDS.length)]);
  return out.join(' ');
}

/** Tool output as a shell prints it: file:line:\tcode with quotes, the odd emoji and unicode. */
function toolOutput(random) {
  const lines = 2 + Math.floor(random() ** 3 * 120);
  const out = [];
  for (let i = 0; i < lines; i++) out.push(`src/mod${i % 17}/file${i}.ts:${i + 1}:\tconst value = "${sentence(random, 3)}"; // ✓ ok 🙂 naïve`);
  return out.join('\n');
}

function payloadFor(random, seq, callId) {
  const pick = random();
  if (pick < 0.18) return { type: 'message', role: 'user', content: [{ type: 'input_text', text: sentence(random, 8 + Math.floor(random() * 40)) }] };
  if (pick < 0.36) {
    return {
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: `${sentence(random, 20 + Math.floor(random() * 80))}\n\n\`\`\`ts\nconst x = "y";\n\`\`\`` }],
    };
  }
  if (pick < 0.5)
    return {
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: `**${sentence(random, 4)}**\n\n${sentence(random, 30)}` }],
      encrypted_content: `gAAAAA${'Qk9PTEVBTg'.repeat(8 + Math.floor(random() * 30))}`,
    };
  if (pick < 0.68) {
    const tool = TOOLS[Math.floor(random() * TOOLS.length)];
    return {
      type: 'function_call',
      name: tool,
      arguments: JSON.stringify({ command: ['bash', '-lc', `rg -n "${sentence(random, 2)}" src`], workdir: '/home/dev/src/app', timeout_ms: 120000 }),
      call_id: callId,
    };
  }
  if (pick < 0.86)
    return {
      type: 'function_call_output',
      call_id: callId,
      output: JSON.stringify({
        output: toolOutput(random),
        metadata: { exit_code: seq % 9 === 0 ? 1 : 0, duration_seconds: Math.round(random() * 900) / 100 },
      }),
    };
  return {
    type: 'token_count',
    info: {
      total_token_usage: {
        input_tokens: Math.floor(random() * 90000),
        cached_input_tokens: Math.floor(random() * 60000),
        output_tokens: Math.floor(random() * 9000),
        reasoning_output_tokens: Math.floor(random() * 4000),
        total_tokens: Math.floor(random() * 100000),
      },
      model_context_window: 272000,
    },
    rate_limits: null,
  };
}

/**
 * Writes conversations until `rows` lines are written; returns the files and
 * the counts. Line kinds: `session_meta` (one per file), `turn_context`
 * (every ~12 lines), `response_item` and `event_msg` (token counts).
 */
export function writeAgentCorpus(dir, rows, { seed = 22 } = {}) {
  const random = rng(seed);
  const files = [];
  let written = 0;
  let damaged = 0;
  let c = 0;
  while (written < rows) {
    // Heavy tail: most conversations are 20–200 lines, one in fifty runs to thousands.
    const length = Math.min(rows - written, random() < 0.02 ? 2000 + Math.floor(random() * 6000) : 20 + Math.floor(random() ** 2 * 180));
    const at = Date.UTC(2025, 0, 1) + c * 3_600_000;
    const day = new Date(at).toISOString().slice(0, 10).split('-');
    const id = `019a${String(c).padStart(4, '0')}-7e5b-7c1d-9f00-${String(c * 7919).padStart(12, '0')}`;
    const file = path.join(dir, 'rollouts', ...day, `rollout-${new Date(at).toISOString().slice(0, 19).replace(/:/g, '-')}-${id}.jsonl`);
    const lines = [
      JSON.stringify({
        timestamp: new Date(at).toISOString(),
        type: 'session_meta',
        payload: {
          id,
          timestamp: new Date(at).toISOString(),
          cwd: `/home/dev/src/app-${c % 7}`,
          originator: 'codex_cli_rs',
          cli_version: `0.${40 + (c % 9)}.0`,
          instructions: null,
          git: { commit_hash: 'a'.repeat(40), branch: 'main', repository_url: 'git@github.com:acme/app.git' },
        },
      }),
    ];
    for (let seq = 2; seq <= length; seq++) {
      const timestamp = new Date(at + seq * 1500).toISOString();
      let line;
      if (seq % 12 === 2) {
        line = {
          timestamp,
          type: 'turn_context',
          payload: {
            cwd: `/home/dev/src/app-${c % 7}`,
            approval_policy: 'on-request',
            sandbox_policy: { mode: 'workspace-write', network_access: false, exclude_tmpdir_env_var: false },
            model: 'gpt-5-codex',
            effort: 'medium',
            summary: 'auto',
          },
        };
      } else {
        const payload = payloadFor(random, seq, `call_${c}_${seq >> 1}`);
        line = { timestamp, type: payload.type === 'token_count' ? 'event_msg' : 'response_item', payload };
      }
      let text = JSON.stringify(line);
      if (random() < 0.0005) {
        text = random() < 0.5 ? text.slice(0, Math.floor(text.length / 2)) : `${text.slice(0, 20)} not json`;
        damaged += 1;
      }
      lines.push(text);
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, lines.join('\n') + '\n');
    files.push(file);
    written += lines.length;
    c += 1;
  }
  return { files, rows: written, damaged, bytes: files.reduce((n, f) => n + fs.statSync(f).size, 0) };
}

/** The schema both contestants write: a thread per conversation, an item per line (payload as JSON text). */
export const AGENT_SCHEMA =
  'CREATE TABLE threads (id TEXT PRIMARY KEY, cwd TEXT NOT NULL, cli_version TEXT NOT NULL, created_at TEXT NOT NULL);\n' +
  'CREATE TABLE items (thread_id TEXT NOT NULL REFERENCES threads (id), seq INTEGER NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (thread_id, seq));\n';

/** rollout-2025-01-01T00-00-00-<id>.jsonl → <id> */
export const threadOf = (file) => path.basename(file, '.jsonl').slice(28);

/**
 * The mapper both the import plan and the backfill job use (as source text,
 * since it runs on a worker thread): the session_meta line makes the thread,
 * every other line an item keyed by its line number, the payload stored as
 * the line wrote it (rawJson), or with CAIRN_BENCH_PAYLOAD=object as the
 * parsed object (stringified again on the way in).
 */
export const AGENT_MAP = `(record) => {
    const { file, line, value } = record;
    const thread = path.basename(file, '.jsonl').slice(28);
    if (value.type === 'session_meta') {
      const m = value.payload;
      return { rows: { threads: { id: thread, cwd: m.cwd, cli_version: m.cli_version, created_at: value.timestamp } } };
    }
    return { rows: { items: { thread_id: thread, seq: line, kind: value.payload.type ?? value.type, at: value.timestamp, payload: PAYLOAD } } };
  }`;
