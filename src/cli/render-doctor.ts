import type { CheckStatus, DoctorCheck, DoctorReport } from '../doctor/types.js';
import type { Style } from './io.js';
import { duration } from '../words.js';

const RULE = '─'.repeat(64);

/**
 * The human report: a Notes block promoting everything not ok, one section
 * per store, a closing count line. `summary` keeps one line per check;
 * otherwise each check shows its details and remedy under it.
 */
export function renderDoctor(report: DoctorReport, s: Style, options: { summary?: boolean; title?: string } = {}): string {
  const checks = Object.values(report.checks);
  const mark = (status: CheckStatus) => s[status];
  const width = Math.max(...checks.map((c) => label(c).length));
  const title = options.title ?? 'cairn doctor';
  const out: string[] = [`${s.bold(title)} ${report.cairnVersion} · ${report.generatedAt}`];

  const notes = checks.filter((c) => c.status === 'warn' || c.status === 'fail');
  if (notes.length) {
    out.push('', s.bold('Notes'));
    const idWidth = Math.max(...notes.map((c) => c.id.length));
    for (const c of notes) out.push(`${mark(c.status)} ${c.id.padEnd(idWidth)}  ${c.summary}`);
  }
  out.push(s.dim(RULE));

  const sections = new Map<string, DoctorCheck[]>();
  for (const c of checks) sections.set(c.store ?? '', [...(sections.get(c.store ?? '') ?? []), c]);
  for (const [store, group] of sections) {
    const file = group.find((c) => c.id === `${store}.file`)?.details.path;
    out.push(store ? `${s.bold(store)}${file ? `  ${s.dim(String(file))}` : ''}` : s.bold('registry'));
    for (const c of group) {
      const remedy = options.summary && c.remedy ? ` — ${c.remedy}` : '';
      out.push(`${mark(c.status)} ${label(c).padEnd(width)}  ${c.summary}${remedy}`);
      if (options.summary) continue;
      const keys = Object.keys(c.details);
      const keyWidth = Math.max(0, ...keys.map((k) => k.length));
      for (const k of keys) out.push(s.dim(`    ${k.padEnd(keyWidth)}  ${String(c.details[k])}`));
      if (c.remedy) out.push(`    → ${c.remedy}`);
    }
    out.push('');
  }
  out.pop();
  out.push(s.dim(RULE));
  const { counts } = report;
  const tally = [`${counts.ok} ok`, counts.idle ? `${counts.idle} idle` : '', `${counts.warn} warn`, `${counts.fail} fail`].filter(Boolean).join(' · ');
  const verdict = report.overallStatus === 'fail' ? s.bold('failed') : report.overallStatus === 'warn' ? 'passed with warnings' : 'passed';
  out.push(`${tally} — ${verdict} in ${duration(report.elapsedMs)}`);
  if (options.title) return out.join('\n') + '\n';
  out.push(
    s.dim(
      options.summary
        ? 'cairn doctor: details and remedies · --json: the report for an issue · --full: integrity_check'
        : '--summary: one line per check · --json: the report for an issue · --full: integrity_check',
    ),
  );
  return out.join('\n') + '\n';
}

function label(c: DoctorCheck): string {
  return c.store === null ? c.id : c.id.slice(c.store.length + 1);
}
