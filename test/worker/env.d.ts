// Bindings the Workers test pool provides (wrangler.toml plus the migrations).
declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
    /** The local receiver standing in for publication targets (test/worker/receiver.ts). */
    RECEIVER_URL: string;
    SELECTION_SIGNING_KEY?: string;
  }
}
