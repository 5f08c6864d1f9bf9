// Several LNS nodes, one address pool, no cluster protocol of our own (issue 11 item 6): three
// `l2tp-ts lns` processes, each in its own network namespace, authenticate against one FreeRADIUS
// whose rlm_sqlippool (SQLite) hands out addresses from one pool of exactly 90. 30 sessions per
// node get 90 distinct addresses; a node killed with SIGKILL (no Stop, no Accounting-Off) holds
// its 30 leases until it restarts and its Accounting-On releases exactly those: its 30 new
// sessions get back the same 30 addresses, and the other nodes' 60 stay leased (a 91st session is
// refused: the pool is full). Topology: a hub namespace (FreeRADIUS, the load generator) with one
// veth to each node; each node's NAS-IP-Address is its own address (radcli `bindaddr`).
// Related: test/support/freeradius.ts (sqlippool), docs/SCALE-OUT.md, src/lns/radius-aaa.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLac } from '../../src/io/create-lac.js';
import { type SetupLoad, startSetupLoad } from '../../src/io/setup-load.js';
import { type Freeradius, freeradiusSkipReason, startFreeradius } from '../support/freeradius.js';
import { type LabProcess, labSkipReason, NetLab, waitFor } from '../support/netns.js';
import { startLabLns } from './lab-lns.js';

const skip = labSkipReason([]) ?? freeradiusSkipReason();
const SECRET = 'l2t-scale-out';
const NODES = [1, 2, 3].map((n) => ({
  name: `lns-${n}`,
  /** The node's address (and NAS-IP-Address) on its link to the hub. */
  address: `10.203.8${n}.2`,
  /** The hub's address on that link: FreeRADIUS, and the LAC's source. */
  hub: `10.203.8${n}.1`,
}));
const POOL = Array.from({ length: 90 }, (_, i) => `10.90.0.${i + 10}`);
const PER_NODE = 30;

/** The detail file's records, as the text of each. */
const records = (detail: string): string[] => detail.split(/\n\s*\n/).filter((r) => r.trim() !== '');
const accountingOns = (r: Freeradius, nas: string): number =>
  records(r.detail()).filter(
    (x) => x.includes('Acct-Status-Type = Accounting-On') && x.includes(`NAS-IP-Address = ${nas}`),
  ).length;

describe.skipIf(skip !== undefined)(`three LNS nodes, one sqlippool ${skip ? `(skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let hub: string;
  const nodeNs: string[] = [];
  let radius: Freeradius | undefined;
  const procs: LabProcess[] = [];
  const loads: SetupLoad[] = [];

  /** Starts node `i` (0-based) as a process in its namespace and waits for its Accounting-On. */
  async function startNode(i: number, name: string): Promise<LabProcess> {
    const n = NODES[i]!;
    const config = join(lab.dir, `${n.name}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        authMethods: ['pap'],
        // Never used: every Accept carries a pool address (an exhausted pool is a Reject).
        poolRanges: ['10.1.20.31-10.1.20.50'],
        radius: {
          authServers: [{ host: n.hub, port: 1812, secret: SECRET }],
          acctServers: [{ host: n.hub, port: 1813, secret: SECRET }],
          timeoutMs: 2000,
          retries: 3,
          nasIdentifier: n.name,
          // radcli's way: the source address is the NAS-IP-Address that sqlippool keys leases on.
          bindAddress: n.address,
        },
      }),
    );
    const before = accountingOns(radius!, n.address);
    const { proc } = await startLabLns(
      lab,
      nodeNs[i]!,
      ['--userspace', '--json-config', config, '--listen', n.address, '--port', '1701', '--no-control'],
      { mode: 'userspace', name },
    );
    procs.push(proc);
    await waitFor(
      `${n.name}'s Accounting-On`,
      () => accountingOns(radius!, n.address) > before,
      10_000,
      () => radius!.log().slice(-3000),
    );
    return proc;
  }

  /** 30 PAP sessions from the hub to node `i`; resolves with their addresses once all are up. */
  async function loadNode(i: number): Promise<string[]> {
    const load = await startSetupLoad({
      server: { address: NODES[i]!.address, port: 1701 },
      user: 'alice',
      password: 'alice-pw',
      auth: 'pap',
      tunnels: 1,
      sessionsPerTunnel: PER_NODE,
      concurrency: PER_NODE,
      perTunnel: 8,
      durationMs: 20_000,
      bindWith: (bind) => lab.withNetns(hub, bind),
    });
    loads.push(load);
    const r = await load.result;
    expect(r, `${NODES[i]!.name}: ${JSON.stringify(r.failures)}\n${radius!.log().slice(-2000)}`).toMatchObject({
      up: PER_NODE,
      failed: 0,
    });
    return [...load.engine.sessions.values()].map((s) => s.localAddress!);
  }

  beforeAll(async () => {
    lab = new NetLab('so');
    hub = lab.addNamespace();
    for (const n of NODES) {
      const ns = lab.addNamespace();
      nodeNs.push(ns);
      lab.addVeth({ ns: hub, address: `${n.hub}/24` }, { ns, address: `${n.address}/24` });
    }
    radius = await startFreeradius({
      secret: SECRET,
      netns: hub,
      listen: '*',
      clients: NODES.map((n) => n.address),
      sqlippool: { addresses: POOL },
      users: [{ name: 'alice', password: 'alice-pw' }],
      // alice's password is right: a Reject can only be sqlippool's `notfound = reject`.
      rejectMessage: 'no address left in the shared pool',
    });
    for (const [i, n] of NODES.entries()) await startNode(i, n.name);
  }, 50_000);

  afterAll(async () => {
    await Promise.all(loads.map((l) => l.close(300).catch(() => undefined)));
    await radius?.stop();
    await lab?.destroy();
  }, 30_000);

  it('90 sessions over 3 nodes get 90 distinct pool addresses; a SIGKILLed node gets its 30 leases back with Accounting-On after it restarts', async () => {
    const byNode: string[][] = [];
    for (let i = 0; i < NODES.length; i++) byNode.push(await loadNode(i));
    const all = byNode.flat();
    expect(all).toHaveLength(90);
    expect(new Set(all).size).toBe(90);
    expect([...all].sort()).toEqual([...POOL].sort());

    // Node 3 dies without a word: no Stop, no Accounting-Off. Its leases stay in the pool.
    await lab.stop(procs[2]!, 'SIGKILL');
    await loads[2]!.close(100);
    loads.splice(2, 1);

    // It restarts; its Accounting-On (NAS-IP-Address 10.203.83.2) expires exactly its leases.
    await startNode(2, 'lns-3-restarted');
    const again = await loadNode(2);
    expect(new Set(again).size).toBe(PER_NODE);
    expect([...again].sort()).toEqual([...byNode[2]!].sort());

    // The other nodes' 60 leases were untouched: the pool is full, a 91st login is refused.
    const extra = await lab.withNetns(hub, () =>
      createLac({ server: { address: NODES[0]!.address, port: 1701 }, user: 'alice', password: 'alice-pw' }),
    );
    try {
      const failed = await extra.waitFor('auth-failed', undefined, 10_000);
      expect(failed.reason).toContain('no address left in the shared pool');
    } finally {
      await extra.close(300);
    }
  }, 50_000);
});
