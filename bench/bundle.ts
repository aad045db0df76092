/**
 * `npm run bench:bundle [-- --dist DIR --out FILE]`
 *
 * The Worker's upload size, as Cloudflare counts it, against the free
 * plan's limit (3 MB compressed): `wrangler deploy --dry-run` on the built
 * Worker (`npm run build` first), which bundles nothing and uploads
 * nothing, and prints "Total Upload: X KiB / gzip: Y KiB". Prints both and
 * writes bench/results/bundle.json. `--dist` measures another build (an
 * older commit's, to compare).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
/**
 * Workers Free: 3 MB after compression (developers.cloudflare.com/workers/platform/limits/#worker-size),
 * read as 3,000,000 bytes, the smaller of the two meanings.
 */
const FREE_PLAN_LIMIT_KIB = Number((3_000_000 / 1024).toFixed(1));

const { values } = parseArgs({
  options: {
    dist: { type: 'string', default: 'dist' },
    out: { type: 'string', default: 'bench/results/bundle.json' },
  },
});
const dist = resolve(values.dist!);
const config = join(dist, 'server/wrangler.json');
if (!existsSync(config)) {
  console.error(`${config} is missing: run \`npm run build\` first`);
  process.exit(1);
}

const outdir = mkdtempSync(join(tmpdir(), 'guichet-bundle-'));
let output: string;
try {
  output = execFileSync(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '-c', config, '--outdir', outdir], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
const sizes = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(output);
if (!sizes) {
  console.error(`wrangler printed no "Total Upload" line:\n${output.slice(-2000)}`);
  process.exit(1);
}
const [total, gzip] = [Number(sizes[1]), Number(sizes[2])];
const git = (...args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: dist === resolve(ROOT, 'dist') ? ROOT : dirname(dist), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};
const result = {
  bench: 'bundle',
  date: new Date().toISOString(),
  commit: git('rev-parse', '--short', 'HEAD'),
  working_tree_modified: (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '',
  dist: dist === resolve(ROOT, 'dist') ? 'dist' : dist,
  total_upload_kib: total,
  gzip_kib: gzip,
  free_plan_limit_gzip_kib: FREE_PLAN_LIMIT_KIB,
  share_of_limit: Number((gzip / FREE_PLAN_LIMIT_KIB).toFixed(3)),
};
mkdirSync(dirname(resolve(values.out!)), { recursive: true });
writeFileSync(resolve(values.out!), `${JSON.stringify(result, null, 2)}\n`);
console.log(`Worker upload: ${total} KiB, ${gzip} KiB gzip (${(result.share_of_limit * 100).toFixed(0)} % of the free plan's ${FREE_PLAN_LIMIT_KIB} KiB)`);
