// The layering rules of DESIGN.md and STYLE.md B.1, checked on the source text: dependencies
// point one way (cli → io → lns | lac → session → l2tp, ppp, chap, radius → core), and nothing
// outside src/io and src/cli touches sockets, files, timers, clocks or randomness; there is no
// import cycle; lac/ and lns/ do not import each other; only src/io imports sockets or FFI.
// Related: docs/ARCHITECTURE.md (its import table is compared with ALLOWED below).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const files = [...walk(SRC)].map((p) => ({ path: relative(SRC, p), text: readFileSync(p, 'utf8') }));
const layerOf = (path: string): string => path.split('/')[0]!.replace(/\.ts$/, '');
/** bench/ sits beside src/: its imports of src/ follow the `bench` rule (it may use clocks and sockets). */
const benchFiles = [...walk(join(ROOT, 'bench'))].map((p) => ({
  path: relative(ROOT, p),
  text: readFileSync(p, 'utf8'),
}));

/** Which top-level folders each folder may import from. */
const ALLOWED: Record<string, readonly string[]> = {
  core: ['core'],
  chap: ['chap', 'core'],
  l2tp: ['l2tp', 'core'],
  ppp: ['ppp', 'core'],
  radius: ['radius', 'core'],
  session: ['session', 'l2tp', 'ppp', 'chap', 'core'],
  // The two roles sit side by side on the session layer: neither imports the other.
  lns: ['lns', 'session', 'l2tp', 'ppp', 'chap', 'radius', 'core'],
  lac: ['lac', 'session', 'l2tp', 'ppp', 'chap', 'core'],
  io: ['io', 'fuzz', 'lns', 'lac', 'session', 'l2tp', 'ppp', 'chap', 'radius', 'core'],
  cli: ['cli', 'fuzz', 'io', 'lns', 'lac', 'session', 'l2tp', 'ppp', 'chap', 'radius', 'core'],
  fuzz: ['fuzz', 'lns', 'lac', 'session', 'l2tp', 'ppp', 'chap', 'core'],
  bench: ['bench', 'io', 'lns', 'lac', 'session', 'l2tp', 'ppp', 'chap', 'core'],
  index: ['io', 'lns', 'lac', 'session', 'l2tp', 'ppp', 'chap', 'radius', 'core'],
};
const IO_LAYERS = new Set(['io', 'cli', 'bench', 'index']);

