/**
 * `npm run outbox -- --to ADDRESS [--limit 20]`
 *
 * Prints the messages delivered to ADDRESS in the local outbox (where
 * `npm start` delivers every message: no account anywhere is needed),
 * newest first, one JSON object per line: to, channel, subject, text,
 * sent_at, id.
 */
import { parseArgs } from 'node:util';
import { outboxFor } from '../worker/messages/outbox';
import { openDatabase, PERSIST_DIR } from './local-db';

const USAGE = 'usage: npm run outbox -- --to ADDRESS [--limit 20]';

let values;
try {
  ({ values } = parseArgs({
    options: {
      to: { type: 'string' },
      limit: { type: 'string', default: '20' },
      'persist-to': { type: 'string', default: PERSIST_DIR },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const limit = Number(values.limit);
if (!values.to || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
  console.error(USAGE);
  process.exit(2);
}

const { db, close } = await openDatabase({ remote: false, persistTo: values['persist-to'] });
try {
  for (const entry of await outboxFor(db.$client, values.to, limit)) console.log(JSON.stringify(entry));
} finally {
  await close();
}
