import fs from 'node:fs';
import path from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { expandTilde } from '../config/paths.js';
import { irregularKind, irregularMatches, type IrregularEntry } from './irregular.js';
import { CairnError, errorMessage } from '../errors.js';
import { openDatabase } from '../sqlite/open.js';
import { quoteIdent } from '../sqlite/quote.js';
import type { RecordOrigin, SourceRecord, SourceSpec } from './define.js';
import { readLines, type Line } from './read-lines.js';

/** A source with its files found: what the preconditions check and the reader reads. */
export interface ResolvedSource {
  name: string;
  spec: SourceSpec;
  files: string[];
  /** Total bytes, for progress. */
  bytes: number;
  /** Why an optional source contributes nothing, or a glob matched nothing. */
  note: string | null;
  /** Entries a glob matched that are not regular files (a FIFO would block the read forever): each becomes a reject. */
  irregular?: IrregularEntry[];
}

/** One thing read from a source: a record for `map`, or input that could not become one. */
export type SourceItem =
  | { kind: 'record'; record: SourceRecord; raw: string | null }
  | { kind: 'reject'; origin: RecordOrigin; reason: string; raw: string | null; rawBase64?: string };

export function expandPath(p: string, base: string): string {
  return path.resolve(base, expandTilde(p));
}

/**
 * Finds every source's files before anything is written, so a missing or
 * unreadable source is a refusal (exit 2) that names the path, never a
 * half-done import.
 */
export function resolveSources(sources: Record<string, SourceSpec>, from: string): ResolvedSource[] {
  return Object.entries(sources).map(([name, spec]) => resolveSource(name, spec, from));
}

function resolveSource(name: string, spec: SourceSpec, from: string): ResolvedSource {
  const pattern = expandPath(spec.path, from);
  let files: string[];
  let note: string | null = null;
  if (spec.kind !== 'sqlite' && isDynamicPattern(spec.path)) {
    const base = staticBase(pattern);
    if (!fs.existsSync(base)) {
      if (spec.optional) return { name, spec, files: [], bytes: 0, note: `${base} does not exist (optional source, skipped)` };
      throw missing(name, base, 'folder');
    }
    files = globSync(path.relative(base, pattern).split(path.sep).join('/'), { cwd: base, absolute: true, onlyFiles: true }).sort();
    if (files.length === 0) note = `no file matches ${pattern}`;
  } else {
    if (!fs.existsSync(pattern)) {
      if (spec.optional) return { name, spec, files: [], bytes: 0, note: `${pattern} does not exist (optional source, skipped)` };
      throw missing(name, pattern, 'file');
    }
    const kind = irregularKind(pattern);
    if (kind) {
      throw new CairnError(
        'E_SOURCE',
        `source ${JSON.stringify(name)}: ${pattern} is ${kind}, not a file; point the plan's path at the file (or use a glob for a folder of them)`,
        {
          source: name,
          file: pattern,
        },
      );
    }
    files = [pattern];
    if (spec.kind === 'sqlite') checkSqliteSource(name, spec, pattern);
  }
  // A glob's matches that are not regular files (tinyglobby leaves them out) are kept aside as rejects, named, never opened.
  const irregular =
    spec.kind !== 'sqlite' && isDynamicPattern(spec.path)
      ? irregularMatches(staticBase(pattern), [path.relative(staticBase(pattern), pattern).split(path.sep).join('/')])
      : [];
  let bytes = 0;
  for (const file of files) {
    try {
      fs.accessSync(file, fs.constants.R_OK);
      bytes += fs.statSync(file).size;
    } catch (error) {
      throw new CairnError('E_SOURCE', `source ${JSON.stringify(name)}: ${file} cannot be read (${errorMessage(error)}); fix its permissions and run again`, {
        source: name,
        file,
      });
    }
  }
  return irregular.length ? { name, spec, files, bytes, note, irregular } : { name, spec, files, bytes, note };
}

function checkSqliteSource(name: string, spec: Extract<SourceSpec, { kind: 'sqlite' }>, file: string): void {
  if (!spec.table === !spec.query) {
    throw new CairnError('E_SOURCE', `source ${JSON.stringify(name)}: a sqlite source needs exactly one of table or query`, { source: name, file });
  }
  try {
    const db = openDatabase(file, { readonly: true });
    try {
      if (spec.table && !db.prepare("SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?").get(spec.table)) {
        throw new Error(`it has no table ${JSON.stringify(spec.table)}`);
      }
      if (spec.query) db.prepare(spec.query);
    } finally {
      db.close();
    }
  } catch (error) {
    throw new CairnError('E_SOURCE', `source ${JSON.stringify(name)}: ${file} cannot be read as SQLite (${errorMessage(error)})`, { source: name, file });
  }
}

