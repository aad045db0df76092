/**
 * `npm run partner:revoke -- --id ptn_…` (or `--key pk_…|sk_…`) [--remote]
 *
 * Revokes a partner's publishable and secret keys at once: its widget and
 * API calls are refused, and its server can no longer verify choices. The id
 * is printed when the partner is created.
 */
import { parseArgs } from 'node:util';
import { revokePartner } from '../worker/partners/keys';
import { openDatabase, PERSIST_DIR } from './local-db';

const USAGE = 'usage: npm run partner:revoke -- --id ptn_<…> | --key pk_<…>|sk_<…> [--remote]';

let values;
try {
  ({ values } = parseArgs({
    options: {
      id: { type: 'string' },
      key: { type: 'string' },
      remote: { type: 'boolean', default: false },
      'persist-to': { type: 'string', default: PERSIST_DIR },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (Boolean(values.id) === Boolean(values.key) || (values.id && !/^ptn_[\w-]{1,80}$/.test(values.id)) || (values.key && !/^(pk|sk)_[\w-]{8,80}$/.test(values.key))) {
  console.error(USAGE);
  process.exit(2);
}

const { db, close, where } = await openDatabase({ remote: values.remote, persistTo: values['persist-to'] });
try {
  const revoked = await revokePartner(db, { id: values.id, key: values.key }, new Date().toISOString());
  if (!revoked) {
    console.error(`no partner ${values.id ?? '(given key)'} in ${where}.`);
    process.exitCode = 1;
  } else if (revoked.alreadyRevoked) {
    console.log(`partner ${revoked.id} ("${revoked.name}") was already revoked in ${where}.`);
  } else {
    console.log(`partner ${revoked.id} ("${revoked.name}") revoked in ${where}: both its keys are refused from now on.`);
  }
} finally {
  await close();
}
