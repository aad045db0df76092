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
import { mapOpenDataRecord, OPEN_DATA_COLUMNS, type ImportedLocation } from '../tools/imports/open-data';
import { closesTooMany, MASS_CLOSE_SHARE, planImport } from '../tools/imports/plan';
import { applyImportPlan, loadExisting } from '../tools/imports/store';
import { publishLocatorSnapshot } from '../worker/locator/snapshot';
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
      const columns = record.map((name, i) => (i === 0 ? name.replace(/^#/, '') : name).trim());
      if (columns.join(';') !== OPEN_DATA_COLUMNS.join(';')) {
        throw new Error(`${path}: unexpected header "${record.join(';').slice(0, 120)}"; expected the columns of laposte_poincont2.csv, separated by ';'`);
      }
      continue;
    }
    const line = info.lines;
    const result = mapOpenDataRecord(record);
    if (!result.ok) {
      rejected.push({ line, id: (record[0] ?? '').trim().toUpperCase(), reason: result.reason });
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
    options: {
      remote: { type: 'boolean', default: false },
      'persist-to': { type: 'string', default: PERSIST_DIR },
      'allow-mass-close': { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (!file || !existsSync(file)) {
    console.error('usage: npm run db:import -- <laposte_poincont2.csv> [--remote] [--persist-to DIR] [--allow-mass-close]');
    process.exit(2);
  }
  const started = performance.now();
  const { accepted, rejected } = await readOpenData(file);
  progress(`read ${accepted.length + rejected.length} rows: ${accepted.length} valid, ${rejected.length} rejected\n`);

  const { db, close, where } = await openDatabase({ remote: values.remote, persistTo: values['persist-to'] });
  console.log(`writing to ${where}`);
  try {
    const existing = await loadExisting(db);
    const plan = planImport(existing, accepted, 'open_data', rejected.map((r) => r.id));
    if (closesTooMany(plan, existing, 'open_data') && !values['allow-mass-close']) {
      for (const r of rejected.slice(0, 20)) console.log(`rejected line ${r.line} (${r.id || 'no id'}): ${r.reason}`);
      console.error(
        `refusing to close ${plan.closes.length} locations (more than ${MASS_CLOSE_SHARE * 100} % of the network): ` +
          'is the file complete? Nothing was written. Pass --allow-mass-close if this is intended.',
      );
      process.exitCode = 1;
      return;
    }
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await applyImportPlan(db, plan, now, (done, total) => progress(`writing ${done}/${total} statements`));
    if (plan.inserts.length + plan.updates.length + plan.closes.length > 0) progress('\n');
    // Searches then load the new network from one compact row instead of the whole table.
    const snapshot = await publishLocatorSnapshot(db);
    console.log(`locator snapshot: version ${snapshot.version}, ${Math.round(snapshot.bytes / 1024)} KB${snapshot.reused ? ' (unchanged)' : ''}`);

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