function missing(name: string, file: string, what: string): CairnError {
  return new CairnError(
    'E_SOURCE',
    `source ${JSON.stringify(name)}: ${what} ${file} does not exist; pass --from with the folder that holds the legacy data, or mark the source optional`,
    { source: name, file },
  );
}

/** The part of a glob before its first wildcard segment. */
function staticBase(pattern: string): string {
  const parts = pattern.split(path.sep);
  const index = parts.findIndex((part) => isDynamicPattern(part));
  return parts.slice(0, index === -1 ? parts.length : index).join(path.sep) || path.sep;
}

/**
 * Reads a source's records in file order. JSONL streams line by line; a JSON
 * file is parsed whole (registries and per-session files are small; big
 * histories belong in JSONL); a SQLite source streams its rows.
 */
export function* readSource(source: ResolvedSource, onBytes: (n: number) => void): Generator<SourceItem> {
  for (const { file, reason } of source.irregular ?? []) yield { kind: 'reject', origin: { source: source.name, file }, reason, raw: null };
  for (const file of source.files) {
    const origin = { source: source.name, file };
    if (source.spec.kind === 'jsonl') {
      let reported = 0;
      for (const line of readLines(file)) {
        onBytes(line.end - reported);
        reported = line.end;
        yield jsonlItem(origin, line);
      }
      onBytes(fileSize(file) - reported);
    } else if (source.spec.kind === 'json') {
      yield* readJsonFile(origin, source.spec.each);
      onBytes(fileSize(file));
    } else {
      yield* readSqlite(origin, source.spec);
      onBytes(fileSize(file));
    }
  }
}

/** One JSONL line as a record, or as a reject (invalid UTF-8, malformed or truncated JSON) keeping the raw text. */
export function jsonlItem(origin: { source: string; file: string }, line: Line): SourceItem {
  // Built field by field, not spread: this runs once per line of every JSONL source.
  if (line.raw) {
    return {
      kind: 'reject',
      origin: { source: origin.source, file: origin.file, line: line.number },
      reason: 'invalid UTF-8',
      raw: line.text,
      rawBase64: line.raw.toString('base64'),
    };
  }
  try {
    return { kind: 'record', record: { source: origin.source, file: origin.file, line: line.number, value: JSON.parse(line.text) }, raw: line.text };
  } catch (error) {
    const at = { source: origin.source, file: origin.file, line: line.number };
    const reason = line.unterminated
      ? `truncated last line (no newline at end of file; the writer may have stopped mid-line): ${errorMessage(error)}`
      : `malformed JSON: ${errorMessage(error)}`;
    return { kind: 'reject', origin: at, reason, raw: line.text };
  }
}

function* readJsonFile(origin: { source: string; file: string }, each: string | undefined): Generator<SourceItem> {
  const bytes = fs.readFileSync(origin.file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    yield { kind: 'reject', origin, reason: 'invalid UTF-8', raw: bytes.toString('utf8'), rawBase64: bytes.toString('base64') };
    return;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    yield { kind: 'reject', origin, reason: `malformed JSON: ${errorMessage(error)}`, raw: text };
    return;
  }
  if (each === undefined) {
    yield { kind: 'record', record: { ...origin, value: doc }, raw: null };
    return;
  }
  const container =
    each === '.' || each === ''
      ? doc
      : each.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), doc);
  // A missing path is far more often a typo in `each` than an empty collection: say so instead of importing nothing.
  if (container === undefined) {
    yield { kind: 'reject', origin, reason: `the document has no "${each}"; check the source's \`each\` path`, raw: text };
    return;
  }
  if (container === null) return; // an explicit null is an empty collection
  if (typeof container !== 'object') {
    yield { kind: 'reject', origin, reason: `"${each}" is a ${typeof container}, not an array or object`, raw: JSON.stringify(container) };
    return;
  }
  const entries = Array.isArray(container) ? container.map((v, i) => [String(i), v] as const) : Object.entries(container);
  for (const [key, value] of entries) yield { kind: 'record', record: { ...origin, key, value }, raw: null };
}

function* readSqlite(origin: { source: string; file: string }, spec: Extract<SourceSpec, { kind: 'sqlite' }>): Generator<SourceItem> {
  const db = openDatabase(origin.file, { readonly: true });
  try {
    const table = quoteIdent(spec.table ?? '');
    let statement;
    try {
      statement = db.prepare(spec.query ?? `SELECT rowid AS "__rowid", * FROM ${table} ORDER BY rowid`);
    } catch {
      statement = db.prepare(`SELECT * FROM ${table}`); // WITHOUT ROWID tables and views have no rowid
    }
    let index = 0;
    for (const row of statement.iterate<Record<string, unknown>>()) {
      index += 1;
      const { __rowid, ...value } = row;
      yield { kind: 'record', record: { ...origin, key: String(__rowid ?? index), value: spec.query ? row : value }, raw: null };
    }
  } finally {
    db.close();
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
