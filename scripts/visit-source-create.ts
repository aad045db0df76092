/**
 * `npm run visits:source -- <office id> "<name>" [--remote]`
 *
 * Creates a queue-management system ("borne de gestion de file") allowed to
 * post one office's ticket events (`POST /api/v1/offices/{id}/visits`), and
 * prints, once, on two lines a script can read:
 *
 *     id=qms_…
 *     secret=gqs_…
 *
 * The secret is derived from CARRIER_KEY (the one key of the signed feeds)
 * and never stored (see worker/affluence/sources.ts). Locally the key is the
 * database's own; with `--remote`, the deployed Worker's CARRIER_KEY must be
 * in the environment, or the printed secret would not be the one the Worker
 * checks.
 */
import { parseArgs } from 'node:util';
import { createVisitSource } from '../worker/affluence/sources';
import { carrierKey } from '../worker/parcels/carriers';
import { openDatabase, PERSIST_DIR } from './local-db';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    remote: { type: 'boolean', default: false },
    'persist-to': { type: 'string', default: PERSIST_DIR },
  },
});
const [officeId, rawName] = positionals;
const name = rawName?.trim();
if (positionals.length !== 2 || !officeId || !/^[0-9A-Za-z]{1,32}$/.test(officeId) || !name || name.length > 80) {
  console.error('usage: npm run visits:source -- <office id> "<name, 80 characters at most>" [--remote]');
  process.exit(2);
}
if (values.remote && !process.env.CARRIER_KEY) {
  console.error('--remote needs the deployed Worker’s CARRIER_KEY in the environment: CARRIER_KEY=… npm run visits:source -- <office id> "<name>" --remote');
  process.exit(2);
}
const { db, close, where } = await openDatabase({ remote: values.remote, persistTo: values['persist-to'] });
try {
  const source = await createVisitSource(db, { locationId: officeId.toUpperCase(), name, key: await carrierKey(db, process.env.CARRIER_KEY || undefined), now: new Date() });
  if (!source) {
    console.error(`no office ${officeId.toUpperCase()} in ${where}`);
    process.exitCode = 1;
  } else {
    console.log(`id=${source.id}`);
    console.log(`secret=${source.secret}`);
    console.error(`queue system "${source.name}" of office ${source.locationId} created in ${where}; the secret is shown once (sign with Guichet-Signature: k=${source.id},t=…,v1=…)`);
  }
} finally {
  await close();
}
