/**
 * `npm run staff:token -- --name "Bureau de Sartrouville" --role exceptions --scope office:15015A`
 *
 * Creates a staff token and prints it once: only its SHA-256 digest is kept.
 * Roles: `exceptions` (declare/remove exceptions), `hours` (also weekly rules
 * and bulk exceptions). Scopes: `office:<id>`, `department:<code>`, `network`.
 */
import { parseArgs } from 'node:util';
import { createStaffToken } from '../worker/staff/tokens';
import { openDatabase, PERSIST_DIR } from './local-db';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    role: { type: 'string', default: 'exceptions' },
    scope: { type: 'string' },
    expires: { type: 'string' },
    remote: { type: 'boolean', default: false },
    'persist-to': { type: 'string', default: PERSIST_DIR },
  },
});

const [scopeType, scopeValue = null] = (values.scope ?? '').split(':');
if (!values.name || !['exceptions', 'hours'].includes(values.role!) || !['office', 'department', 'network'].includes(scopeType)
  || (scopeType !== 'network' && !scopeValue)) {
  console.error('usage: npm run staff:token -- --name "<holder>" --role exceptions|hours --scope office:<id>|department:<code>|network [--expires YYYY-MM-DD] [--remote]');
  process.exit(2);
}

const { db, close, where } = await openDatabase({ remote: values.remote, persistTo: values['persist-to'] });
try {
  const { id, token } = await createStaffToken(db, {
    name: values.name,
    role: values.role as 'exceptions' | 'hours',
    scopeType: scopeType as 'office' | 'department' | 'network',
    scopeValue: scopeType === 'network' ? null : scopeValue!.toUpperCase(),
    now: new Date().toISOString(),
    expiresAt: values.expires ? new Date(values.expires).toISOString() : null,
  });
  console.log(`token ${id} created in ${where} for "${values.name}" (${values.role}, ${values.scope}).`);
  console.log(`secret (shown once, store it safely): ${token}`);
} finally {
  await close();
}
