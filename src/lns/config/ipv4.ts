// IPv4 addresses and ranges as unsigned 32-bit numbers: the parsing behind xl2tpd's `ip range`
// (both `a.b.c.d-e` and `a.b.c.d-a.b.c.e`, file.c set_range) and pppd's address columns.
// The dotted quad itself is ../../core/ipv4.ts. Related: xl2tpd-conf.ts, ../address-pool.ts.
import { formatIpv4, parseIpv4 } from '../../core/ipv4.js';

/** An inclusive range of IPv4 addresses in dotted form. */
export interface Ipv4Range {
  readonly start: string;
  readonly end: string;
}

/**
 * `a.b.c.d`, `a.b.c.d-a.b.c.e` or `a.b.c.d-e` / `a.b.c.d-c.e` (xl2tpd file.c set_range: an end
 * with fewer than three dots replaces the last octets of the start). Spaces around `-` are allowed.
 * Returns numbers, or a reason string when malformed.
 */
export function parseIpv4Range(text: string): { start: number; end: number } | string {
  const dash = text.indexOf('-');
  const left = (dash < 0 ? text : text.slice(0, dash)).trim();
  const right = dash < 0 ? undefined : text.slice(dash + 1).trim();
  const start = parseIpv4(left);
  if (start === undefined) return `expected an IPv4 address or range, got "${text.trim()}"`;
  if (right === undefined) return { start, end: start };
  const dots = (right.match(/\./g) ?? []).length;
  let endText = right;
  if (dots < 3) {
    const octets = left.split('.');
    endText = [...octets.slice(0, 3 - dots), ...right.split('.')].join('.');
  }
  const end = parseIpv4(endText);
  if (end === undefined)
    return `expected an IPv4 range like 10.1.20.31-10.1.20.50 or 10.1.20.31-50, got "${text.trim()}"`;
  if (end < start) return `range start is greater than its end in "${text.trim()}"`;
  return { start, end };
}

/** One allow/deny line (`ip range` / `no ip range`, `lac` / `no lac`), in file order. */
export interface RangeRule extends Ipv4Range {
  readonly allow: boolean;
}

/**
 * The addresses a rule list allows, as sorted disjoint ranges: an address is in when the LAST rule
 * covering it allows it (so `ip range` after `no ip range` re-admits, as xl2tpd's sample shows).
 */
export function applyRangeRules(rules: readonly RangeRule[]): Ipv4Range[] {
  // Boundaries split the address space into segments with one verdict each.
  const cuts = new Set<number>();
  for (const r of rules) {
    cuts.add(parseIpv4(r.start)!);
    cuts.add(parseIpv4(r.end)! + 1);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out: { start: number; end: number }[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const s = points[i]!;
    const e = points[i + 1]! - 1;
    let allow = false;
    for (const r of rules) if (parseIpv4(r.start)! <= s && e <= parseIpv4(r.end)!) allow = r.allow;
    if (!allow) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.end + 1 === s) last.end = e;
    else out.push({ start: s, end: e });
  }
  return out.map((r) => ({ start: formatIpv4(r.start), end: formatIpv4(r.end) }));
}

/** True when `address` falls in one of `ranges`. */
export function inRanges(address: string, ranges: readonly Ipv4Range[]): boolean {
  const n = parseIpv4(address);
  if (n === undefined) return false;
  return ranges.some((r) => parseIpv4(r.start)! <= n && n <= parseIpv4(r.end)!);
}
