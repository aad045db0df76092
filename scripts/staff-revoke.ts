/**
 * `npm run staff:revoke -- --id stf_…` (or `--token gst_…` when its holder reports it leaked) [--remote]
 *
 * Revokes a staff token at once: API calls with it get 401 and its
 * sign-in sessions end. The id is printed when the token is created.
 */
import { parseArgs } from 'node:util';
import { revokeStaffToken } from '../worker/staff/tokens';
import { openDatabase, PERSIST_DIR } from './local-db';

const USAGE = 'usage: npm run staff:revoke -- --id stf_<…> | --token gst_<…> [--remote]';

let values;
try {
  ({ values } = parseArgs({
    options: {
      id: { type: 'string' },
      token: { type: 'string' },
      remote: { type: 'boolean', default: false },
      'persist-to': { type: 'string', default: PERSIST_DIR },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (Boolean(values.id) === Boolean(values.token) || (values.id && !/^stf_[\w-]{1,80}$/.test(values.id)) || (values.token && !values.token.startsWith('gst_'))) {
  console.error(USAGE);
  process.exit(2);
}

const { db, close, where } = await openDatabase({ remote: values.remote, persistTo: values['persist-to'] });
try {
  const revoked = await revokeStaffToken(db, { id: values.id, token: values.token }, new Date().toISOString());
  if (!revoked) {
    console.error(`no staff token ${values.id ?? '(given secret)'} in ${where}.`);
    process.exitCode = 1;
  } else if (revoked.alreadyRevoked) {
    console.log(`token ${revoked.id} ("${revoked.name}") was already revoked in ${where}.`);
  } else {
    console.log(`token ${revoked.id} ("${revoked.name}") revoked in ${where}; its sessions are closed.`);
  }
} finally {
  await close();
}
