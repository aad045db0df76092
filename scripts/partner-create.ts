/**
 * `npm run partner:create -- --name "Boutique" --origin https://shop.example [--origin …] [--remote]`
 *
 * Creates a partner and prints its publishable key (for the widget, public)
 * and its secret key (for its server, shown once). Only digests are kept.
 */
import { parseArgs } from 'node:util';
import { createPartner } from '../worker/partners/keys';
import { openDatabase, PERSIST_DIR } from './local-db';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    origin: { type: 'string', multiple: true },
    remote: { type: 'boolean', default: false },
    'persist-to': { type: 'string', default: PERSIST_DIR },
  },
});
const origins = (values.origin ?? []).map((o) => {
  try {
    const url = new URL(o);
    return url.origin === o.replace(/\/$/, '') ? url.origin : '';
  } catch {
    return '';
  }
});
if (!values.name || origins.length === 0 || origins.includes('')) {
  console.error('usage: npm run partner:create -- --name "<partner>" --origin https://shop.example [--origin …] [--remote]');
  process.exit(2);
}
const { db, close, where } = await openDatabase({ remote: values.remote, persistTo: values['persist-to'] });
try {
  const keys = await createPartner(db, { name: values.name, allowedOrigins: origins, now: new Date().toISOString() });
  console.log(`partner ${keys.id} created in ${where} for ${origins.join(', ')}`);
  console.log(`publishable key (widget, public): ${keys.publishableKey}`);
  console.log(`secret key (server, shown once):  ${keys.secretKey}`);
  console.log(`revoke both with: npm run partner:revoke -- --id ${keys.id}`);
} finally {
  await close();
}
