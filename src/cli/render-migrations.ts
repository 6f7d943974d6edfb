import { shortChecksum } from '../migrations/checksum.js';
import type { MigrateResult } from '../migrations/migrator.js';
import type { StoreStatus } from '../migrations/status-report.js';
import path from 'node:path';
import type { LintReport } from '../lint/report.js';
import type { LintFinding } from '../lint/types.js';
import type { Style } from './io.js';
import { duration } from '../words.js';

/** Human renderers: pure functions of the values `--json` prints. */
export function renderStatus(statuses: readonly StoreStatus[], s: Style): string {
  const out: string[] = [];
  for (const st of statuses) {
    out.push(`${s.bold(st.store)}  ${s.dim(st.file)}`);
    if (st.error) {
      out.push(`  ${s.fail} ${st.error.message}`, '');
      continue;
    }
    const current = st.current === null ? 'none' : `${st.current} (${st.applied.at(-1)?.name ?? '?'})`;
    out.push(`  ${st.exists ? '' : 'not created yet; '}current ${current}, ${st.applied.length} applied, ${st.pending.length} pending`);
    for (const p of st.pending) out.push(`  ${s.idle} pending   ${p.name}`);
    for (const e of st.edited)
      out.push(`  ${s.fail} edited    ${e.name} (applied ${shortChecksum(e.appliedChecksum)}…, file ${shortChecksum(e.fileChecksum)}…)`);
    if (st.edited.length > 0) out.push(...editedHints(st));
    for (const m of st.missing) out.push(`  ${s.warn} missing   ${m.version} ${m.name} (applied, file gone)`);
    for (const u of st.unknown)
      out.push(`  ${u.additive ? s.warn : s.fail} newer     ${u.version} ${u.name} (applied by a newer release${u.additive ? ', additive' : ''})`);
    for (const o of st.outOfOrder) out.push(`  ${s.warn} out of order ${o.name}`);
    for (const r of st.renamed) out.push(`  ${s.idle} renamed   ${r.from.name} → ${r.to.name} (re-stamped on migrate)`);
    if (st.interrupted) {
      const run = st.interrupted;
      const how = run.failedStatement ? `failed at statement ${run.failedStatement}` : 'was stopped before it finished';
      const ran =
        run.completed !== undefined
          ? `, partly applied: ${run.completed === 1 ? 'statement 1 ran' : run.completed === 0 ? 'no statement ran' : `statements 1–${run.completed} ran`}`
          : '';
      out.push(`  ${s.fail} interrupted ${run.name} ${how} (NO TRANSACTION${ran}): cairn migrate --store ${st.store} --recover restore|rerun|resume`);
    }
    if (st.refusal && !st.interrupted && !st.legacyChain && st.edited.length === 0) out.push(`  ${s.fail} migrate refuses: ${st.refusal.message}`);
    if (st.legacyChain) out.push(`  ${s.fail} legacy chain: below the baseline with its files gone; use export → restore (cutover)`);
    out.push('');
  }
  return out.join('\n');
}

/** The ways out of the edit trap, printed under the edited files: a developer's redo, or a recorded acceptance. */
function editedHints(st: StoreStatus): string[] {
  const newest = st.applied.at(-1);
  const versions = st.edited.map((e) => e.version).join(' ');
  const hints = [`    put the file back as it was applied, or, once the DB matches the file: cairn migrate --store ${st.store} --accept-edit ${versions}`];
  if (st.edited.length === 1 && newest && st.edited[0]!.version === newest.version) {
    hints.unshift(`    while you are still writing it: cairn redo --store ${st.store} (reverts it with the Down it was applied with, applies it again)`);
  }
  return hints;
}

/** What a failed step left: a transaction rolled back, a copy put back, or (NO TRANSACTION, no copy) part of the file. */
function failureOutcome(failed: NonNullable<MigrateResult['failed']>): string {
  if (failed.restoredFromBackup) return 'undone (restored from the copy taken before it)';
  if (!failed.partlyApplied) return 'rolled back';
  const ran = failed.statement && failed.statement > 1 ? `statements 1–${failed.statement - 1} of it ran and stay` : 'what ran of it stays';
  return `NOT rolled back: it runs outside a transaction and no copy could be put back, so ${ran}; cairn migrate refuses this store until you choose --recover (see its message)`;
}

export function renderMigrate(results: readonly MigrateResult[], s: Style): string {
  const out: string[] = [];
  for (const r of results) {
    const head = r.dryRun ? 'would migrate' : 'migrated';
    if (r.planned.length === 0) {
      out.push(`${s.ok} ${s.bold(r.store)}: up to date at ${r.from ?? 'none'}`);
    } else if (r.dryRun) {
      out.push(`${s.idle} ${s.bold(r.store)}: ${head} ${r.from ?? 'none'} → ${r.to ?? 'none'}`);
      for (const step of r.planned) {
        out.push(`  ${step.kind.padEnd(8)} ${step.name}${step.transaction ? '' : '  (no transaction)'}`);
        for (const sql of step.statements) out.push(indent(sql.endsWith(';') ? sql : `${sql};`, 6));
      }
    } else {
      const mark = r.failed ? s.fail : s.ok;
      out.push(`${mark} ${s.bold(r.store)}: ${head} ${r.from ?? 'none'} → ${r.to ?? 'none'}${r.backup ? s.dim(`  (backup ${r.backup})`) : ''}`);
      for (const a of r.applied) out.push(`  ${s.ok} ${a.kind.padEnd(8)} ${a.name}  ${s.dim(duration(a.durationMs))}`);
      if (r.failed) {
        out.push(`  ${s.fail} ${r.failed.name}: ${r.failed.message}`);
        out.push(`    ${failureOutcome(r.failed)}; files before it stay applied`);
      }
    }
    for (const w of r.warnings) out.push(`  ${s.warn} ${w}`);
    for (const f of r.lint) out.push(`  ${f.severity === 'error' ? s.fail : s.warn} lint ${findingLine(f)}`);
  }
  return out.join('\n') + '\n';
}

/** `0003_x.sql:12 [rule] message` */
export function findingLine(f: LintFinding): string {
  return `${path.basename(f.file)}${f.line ? `:${f.line}` : ''}${f.section === 'down' ? ' (Down)' : ''} [${f.rule}] ${f.message}`;
}

export function renderLint(reports: readonly LintReport[], s: Style): string {
  const out: string[] = [];
  for (const r of reports) {
    const against = r.database ? `against ${r.database}` : 'against an empty schema';
    const mark = r.errors > 0 ? s.fail : r.warnings > 0 ? s.warn : s.ok;
    out.push(
      `${mark} ${s.bold(r.store)}: ${r.linted.length} file${r.linted.length === 1 ? '' : 's'} linted ${s.dim(against)}: ${r.errors} error${r.errors === 1 ? '' : 's'}, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}`,
    );
    for (const n of r.notLinted) out.push(`  ${s.warn} not linted ${n.name}: ${n.reason}; review it by hand`);
    for (const f of r.findings) {
      out.push(`  ${f.severity === 'error' ? s.fail : s.warn} ${findingLine(f)}`);
      if (f.statement) out.push(`      ${s.dim(f.statement)}`);
      out.push(`      fix: ${f.fix}`);
    }
    out.push('');
  }
  return out.join('\n');
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}
