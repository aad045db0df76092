/**
 * `npm run db:import -- <file.csv> [--remote]`
 *
 * Loads La Poste's open-data list of points of contact. Idempotent: new rows
 * are inserted, changed rows updated, rows gone from the file closed (never
 * deleted). Bad rows are reported with their line number and never stop the rest.
 */
import { createReadStream, existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import { mapOpenDataRecord, type ImportedLocation } from '../worker/imports/open-data';
import { planImport } from '../worker/imports/plan';
import { applyImportPlan, loadExisting } from '../worker/imports/store';
import { openDatabase, PERSIST_DIR } from './local-db';

interface Rejection {
  line: number;
  id: string;
  reason: string;
}

const progress = (text: string) => {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
  else process.stderr.write(`${text}\n`);
};

async function readOpenData(path: string) {
  const accepted: ImportedLocation[] = [];
  const rejected: Rejection[] = [];
  const firstLine = new Map<string, number>();
  const parser = createReadStream(path).pipe(
    parse({ delimiter: ';', bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true }),
  );
  let header = true;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (header) {
      header = false;
      if (!record[0]?.startsWith('#Identifiant_du_site')) {
        throw new Error(`${path} does not look like laposte_poincont2.csv (first column "${record[0]}")`);
      }
      continue;
    }
    const line = info.lines;
    const result = mapOpenDataRecord(record);
    if (!result.ok) {
      rejected.push({ line, id: record[0] ?? '', reason: result.reason });
    } else if (firstLine.has(result.location.id)) {
      rejected.push({ line, id: result.location.id, reason: `duplicate identifier, first seen on line ${firstLine.get(result.location.id)}` });
    } else {
      firstLine.set(result.location.id, line);
      accepted.push(result.location);
    }
    if (line % 2000 === 0) progress(`read ${line} lines`);
  }
  return { accepted, rejected };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { remote: { type: 'boolean', default: false }, 'persist-to': { type: 'string', default: PERSIST_DIR } },
  });
  const file = positionals[0];
  if (!file || !existsSync(file)) {
    console.error('usage: npm run db:import -- <laposte_poincont2.csv> [--remote] [--persist-to DIR]');
    process.exit(2);
  }
  const started = performance.now();
  const { accepted, rejected } = await readOpenData(file);
  progress(`read ${accepted.length + rejected.length} rows: ${accepted.length} valid, ${rejected.length} rejected\n`);

  const { db, close } = await openDatabase({ remote: values.remote, persistTo: values['persist-to'] });
  try {
    const plan = planImport(await loadExisting(db), accepted, 'open_data');
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await applyImportPlan(db, plan, now, (done, total) => progress(`writing ${done}/${total} statements`));
    if (plan.inserts.length + plan.updates.length + plan.closes.length > 0) progress('\n');

    for (const r of rejected) console.log(`rejected line ${r.line} (${r.id || 'no id'}): ${r.reason}`);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `imported ${file}: ${plan.inserts.length} new, ${plan.updates.length} updated, ${plan.unchanged} unchanged, ` +
        `${plan.closes.length} closed, ${rejected.length} rejected in ${seconds} s`,
    );
  } finally {
    await close();
  }
}

await main();
