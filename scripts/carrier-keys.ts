/**
 * `npm run carrier:rotate -- --id car_… [--remote]`: a new secret for the
 * carrier, printed once as `secret=…`; the previous one stops working at once.
 * `npm run carrier:revoke -- --id car_… [--remote]`: the carrier's requests
 * are refused from now on.
 *
 * As for carrier:create, `--remote` needs the deployed CARRIER_KEY in the
 * environment to print the secret the Worker will check.
 */
import { parseArgs } from 'node:util';
import { and, eq, isNull } from 'drizzle-orm';
import { carriers } from '../db/schema';
import { carrierKey, isCarrierId, rotateCarrierSecret } from '../worker/parcels/carriers';
import { openDatabase, PERSIST_DIR } from './local-db';

const action = process.argv[2];
const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { id: { type: 'string' }, remote: { type: 'boolean', default: false }, 'persist-to': { type: 'string', default: PERSIST_DIR } },
});
if ((action !== 'rotate' && action !== 'revoke') || !values.id || !isCarrierId(values.id)) {
  console.error('usage: npm run carrier:rotate -- --id car_… [--remote]   |   npm run carrier:revoke -- --id car_… [--remote]');
  process.exit(2);
}
if (action === 'rotate' && values.remote && !process.env.CARRIER_KEY) {
  console.error('--remote needs the deployed Worker’s CARRIER_KEY in the environment');
  process.exit(2);
}
const { db, close, where } = await openDatabase({ remote: values.remote, persistTo: values['persist-to'] });
try {
  if (action === 'rotate') {
    const carrier = await rotateCarrierSecret(db, values.id, await carrierKey(db, process.env.CARRIER_KEY || undefined));
    if (!carrier) throw new Error(`no active carrier ${values.id} in ${where}`);
    console.log(`secret=${carrier.secret}`);
    console.error(`carrier ${carrier.id}: new secret (generation ${carrier.generation}); the previous one is refused from now on`);
  } else {
    const row = await db.update(carriers).set({ revokedAt: new Date().toISOString() })
      .where(and(eq(carriers.id, values.id), isNull(carriers.revokedAt))).returning().get();
    if (!row) throw new Error(`no active carrier ${values.id} in ${where}`);
    console.log(`carrier ${row.id} revoked in ${where}: its requests are refused from now on`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
} finally {
  await close();
}
