/**
 * `npm run publication:retry [-- --target indexnow|google] [--remote]`
 *
 * Sends again, with the next cron run, the pushes a target refused for good
 * (listed under `failed` at /api/v1/hours/publication), once the cause is
 * fixed. Nothing else changes.
 */
import { parseArgs } from 'node:util';
import { requeueFailed } from '../worker/publication/job';
import { openDatabase, PERSIST_DIR } from './local-db';

const USAGE = 'usage: npm run publication:retry -- [--target indexnow|google] [--remote]';

let values;
try {
  ({ values } = parseArgs({
    options: {
      target: { type: 'string' },
      remote: { type: 'boolean', default: false },
      'persist-to': { type: 'string', default: PERSIST_DIR },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const target = values.target;
if (target !== undefined && target !== 'indexnow' && target !== 'google') {
  console.error(`--target: indexnow or google expected, got "${target}"\n${USAGE}`);
  process.exit(2);
}

const { db, close, where } = await openDatabase({ remote: values.remote, persistTo: values['persist-to'] });
try {
  const requeued = await requeueFailed(db, new Date(), target);
  console.log(`${requeued} push(es) set aside put back in the queue in ${where}: they go out with the next run.`);
} finally {
  await close();
}
