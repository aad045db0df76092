/**
 * @module
 * The customer account API: sign-in by emailed code, the account, its
 * export and deletion. The pages (site/pages/connexion…, compte…) call the
 * same use cases.
 */
import { Hono } from 'hono';

export const accountRoutes = new Hono();
