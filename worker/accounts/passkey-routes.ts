/**
 * @module
 * Passkeys (WebAuthn): adding one to an account, signing in with one.
 */
import { Hono } from 'hono';

export const passkeyRoutes = new Hono();
