// Writes the command reference in docs/cli.md from the commander program
// itself, so a command or flag cannot exist without its entry. `node
// scripts/cli-reference.mjs` rewrites the generated part; `--check` exits 1
// when it is stale (test/docs/reference.test.ts runs the same comparison).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cell, generatedMarkers, withGenerated, writeOrCheck } from './generated-section.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_DOC = path.join(root, 'docs', 'cli.md');
const MARKERS = generatedMarkers('cli-reference.mjs');

function optionRows(options) {
  const rows = ['| flag | what it does |', '| --- | --- |'];
  for (const o of options) {
    const notes = [];
    if (o.mandatory) notes.push('required');
    if (o.argChoices) notes.push(`one of ${o.argChoices.map((c) => `\`${c}\``).join(', ')}`);
    const hasDefault = o.defaultValue !== undefined && !(Array.isArray(o.defaultValue) && o.defaultValue.length === 0) && !o.negate;
    if (hasDefault) notes.push(`default \`${o.defaultValue}\``);
    rows.push(`| \`${cell(o.flags)}\` | ${cell(o.description)}${notes.length ? ` (${notes.join('; ')})` : ''} |`);
  }
  return rows.join('\n');
}

/** The generated markdown: global options, then one section per command. */
export async function cliReference() {
  const { buildProgram } = await import(pathToFileURL(path.join(root, 'dist', 'cli', 'program.js')).href);
  const program = await buildProgram({ stdout: process.stdout, stderr: process.stderr, env: {}, cwd: root }, () => {});
  const out = [MARKERS.start, '', '## Global options', '', optionRows(program.options), ''];
  for (const command of program.commands) {
    const about = command.description();
    out.push(`## cairn ${command.name()}`, '', `\`cairn ${command.name()} ${command.usage()}\``, '', `${about[0].toUpperCase()}${about.slice(1)}.`, '');
    for (const arg of command.registeredArguments) out.push(`- \`${arg.name()}\`${arg.required ? '' : ' (optional)'}: ${arg.description}`);
    if (command.registeredArguments.length) out.push('');
    if (command.options.length) out.push(optionRows(command.options), '');
  }
  out.push(MARKERS.end);
  return out.join('\n');
}

/** CLI_DOC with its generated part replaced by `generated`, formatted as `prettier --write` leaves it. */
export async function withReference(text, generated) {
  return withGenerated(CLI_DOC, text, generated, MARKERS);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeOrCheck(CLI_DOC, 'cli-reference.mjs', async (current) => withReference(current, await cliReference()));
}
