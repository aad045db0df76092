/**
 * The rules of dependency (docs/architecture.md), checked on the import
 * statements of every file under db/ and worker/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return /\.(ts|mts|js)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Repository-relative paths (without extension) a file imports; packages are left out. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)]
    .map((match) => match[1] ?? match[2] ?? match[3])
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => relative(ROOT, resolve(join(ROOT, dirname(file)), specifier)));
}

const files = [...sources('db'), ...sources('worker')];

/** `worker/<capability>/…` → the capability; the kernel and the root files are not capabilities. */
const NOT_CAPABILITIES = new Set(['http']);
function capabilityOf(path: string): string | undefined {
  const parts = path.split('/');
  return parts[0] === 'worker' && parts.length > 2 && !NOT_CAPABILITIES.has(parts[1]) ? parts[1] : undefined;
}

/** Edges between capability folders, each with one file import that makes it. */
function capabilityEdges(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const file of files) {
    const from = capabilityOf(file);
    if (!from) continue;
    for (const target of importsOf(file)) {
      const to = capabilityOf(target);
      if (!to || to === from) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, `${file} → ${target}`);
    }
  }
  return edges;
}

/** Every strongly connected group of more than one capability (Tarjan), as its cycle-making edges. */
function cycles(edges: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let counter = 0;
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return groups.map((group) =>
    group.flatMap((from) => group.filter((to) => edges.get(from)?.has(to)).map((to) => `${from} → ${to} (${edges.get(from)!.get(to)})`)),
  );
}

describe('the rules of dependency', () => {
  it('finds the imports it checks', () => {
    expect(importsOf('db/schema.ts')).toContain('db/vocabulary');
    expect(capabilityEdges().size).toBeGreaterThan(3);
  });

  it('db/ imports nothing from worker/', () => {
    const wrong = sources('db').flatMap((file) => importsOf(file).filter((target) => !target.startsWith('db/')).map((target) => `${file} → ${target}`));
    expect(wrong).toEqual([]);
  });

  it('the http kernel imports no capability, nor the Worker root', () => {
    const wrong = sources('worker/http').flatMap((file) =>
      importsOf(file).filter((target) => !target.startsWith('worker/http/')).map((target) => `${file} → ${target}`),
    );
    expect(wrong).toEqual([]);
  });

  it('the Worker imports nothing from the Node-only tools', () => {
    const wrong = files.flatMap((file) => importsOf(file).filter((target) => target.startsWith('tools/')).map((target) => `${file} → ${target}`));
    expect(wrong).toEqual([]);
  });

  it('no import cycle between capability folders', () => {
    expect(cycles(capabilityEdges())).toEqual([]);
  });
});
