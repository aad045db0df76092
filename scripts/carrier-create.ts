/**
 * `npm run carrier:create -- --name "Colissimo" [--remote]`
 *
 * Creates a carrier and prints, once, on two lines a script can read:
 *
 *     id=car_…
 *     secret=gcs_…
 *
 * The secret is derived from CARRIER_KEY and never stored (see
 * worker/parcels/carriers.ts). Locally the key is the database's own; with
 * `--remote`, the deployed Worker's CARRIER_KEY must be in the environment,
 * or the printed secret would not be the one the Worker checks.
 */
import { parseArgs } from 'node:util';
import { carrierKey, createCarrier } from '../worker/parcels/carriers';
import { openDatabase, PERSIST_DIR } from './local-db';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    remote: { type: 'boolean', default: false },
    'persist-to': { type: 'string', default: PERSIST_DIR },
  },
});
const name = values.name?.trim();
if (!name || name.length > 80) {
  console.error('usage: npm run carrier:create -- --name "<carrier, 80 characters at most>" [--remote]');
  process.exit(2);
}
if (values.remote && !process.env.CARRIER_KEY) {
  console.error('--remote needs the deployed Worker’s CARRIER_KEY in the environment: CARRIER_KEY=… npm run carrier:create -- --name … --remote');
  process.exit(2);
}
const { db, close, where } = await openDatabase({ remote: values.remote, persistTo: values['persist-to'] });
try {
  const carrier = await createCarrier(db, { name, key: await carrierKey(db, process.env.CARRIER_KEY || undefined), now: new Date() });
  console.log(`id=${carrier.id}`);
  console.log(`secret=${carrier.secret}`);
  console.error(`carrier "${carrier.name}" created in ${where}; the secret is shown once (sign with Guichet-Signature, see docs/api.md)`);
} finally {
  await close();
}
