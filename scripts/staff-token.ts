/**
 * `npm run staff:token -- --name "Bureau de Sartrouville" --role exceptions --scope office:15015A`
 * `npm run staff:token -- --name "Guichet 2, Sartrouville" --role counter --office 15015A`
 *
 * Creates a staff token and prints it once: only its SHA-256 digest is kept.
 * Roles: `exceptions` (declare/remove exceptions), `hours` (also weekly rules
 * and bulk exceptions), `counter` (recognise customers at the counter of one
 * office, nothing else). Scopes: `office:<id>` (or `--office <id>`),
 * `department:<code>`, `network`; a `counter` token is scoped to one office.
 */
import { parseArgs } from 'node:util';
import { createStaffToken } from '../worker/staff/tokens';
import { openDatabase, PERSIST_DIR } from './local-db';

const USAGE = 'usage: npm run staff:token -- --name "<holder>" --role exceptions|hours|counter --scope office:<id>|department:<code>|network (or --office <id>) [--expires YYYY-MM-DD] [--remote]';
const ROLES = ['exceptions', 'hours', 'counter'] as const;

let values;
try {
  ({ values } = parseArgs({
    options: {
      name: { type: 'string' },
      role: { type: 'string', default: 'exceptions' },
      scope: { type: 'string' },
      office: { type: 'string' },
      expires: { type: 'string' },
      remote: { type: 'boolean', default: false },
      'persist-to': { type: 'string', default: PERSIST_DIR },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}

/** `--expires YYYY-MM-DD`: the token is refused from 00:00 UTC that day. A date that does not exist or is past is an error. */
function expiryOf(text: string | undefined): string | null {
  if (text === undefined) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  const instant = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!match || !instant || Number.isNaN(instant.getTime()) || instant.toISOString().slice(0, 10) !== text.trim()) {
    console.error(`--expires "${text}" is not a date: expected YYYY-MM-DD, e.g. --expires 2027-06-30 (the token is refused from that day, 00:00 UTC).`);
    process.exit(2);
  }
  if (instant.getTime() <= Date.now()) {
    console.error(`--expires ${text} is not in the future: the token would never work.`);
    process.exit(2);
  }
  return instant.toISOString();
}
const expiresAt = expiryOf(values.expires);

if (values.office !== undefined && values.scope !== undefined) {
  console.error(`give --office or --scope, not both.\n${USAGE}`);
  process.exit(2);
}
const scope = values.office !== undefined ? `office:${values.office}` : values.scope ?? '';
const [scopeType, scopeValue = null] = scope.split(':');
if (!values.name || !(ROLES as readonly string[]).includes(values.role!) || !['office', 'department', 'network'].includes(scopeType)
  || (scopeType !== 'network' && !scopeValue)) {
  console.error(USAGE);
  process.exit(2);
}
// The counter session's office is the token's: it must name exactly one.
if (values.role === 'counter' && scopeType !== 'office') {
  console.error(`a counter token is scoped to one office: --office <id> (got --scope ${scope}).`);
  process.exit(2);
}

const { db, close, where } = await openDatabase({ remote: values.remote, persistTo: values['persist-to'] });
try {
  const { id, token } = await createStaffToken(db, {
    name: values.name,
    role: values.role as (typeof ROLES)[number],
    scopeType: scopeType as 'office' | 'department' | 'network',
    scopeValue: scopeType === 'network' ? null : scopeValue!.toUpperCase(),
    now: new Date().toISOString(),
    expiresAt,
  });
  console.log(`token ${id} created in ${where} for "${values.name}" (${values.role}, ${scope})${expiresAt ? `, refused from ${expiresAt}` : ''}.`);
  console.log(`revoke it with: npm run staff:revoke -- --id ${id}`);
  console.log(`secret (shown once, store it safely): ${token}`);
} finally {
  await close();
}