/** Folder → sorted allowed folders, for comparing the map with the document. */
const normalized = (m: Record<string, readonly string[]>): Record<string, string[]> =>
  Object.fromEntries(
    Object.entries(m)
      .map(([k, v]) => [k, [...v].sort()] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );

/**
 * The table under "## Who may import whom" in docs/ARCHITECTURE.md as folder → allowed folders:
 * each row's first cell names the folder (`src/index.ts` is `index`), the second lists every folder
 * it may import, each in backticks.
 */
function importTableOf(markdown: string): Record<string, string[]> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Who may import whom'));
  if (section === undefined) return {};
  const ticked = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  const out: Record<string, string[]> = {};
  for (const line of section.split('\n')) {
    const cells = line.split('|').slice(1, -1);
    if (cells.length < 2 || /^\s*-+\s*$/.test(cells[0]!) || cells[0]!.trim() === 'folder') continue;
    const folder = ticked(cells[0]!)[0];
    if (folder === undefined) continue;
    out[folder === 'src/index.ts' ? 'index' : folder] = ticked(cells[1]!);
  }
  return normalized(out);
}
const FORBIDDEN_IN_CORE: readonly [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'Date.now'],
  [/\bnew Date\s*\(/, 'new Date'],
  [/\bperformance\.now\s*\(/, 'performance.now'],
  [/\bsetTimeout\s*\(/, 'setTimeout'],
  [/\bsetInterval\s*\(/, 'setInterval'],
  [/\bsetImmediate\s*\(/, 'setImmediate'],
  [/\bMath\.random\s*\(/, 'Math.random'],
  [/\brandomBytes\b|\brandomInt\b|\bgetRandomValues\b|\brandomFillSync\b/, 'crypto randomness'],
  [/from ['"]node:(dgram|fs|net|fs\/promises|child_process|os)['"]/, 'node I/O module'],
  [/from ['"]koffi['"]/, 'koffi'],
];

describe('architecture', () => {
  it('found the sources', () => {
    expect(files.length).toBeGreaterThan(3);
    expect(benchFiles.length).toBeGreaterThan(3);
  });

  for (const { path, text } of benchFiles) {
    it(`${path}: imports only from the layers bench may use`, () => {
      for (const m of text.matchAll(/from ['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = relative(ROOT, join(ROOT, path, '..', m[1]!));
        if (target.startsWith('test/support/')) continue; // the netns and process helpers the tests share
        const layer = target.startsWith('src/') ? layerOf(relative(SRC, join(ROOT, target))) : layerOf(target);
        expect(ALLOWED.bench, `${path} imports ${m[1]}`).toContain(layer);
      }
    });
  }

  it('docs/ARCHITECTURE.md "Who may import whom" is the ALLOWED map, row for row', () => {
    expect(importTableOf(readFileSync(join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8'))).toEqual(normalized(ALLOWED));
  });

  for (const { path, text } of files) {
    const layer = layerOf(path);
    it(`${path}: imports only from allowed layers`, () => {
      const allowed = ALLOWED[layer];
      expect(allowed, `no layer rule for src/${layer}`).toBeDefined();
      for (const m of text.matchAll(/from ['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = relative(SRC, join(SRC, path, '..', m[1]!));
        expect(target.startsWith('..'), `${path} imports outside src: ${m[1]}`).toBe(false);
        expect(allowed, `${path} imports ${m[1]}`).toContain(layerOf(target));
      }
    });
    if (!IO_LAYERS.has(layer)) {
      it(`${path}: is sans-IO (no clock, timer, socket, file or randomness)`, () => {
        for (const [re, what] of FORBIDDEN_IN_CORE) expect(re.test(text), `${path} uses ${what}`).toBe(false);
      });
    }
  }
});

// ---- Whole-graph rules: cycles, lac ↔ lns, sockets and FFI ----

/** Every module specifier a file names: static and side-effect imports, re-exports, import(), require(). */
function specifiersOf(text: string): string[] {
  const code = text
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
    .join('\n');
  const out: string[] = [];
  for (const m of code.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of code.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

/** The src-relative .ts file a relative specifier of `from` names, or undefined (a package, a node: module). */
function resolveInSrc(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const target = relative(SRC, join(SRC, from, '..', spec)).replace(/\.js$/, '.ts');
  return existsSync(join(SRC, target)) ? target : undefined;
}

/** src-relative file → the src files it imports (type-only imports included: they are edges of the design too). */
const graph = new Map(
  files.map(({ path, text }) => [
    path,
    [...new Set(specifiersOf(text).flatMap((spec) => resolveInSrc(path, spec) ?? []))].sort(),
  ]),
);

/**
 * Import cycles as paths a → b → … → a, found by a depth-first search with open/done marking: at
 * least one in every set of files that import each other round, none when the graph is acyclic.
 */
function importCycles(g: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of g.get(node) ?? []) {
      const s = state.get(next);
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...g.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

/** Modules only src/io may import: sockets and the FFI. */
const IO_ONLY_MODULES = /^(node:)?(dgram|net)$|^koffi$/;

describe('architecture: the import graph', () => {
  it('resolved the relative imports', () => {
    expect([...graph.values()].flat().length).toBeGreaterThan(files.length);
  });

  it('src/ has no import cycle', () => {
    expect(importCycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('the cycle search finds a cycle (self-test)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
    ]);
    expect(importCycles(g)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('lac/ and lns/ import neither each other', () => {
    const crossing = [...graph].flatMap(([from, tos]) =>
      tos
        .filter((to) => {
          const pair = `${layerOf(from)}>${layerOf(to)}`;
          return pair === 'lac>lns' || pair === 'lns>lac';
        })
        .map((to) => `${from} -> ${to}`),
    );
    expect(crossing).toEqual([]);
  });

  it('only src/io imports sockets (node:dgram, node:net) or the FFI (koffi)', () => {
    const offending = files.flatMap(({ path, text }) =>
      layerOf(path) === 'io'
        ? []
        : specifiersOf(text)
            .filter((spec) => IO_ONLY_MODULES.test(spec))
            .map((spec) => `${path}: ${spec}`),
    );
    expect(offending).toEqual([]);
    // Self-test: the pattern sees each spelling.
    for (const spec of ['dgram', 'node:dgram', 'net', 'node:net', 'koffi'])
      expect(IO_ONLY_MODULES.test(spec), spec).toBe(true);
    expect(IO_ONLY_MODULES.test('node:netlink'), 'node:netlink').toBe(false);
  });
});
