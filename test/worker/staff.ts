/** Staff tokens for tests, created through the same code as `npm run staff:token`. */
import { createStaffToken, type Staff } from '../../worker/staff/tokens';
import { db } from './seed';

export async function token(role: Staff['role'], scopeType: Staff['scopeType'], scopeValue: string | null = null, name = `test ${role}`) {
  const { token } = await createStaffToken(db(), { name, role, scopeType, scopeValue, now: new Date().toISOString() });
  return token;
}

export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
