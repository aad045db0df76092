/**
 * The server side of the mix bench: a local D1 state (migrated and seeded
 * exactly as package.json does), a staff token for the edits, and
 * `wrangler dev` serving the built Worker on that state, always stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs a command to completion, output captured; rejects (with its tail) on a non-zero exit or after `timeoutMs`. */
export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number; echo?: boolean }): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(output);
      else reject(new Error(`${command} ${args.join(' ')} ended with ${signal ?? `code ${code}`}:\n${output.slice(-2000)}`));
    });
  });
}

const quietEnv = (state: string): NodeJS.ProcessEnv => ({ GUICHET_STATE: state, WRANGLER_SEND_METRICS: 'false', CI: 'true' });

/** `npm run db:migrate && npm run db:seed` on `state`, as `npm start` does (the seed is a no-op when the network is whole). */
export async function prepareState(state: string, log: (line: string) => void): Promise<void> {
  log(`migrating ${state}`);
  await run(NPM, ['run', 'db:migrate'], { env: quietEnv(state), timeoutMs: 5 * 60_000 });
  log('seeding the demo network (a couple of minutes on a fresh state)');
  const out = await run(NPM, ['run', 'db:seed'], { env: quietEnv(state), timeoutMs: 15 * 60_000 });
  const last = out.trim().split('\n').filter((l) => /demo network|database holds/.test(l)).at(-1);
  if (last) log(last.trim());
}

/** A network-scoped staff token with the `hours` role (weekly rules and exceptions), made before the server starts. */
export async function createStaffToken(state: string): Promise<{ id: string; secret: string }> {
  const out = await run(NPM, ['run', 'staff:token', '--', '--name', 'bench mix (npm run bench:mix)', '--role', 'hours', '--scope', 'network'], {
    env: quietEnv(state), timeoutMs: 120_000,
  });
  const id = /token (stf_[\w-]+) created/.exec(out)?.[1];
  const secret = /(gst_[\w-]+)/.exec(out)?.[1];
  if (!id || !secret) throw new Error(`staff:token printed no token:\n${out}`);
  return { id, secret };
}

export async function revokeStaffToken(state: string, id: string): Promise<void> {
  await run(NPM, ['run', 'staff:revoke', '--', '--id', id], { env: quietEnv(state), timeoutMs: 120_000 });
}

export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
    server.on('error', reject);
  });
}

/**
 * The built Worker's wrangler.json with absolute paths, written in `dir`, so
 * that the bench leaves dist/ as the build made it. Without the anonymous
 * search limit unless asked (`keepSearchLimit`): 64 clients on one loopback
 * address stand for thousands of users, whom the per-address limit (120 a
 * minute) would not stop; the bench measures the search, as bench:locator does.
 */
export function benchConfig(dir: string, keepSearchLimit: boolean, dist = join(ROOT, 'dist')): string {
  const serverDir = join(dist, 'server');
  const source = join(serverDir, 'wrangler.json');
  if (!existsSync(source)) throw new Error(`${source} is missing: run \`npm run build\` first`);
  const config = JSON.parse(readFileSync(source, 'utf8'));
  config.main = resolve(serverDir, config.main);
  if (config.assets?.directory) config.assets.directory = resolve(serverDir, config.assets.directory);
  for (const db of config.d1_databases ?? []) if (db.migrations_dir) db.migrations_dir = resolve(serverDir, db.migrations_dir);
  if (!keepSearchLimit) config.ratelimits = (config.ratelimits ?? []).filter((r: { name: string }) => r.name !== 'SEARCH_LIMITER');
  // wrangler resolves no_bundle modules from the entry's folder; the config's own location no longer matters.
  const path = join(dir, 'wrangler.mix.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

export interface Server {
  child: ChildProcess;
  base: string;
  /** Last lines wrangler printed, for error reports. */
  log: () => string;
  stop: () => Promise<void>;
}

/** `wrangler dev` like package.json's `serve`, on `port`, in its own process group; resolves once `/` answers 200. */
export async function startServer(options: { config: string; state: string; port: number; readyTimeoutMs: number }): Promise<Server> {
  const { config, state, port } = options;
  const child = spawn(join(ROOT, 'node_modules/.bin/wrangler'), [
    'dev', '-c', config, '--persist-to', state, '--port', String(port), '--ip', '127.0.0.1',
    '--var', `SITE_ORIGIN:http://localhost:${port}`,
  ], { cwd: ROOT, env: { ...process.env, ...quietEnv(state) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });

  const stop = async () => {
    if (exited || !child.pid) return;
    const group = -child.pid;
    try {
      process.kill(group, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 50 && !exited; i++) await new Promise((r) => setTimeout(r, 200));
    if (!exited) {
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + options.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`wrangler dev exited before answering:\n${tail}`);
    try {
      const response = await fetch(`${base}/`, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      if (response.status === 200) return { child, base, log: () => tail, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(`wrangler dev did not answer 200 on / within ${options.readyTimeoutMs / 1000} s:\n${tail}`);
}

/** CPU time (user + system, ms) used so far by a process and all its descendants, from /proc (Linux); undefined elsewhere. */
export function processTreeCpuMs(rootPid: number): number | undefined {
  try {
    const ticks = 100; // USER_HZ on Linux
    const parents = new Map<number, number>();
    const cpu = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // ended meanwhile
      }
      // Fields after the command name (which may hold spaces), in parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      cpu.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    }
    if (!cpu.has(rootPid)) return undefined;
    let total = 0;
    const stack = [rootPid];
    const seen = new Set<number>();
    while (stack.length) {
      const pid = stack.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      total += cpu.get(pid) ?? 0;
      for (const [child, parent] of parents) if (parent === pid) stack.push(child);
    }
    return (total * 1000) / ticks;
  } catch {
    return undefined;
  }
}

/** CPU time (ms) the whole machine spent busy so far, all cores, from /proc/stat (Linux); undefined elsewhere. */
export function machineBusyCpuMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user + nice + system + irq + softirq + (steal || 0)) * 1000) / 100;
  } catch {
    return undefined;
  }
}
