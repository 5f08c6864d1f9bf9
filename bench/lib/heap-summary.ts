// Reads a V8 heap snapshot (.heapsnapshot) and sums self sizes by (node type, constructor name), so
// two snapshots can be diffed per session: "where do the bytes of one session go".
// Related: bench/memory.ts, bench/lib/lns-child.ts ("heap FILE").
import { readFileSync } from 'node:fs';

/** Bytes and object count of one (type, name) group. */
export interface HeapGroup {
  readonly key: string;
  count: number;
  bytes: number;
}

/** Groups every node of `file` by `type:name` (strings and numbers by type only). */
export function summarizeHeap(file: string): Map<string, HeapGroup> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + iType]!] ?? '?';
    const named = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden';
    const name = named ? (snap.strings[nodes[i + iName]!] ?? '?') : '';
    const key = named ? `${type}:${name}` : type;
    let g = groups.get(key);
    if (g === undefined) {
      g = { key, count: 0, bytes: 0 };
      groups.set(key, g);
    }
    g.count++;
    g.bytes += nodes[i + iSize]!;
  }
  return groups;
}

/** The groups that grew from `before` to `after`, per session, largest first. */
export function heapGrowthPerSession(
  before: Map<string, HeapGroup>,
  after: Map<string, HeapGroup>,
  sessions: number,
  top = 25,
): { key: string; objectsPerSession: number; bytesPerSession: number }[] {
  const rows = [...after.values()].map((a) => {
    const b = before.get(a.key);
    return {
      key: a.key,
      objectsPerSession: (a.count - (b?.count ?? 0)) / sessions,
      bytesPerSession: (a.bytes - (b?.bytes ?? 0)) / sessions,
    };
  });
  return rows.sort((x, y) => y.bytesPerSession - x.bytesPerSession).slice(0, top);
}

/**
 * Every node of `file` grouped by the path that first retains it, up to the nearest object of a
 * named class ("PppLink.lcp > object:ControlProtocol", "Fifo.items > Array.elements > array"):
 * which field of which engine holds the bytes. Weak and shortcut edges are not followed.
 */
export function summarizeByRetainer(file: string): Map<string, HeapGroup> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: {
      meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
    };
    nodes: number[];
    edges: number[];
    strings: string[];
  };
  const m = snap.snapshot.meta;
  const nf = m.node_fields;
  const ef = m.edge_fields;
  const nodeTypes = m.node_types[0];
  const edgeTypes = m.edge_types[0];
  const W = nf.length;
  const EW = ef.length;
  const [iT, iN, iS, iE] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [
    number,
    number,
    number,
    number,
  ];
  const [eT, eN, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [number, number, number];
  const { nodes, edges, strings } = snap;
  const count = nodes.length / W;
  const retainer = new Int32Array(count).fill(-1);
  const via = new Int32Array(count).fill(-1);
  for (let n = 0, e = 0; n < count; n++) {
    for (let k = nodes[n * W + iE]!; k > 0; k--, e += EW) {
      const t = edgeTypes[edges[e + eT]!];
      if (t === 'weak' || t === 'shortcut') continue;
      const to = edges[e + eTo]! / W;
      if (retainer[to] === -1) {
        retainer[to] = n;
        via[to] = e;
      }
    }
  }
  const type = (n: number): string => nodeTypes[nodes[n * W + iT]!] ?? '?';
  const name = (n: number): string => strings[nodes[n * W + iN]!] ?? '?';
  const named = (n: number): boolean => ['object', 'closure', 'hidden', 'native'].includes(type(n));
  const generic = new Set(['Object', 'Array', 'Map', 'Set', 'system / Context', 'system / PropertyArray', '']);
  const edgeName = (e: number): string => {
    const t = edgeTypes[edges[e + eT]!];
    return t === 'element' || t === 'hidden' ? '[]' : (strings[edges[e + eN]!] ?? '?');
  };
  const groups = new Map<string, HeapGroup>();
  for (let n = 0; n < count; n++) {
    let path = named(n) ? `${type(n)}:${name(n)}` : type(n);
    let cur = n;
    for (let hop = 0; hop < 5; hop++) {
      const r = retainer[cur]!;
      if (r < 0) break;
      const owner = type(r) === 'object' || type(r) === 'closure' ? name(r) : type(r);
      path = `${owner}.${edgeName(via[cur]!)} > ${path}`;
      cur = r;
      if ((type(r) === 'object' || type(r) === 'closure') && !generic.has(name(r))) break;
    }
    let g = groups.get(path);
    if (g === undefined) {
      g = { key: path, count: 0, bytes: 0 };
      groups.set(path, g);
    }
    g.count++;
    g.bytes += nodes[n * W + iS]!;
  }
  return groups;
}
