// The layering rules of DESIGN.md and STYLE.md B.1, checked on the source text: dependencies
// point one way (cli → io → lns | lac → session → l2tp, ppp, chap → core), and nothing outside
// src/io and src/cli touches sockets, files, timers, clocks or randomness. docs/ARCHITECTURE.md.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const files = [...walk(SRC)].map((p) => ({ path: relative(SRC, p), text: readFileSync(p, 'utf8') }));
const layerOf = (path: string): string => path.split('/')[0]!.replace(/\.ts$/, '');

/** Which top-level folders each folder may import from. */
const ALLOWED: Record<string, readonly string[]> = {
  core: ['core'],
  chap: ['chap', 'core'],
  l2tp: ['l2tp', 'core'],
  ppp: ['ppp', 'core'],
  session: ['session', 'l2tp', 'ppp', 'chap', 'core'],
  // The two roles sit side by side on the session layer: neither imports the other.
  lns: ['lns', 'session', 'l2tp', 'ppp', 'chap', 'core'],
  lac: ['lac', 'session', 'l2tp', 'ppp', 'chap', 'core'],
  io: ['io', 'lns', 'lac', 'session', 'l2tp', 'ppp', 'chap', 'core'],
  cli: ['cli', 'fuzz', 'io', 'lns', 'lac', 'session', 'l2tp', 'ppp', 'chap', 'core'],
  fuzz: ['fuzz', 'io', 'lns', 'lac', 'session', 'l2tp', 'ppp', 'chap', 'core'],
  bench: ['bench', 'io', 'lns', 'lac', 'session', 'l2tp', 'ppp', 'chap', 'core'],
  index: ['io', 'lns', 'lac', 'session', 'l2tp', 'ppp', 'chap', 'core'],
};
const IO_LAYERS = new Set(['io', 'cli', 'fuzz', 'bench', 'index']);
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
