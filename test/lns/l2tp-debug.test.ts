// xl2tpd's `debug avp|packet|network|tunnel|state` on the LNS engine: a simulated LAC session with
// every key on yields the dumps, lifecycle and state lines; with none on, not one 'l2tp-debug' event.
import { describe, expect, it } from 'vitest';
import type { L2tpDebugEvent, L2tpDebugKind } from '../../src/lns/l2tp-debug.js';
import type { LnsEvent } from '../../src/lns/lns.js';
import { SIM_LAC, simSessionUp } from '../support/sim-session.js';

const SECRET = new TextEncoder().encode('tunnel-secret');
const LAC = `${SIM_LAC.address}:${SIM_LAC.port}`;

function lines(events: readonly LnsEvent[], kind: L2tpDebugKind): string[] {
  return events.filter((e): e is L2tpDebugEvent => e.type === 'l2tp-debug' && e.kind === kind).map((e) => e.text);
}

describe('LNS engine, xl2tpd debug keys', () => {
  const all = { avp: true, packet: true, network: true, tunnel: true, state: true };
  const withSecret = {
    challengePeer: true,
    hideAvps: true,
    tunnelSecret: () => SECRET,
  };

  it('debug avp: every control message both ways, hidden AVPs and the Challenge Response not in clear', () => {
    const { net, lnsEvents, lac } = simSessionUp({
      lns: { l2tpDebug: { avp: true }, endpoint: withSecret },
      lac: { hostName: 'lac\nsession 1/1 up: user admin', endpoint: { tunnelSecret: () => SECRET } },
    });
    lac.stop(net.now);
    net.runUntil(() => lnsEvents.some((e) => e.type === 'tunnel-down'), 60_000);
    const avp = lines(lnsEvents, 'avp');
    const sccrq = avp.find((l) => l.startsWith('rcvd [L2TP SCCRQ tid=0 sid=0 ns=0 nr=0 '));
    expect(sccrq).toBeDefined();
    expect(sccrq).toContain('<HostName "lac\\x0asession 1/1 up: user admin">');
    expect(sccrq!.endsWith(`] from ${LAC}`)).toBe(true);
    expect(avp.some((l) => l.startsWith('sent [L2TP SCCRP tid='))).toBe(true);
    expect(avp.some((l) => /^rcvd \[L2TP SCCCN .*<ChallengeResponse …>\]/.test(l))).toBe(true);
    // hideAvps: our ICRP hides its Assigned Session ID (the LAC hides nothing).
    expect(avp.some((l) => /^sent \[L2TP ICRP .*<AssignedSessionId \(hidden, \d+ octets\)>/.test(l))).toBe(true);
    expect(avp.some((l) => l.startsWith('rcvd [L2TP ICCN '))).toBe(true);
    expect(avp.some((l) => /^(sent|rcvd) \[L2TP ZLB tid=\d+ sid=0 ns=\d+ nr=\d+\] (to|from) /.test(l))).toBe(true);
    expect(avp.some((l) => l.startsWith('rcvd [L2TP StopCCN '))).toBe(true);
    for (const l of avp) expect(l).not.toMatch(/[^\x20-\x7e…]/);
    // Only the keys asked for.
    expect(lnsEvents.some((e) => e.type === 'l2tp-debug' && e.kind !== 'avp')).toBe(false);
  });

  it('debug tunnel, state, network, packet: lifecycle, table steps, per-datagram lines, hex', () => {
    const { net, lns, lnsEvents, lac } = simSessionUp({ lns: { l2tpDebug: all } });
    const t = [...lns.endpoint.tunnels()][0]!;
    const s = lns.sessions(net.now)[0]!;
    lac.stop(net.now);
    net.runUntil(() => lnsEvents.some((e) => e.type === 'tunnel-down'), 60_000);
    net.runUntil(() => false, 120_000); // the §5.7 linger ends: the tunnel is freed
    const tunnel = lines(lnsEvents, 'tunnel');
    expect(tunnel).toContain(`tunnel ${t.tunnelId} created for ${LAC} (peer tunnel ${t.peerTunnelId})`);
    expect(tunnel.some((l) => l.startsWith(`call ${t.tunnelId}/${s.sessionId} created (peer call `))).toBe(true);
    expect(tunnel).toContain(`tunnel ${t.tunnelId} closing (peer): stopccn-received`);
    expect(tunnel).toContain(`tunnel ${t.tunnelId} freed`);
    const state = lines(lnsEvents, 'state');
    expect(state).toContain(`tunnel ${t.tunnelId}: idle -rx-sccrq-> wait-ctl-conn`);
    expect(state).toContain(`tunnel ${t.tunnelId}: wait-ctl-conn -rx-scccn-ok-> established`);
    expect(state).toContain(`session ${t.tunnelId}/${s.sessionId}: idle -rx-icrq-> ic-wait-connect`);
    expect(state).toContain(`session ${t.tunnelId}/${s.sessionId}: ic-wait-connect -rx-iccn-> established`);
    const network = lines(lnsEvents, 'network');
    expect(
      network.some((l) => new RegExp(`^rcvd \\d+ octets from ${LAC}: control tid=0 sid=0 ns=0 nr=0$`).test(l)),
    ).toBe(true);
    expect(network.some((l) => new RegExp(`^sent \\d+ octets to ${LAC}: data tid=\\d+ sid=\\d+$`).test(l))).toBe(true);
    const packet = lines(lnsEvents, 'packet');
    expect(packet.some((l) => new RegExp(`^rcvd \\d+ octets from ${LAC}: c8 02 `).test(l))).toBe(true);
  });

  it('all off by default: no debug event, no step observer', () => {
    const { net, lns, lnsEvents, lac } = simSessionUp();
    lac.stop(net.now);
    net.runUntil(() => lnsEvents.some((e) => e.type === 'tunnel-down'), 60_000);
    expect(lnsEvents.filter((e) => e.type === 'l2tp-debug')).toEqual([]);
    expect(lns.endpoint.tunnel([...lns.endpoint.tunnels()][0]?.tunnelId ?? 0)?.onSessionStep).toBeUndefined();
  });
});
