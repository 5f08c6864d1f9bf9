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
