// The batched koffi UDP transport on loopback: batching, reused slots, truncation, the fallback.
// Related: src/io/udp-batch.ts, src/io/udp-open.ts.
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { requireIpv4 } from '../../src/core/ipv4.js';
import { openBatchUdp, sendAddress } from '../../src/io/udp-batch.js';
import { openUdpTransport } from '../../src/io/udp-open.js';

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
};

describe('openBatchUdp', () => {
  it('moves 2000 datagrams between two batched sockets, several per syscall, bytes intact', async () => {
    const got: string[] = [];
    const froms = new Set<PeerAddress>();
    let batchEnds = 0;
    const rx = openBatchUdp({
      address: '127.0.0.1',
      port: 0,
      onDatagram: (b, from) => {
        got.push(Buffer.from(b).toString());
        froms.add(from);
      },
      onBatchEnd: () => batchEnds++,
    });
    const tx = openBatchUdp({ address: '127.0.0.1', port: 0, onDatagram: () => {} });
    try {
      const to = { address: '127.0.0.1', port: rx.port };
      const sent: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const text = `datagram ${i} ${'x'.repeat(i % 1400)}`;
        sent.push(text);
        tx.send(Buffer.from(text), to);
        if (i % 200 === 199) await new Promise((r) => setImmediate(r)); // let the receiver keep up
      }
      tx.flush();
      await until(() => got.length >= 2000);
      expect(got).toEqual(sent);
      expect(tx.stats.sent).toBe(2000);
      expect(tx.stats.sendCalls).toBeLessThan(2000 / 8); // sendmmsg carried many per call
      expect(rx.stats.received).toBe(2000);
      expect(batchEnds).toBeLessThan(2000);
      // One cached PeerAddress object per sender.
      expect(froms.size).toBe(1);
      expect([...froms][0]).toEqual({ address: '127.0.0.1', port: tx.port });
    } finally {
      await rx.close();
      await tx.close();
    }
  });

  it('queued sends go out without an explicit flush (microtask), and replies from a callback are flushed', async () => {
    const echo = openBatchUdp({
      address: '127.0.0.1',
      port: 0,
      onDatagram: (b, from) => echo.send(b, from),
    });
    const client = createSocket('udp4');
    const replies: string[] = [];
    client.on('message', (m) => replies.push(m.toString()));
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    try {
      for (let i = 0; i < 10; i++) client.send(`e${i}`, echo.port, '127.0.0.1');
      await until(() => replies.length >= 10);
      expect(replies.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`).sort());
      const loose = openBatchUdp({ address: '127.0.0.1', port: 0, onDatagram: () => {} });
      loose.send(Buffer.from('no flush'), { address: '127.0.0.1', port: client.address().port });
      await until(() => replies.length >= 11);
      expect(replies.at(-1)).toBe('no flush');
      await loose.close();
    } finally {
      client.close();
      await echo.close();
    }
  });

  it('drops (and counts) datagrams longer than a receive slot instead of passing a truncated one', async () => {
    const got: number[] = [];
    const rx = openBatchUdp({ address: '127.0.0.1', port: 0, onDatagram: (b) => got.push(b.length) });
    const client = createSocket('udp4');
    try {
      client.send(Buffer.alloc(3000, 1), rx.port, '127.0.0.1');
      client.send(Buffer.alloc(2048, 2), rx.port, '127.0.0.1');
      await until(() => got.length >= 1 && rx.stats.truncated >= 1);
      expect(got).toEqual([2048]);
      expect(rx.stats.truncated).toBe(1);
    } finally {
      client.close();
      await rx.close();
    }
  });

  it('refuses bad addresses with TypeError, and a busy port with errno 98 (EADDRINUSE)', async () => {
    // The transport parses its addresses with core/ipv4.ts requireIpv4 (it used a copy of its own).
    expect(requireIpv4('10.1.20.30')).toBe(0x0a01141e);
    expect(requireIpv4('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['', '1.2.3', '1.2.3.256', '01.2.3.x', '::1', '1.2.3.4.5', ' 1.2.3.4']) {
      expect(() => requireIpv4(bad), bad).toThrow(TypeError);
    }
    const a = openBatchUdp({ address: '127.0.0.1', port: 0, onDatagram: () => {} });
    expect(() => openBatchUdp({ address: '127.0.0.1', port: a.port, onDatagram: () => {} })).toThrow(/errno 98/);
    await a.close();
  });

  it("openUdpTransport('auto') takes the batched path on this machine", async () => {
    const t = await openUdpTransport('auto', { address: '127.0.0.1', port: 0, onDatagram: () => {} });
    expect(t.kind).toBe('mmsg');
    await t.close();
  });
});

/** True when this host has IPv6 loopback (a container may not). */
function hasIpv6Loopback(): boolean {
  try {
    const t = openBatchUdp({ address: '::1', port: 0, onDatagram: () => {} });
    void t.close();
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasIpv6Loopback())('IPv6 (issue 12 item 5: L2TP over IPv6)', () => {
  it.each([
    ['mmsg', 'mmsg'],
    ['mmsg', 'dgram'],
    ['dgram', 'mmsg'],
    ['dgram', 'dgram'],
  ] as const)('%s on [::1] ↔ %s on [::]: datagrams both ways, peers as RFC 5952 text', async (a, b) => {
    const atA: { text: string; from: PeerAddress }[] = [];
    const atB: { text: string; from: PeerAddress }[] = [];
    const ta = await openUdpTransport(a, {
      address: '::1',
      port: 0,
      onDatagram: (x, from) => atA.push({ text: Buffer.from(x).toString(), from }),
    });
    const tb = await openUdpTransport(b, {
      address: '::',
      port: 0,
      onDatagram: (x, from) => {
        atB.push({ text: Buffer.from(x).toString(), from });
        tb.send(Buffer.from(`re ${Buffer.from(x).toString()}`), from);
      },
    });
    try {
      for (let i = 0; i < 20; i++) ta.send(Buffer.from(`d${i}`), { address: '0:0:0:0:0:0:0:1', port: tb.port });
      ta.flush();
      await until(() => atA.length >= 20);
      expect(atB.map((x) => x.text)).toEqual(Array.from({ length: 20 }, (_, i) => `d${i}`));
      expect(atA.map((x) => x.text)).toEqual(Array.from({ length: 20 }, (_, i) => `re d${i}`));
      expect(atB[0]!.from).toEqual({ address: '::1', port: ta.port });
      expect(atA[0]!.from).toEqual({ address: '::1', port: tb.port });
    } finally {
      await ta.close();
      await tb.close();
    }
  });

  it.each(['mmsg', 'dgram'] as const)(
    '%s on [::] is dual-stack: an IPv4 peer is reported and answered as a dotted quad',
    async (kind) => {
      const got: PeerAddress[] = [];
      const v6 = await openUdpTransport(kind, {
        address: '::',
        port: 0,
        onDatagram: (x, from) => {
          got.push(from);
          v6.send(x, from);
        },
      });
      const replies: string[] = [];
      const v4 = openBatchUdp({
        address: '127.0.0.1',
        port: 0,
        onDatagram: (x) => replies.push(Buffer.from(x).toString()),
      });
      try {
        v4.send(Buffer.from('hello'), { address: '127.0.0.1', port: v6.port });
        v4.flush();
        await until(() => replies.length >= 1);
        expect(got[0]).toEqual({ address: '127.0.0.1', port: v4.port });
        expect(replies).toEqual(['hello']);
      } finally {
        await v6.close();
        await v4.close();
      }
    },
  );

  it('an IPv6 destination on an IPv4 socket is dropped and counted, not thrown', async () => {
    const t = openBatchUdp({ address: '127.0.0.1', port: 0, onDatagram: () => {} });
    try {
      t.send(Buffer.from('x'), { address: '::1', port: 9 });
      t.flush();
      expect(t.stats.sendDropped).toBe(1);
      expect(t.stats.sent).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('sendAddress: IPv4 on a v6 socket is IPv4-mapped; host names and v6 on v4 are unreachable', () => {
    expect(sendAddress('192.0.2.1', false)).toBe(0xc0000201);
    expect(Buffer.from(sendAddress('192.0.2.1', true) as Uint8Array).toString('hex')).toBe(
      '00000000000000000000ffffc0000201',
    );
    expect(Buffer.from(sendAddress('2001:db8::1', true) as Uint8Array).toString('hex')).toBe(
      '20010db8000000000000000000000001',
    );
    expect(sendAddress('2001:db8::1', false)).toBeNull();
    expect(sendAddress('vpn.example.com', true)).toBeNull();
  });

  it('a bind address that is not an IP address fails with its text', () => {
    expect(() => openBatchUdp({ address: 'vpn.example.com', port: 0, onDatagram: () => {} })).toThrow(
      /not an IP address: vpn.example.com/,
    );
  });
});
