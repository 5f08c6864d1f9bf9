// What an engine still holds: walks the object graph of an engine (its fields, their fields, …)
// and lists every Map, Set, Fifo and DeadlineHeap that is not empty, by the path that reaches it.
// A state leak in a new map is found without the test naming it. Related: test/sim/engine-empty.test.ts.
import { DeadlineHeap } from '../../src/core/deadline-heap.js';
import { Fifo } from '../../src/core/fifo.js';

/** One non-empty container: `path` from the root ("bridge.endpoint.byId") and its size. */
export interface Retained {
  readonly path: string;
  readonly size: number;
}

/**
 * Every non-empty container reachable from `root` through own fields (functions, typed arrays
 * and the paths in `skip`, configuration that is meant to stay, are not followed). Each object is
 * visited once, by the first path found (fields in declaration order).
 */
export function retainedState(root: object, skip: readonly string[] = []): Retained[] {
  const out: Retained[] = [];
  const seen = new Set<object>();
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
    if (skip.some((s) => path === s || path.endsWith(`.${s}`))) return;
    seen.add(value);
    if (value instanceof Map || value instanceof Set) {
      if (value.size > 0) out.push({ path, size: value.size });
      return;
    }
    if (value instanceof Fifo) {
      if (value.length > 0) out.push({ path, size: value.length });
      return;
    }
    if (value instanceof DeadlineHeap) {
      if (value.size > 0) out.push({ path, size: value.size });
      // Its own fields are walked too: no stale entry may be left behind in its arrays.
    }
    if (Array.isArray(value)) {
      // Arrays are state too (a list grown per session and never trimmed is a leak).
      if (value.length > 0) out.push({ path, size: value.length });
      return;
    }
    for (const [k, v] of Object.entries(value)) walk(v, path === '' ? k : `${path}.${k}`);
  };
  walk(root, '');
  return out;
}
