// driveOverUdp over real loopback sockets, with a tiny echo engine, on both transports.
// Related: src/io/udp-driver.ts, src/io/udp-open.ts (picks udp-dgram.ts or udp-batch.ts).
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Engine, PeerAddress, Transmit } from '../../src/core/engine.js';
import type { Instant } from '../../src/core/time.js';
import { driveOverUdp, type UdpDriver } from '../../src/io/udp-driver.js';

type EchoEvent = { type: 'got'; text: string; from: PeerAddress } | { type: 'tick'; at: Instant };

/** Echoes each datagram reversed; one 'tick' timer 30 ms after the first datagram. */
class EchoEngine implements Engine<EchoEvent> {
  private out: Transmit[] = [];
  private events: EchoEvent[] = [];
  private deadline: Instant | undefined;
  kept: Uint8Array[] = [];
  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: Instant): void {
    this.kept.push(bytes);
    const text = Buffer.from(bytes).toString();
    this.events.push({ type: 'got', text, from });
    this.out.push({ to: from, bytes: Buffer.from([...text].reverse().join('')) });
    if (this.deadline === undefined && text !== 'no-timer') this.deadline = now + 30;
  }
  handleTimeout(now: Instant): void {
    if (this.deadline !== undefined && now >= this.deadline) {
      this.deadline = undefined;
      this.events.push({ type: 'tick', at: now });
    }
  }
  pollTransmit(): Transmit | undefined {
    return this.out.shift();
  }
  pollTimeout(): Instant | undefined {
    return this.deadline;
  }
  pollEvent(): EchoEvent | undefined {
    return this.events.shift();
  }
}

const drivers: UdpDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
});

/** Sends `texts` from a fresh client socket; resolves with the replies (in arrival order). */
async function exchange(port: number, texts: string[]): Promise<string[]> {
  const client = createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  const replies: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`only ${replies.length} replies`)), 5000);
    client.on('message', (m) => {
      replies.push(m.toString());
      if (replies.length === texts.length) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  for (const t of texts) client.send(t, port, '127.0.0.1');
  await done;
  client.close();
  return replies;
}

for (const transport of ['dgram', 'mmsg'] as const) {
  describe(`driveOverUdp (${transport})`, () => {
    it('hands datagrams to the engine, sends its transmits back, reports events in order', async () => {
      const engine = new EchoEngine();
      const events: EchoEvent[] = [];
      const d = await driveOverUdp(engine, {
        address: '127.0.0.1',
        port: 0,
        transport,
        onEvent: (e) => events.push(e),
      });
      drivers.push(d);
      expect(d.transport).toBe(transport);
      expect(d.port).toBeGreaterThan(0);
      const texts = Array.from({ length: 50 }, (_, i) => `msg-${i}`);
      const replies = await exchange(d.port, texts);
      expect(replies.sort()).toEqual(texts.map((t) => [...t].reverse().join('')).sort());
      const got = events.filter((e) => e.type === 'got');
      expect(got.map((e) => e.text)).toEqual(texts); // loopback keeps order
      expect(got[0]!.from.address).toBe('127.0.0.1');
    });

    it('arms one timer at pollTimeout() and calls handleTimeout at or after it', async () => {
      const engine = new EchoEngine();
      const events: EchoEvent[] = [];
      const d = await driveOverUdp(engine, {
        address: '127.0.0.1',
        port: 0,
        transport,
        onEvent: (e) => events.push(e),
      });
      drivers.push(d);
      await exchange(d.port, ['a']);
      const deadline = Date.now() + 3000;
      while (!events.some((e) => e.type === 'tick') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      const tick = events.find((e) => e.type === 'tick');
      expect(tick).toBeDefined();
      expect(engine.pollTimeout()).toBeUndefined();
    });

    it('gives the engine bytes it may keep (copies of reused receive slots)', async () => {
      const engine = new EchoEngine();
      const d = await driveOverUdp(engine, { address: '127.0.0.1', port: 0, transport, onEvent: () => {} });
      drivers.push(d);
      const texts = Array.from({ length: 200 }, (_, i) => `keep-${i}`);
      await exchange(d.port, texts);
      expect(engine.kept.map((b) => Buffer.from(b).toString())).toEqual(texts);
    });

    it('onDatagram can consume a datagram before the engine; send() reaches the peer', async () => {
      const engine = new EchoEngine();
      const seen: string[] = [];
      let drv: UdpDriver | undefined;
      const d = await driveOverUdp(engine, {
        address: '127.0.0.1',
        port: 0,
        transport,
        onEvent: () => {},
        onDatagram: (bytes, from) => {
          const t = Buffer.from(bytes).toString();
          if (!t.startsWith('fast')) return false;
          seen.push(t);
          drv?.send(Buffer.from(`ack ${t}`), from);
          return true;
        },
      });
      drv = d;
      drivers.push(d);
      const replies = await exchange(d.port, ['fast1', 'slow', 'fast2']);
      expect(replies.sort()).toEqual(['ack fast1', 'ack fast2', 'wols']);
      expect(seen).toEqual(['fast1', 'fast2']);
      expect(engine.kept.map((b) => Buffer.from(b).toString())).toEqual(['slow']);
    });

    it('setTap switches the tap on and off; off, send() is the plain send again (no check per datagram)', async () => {
      const engine = new EchoEngine();
      const tapped: string[] = [];
      let drv: UdpDriver | undefined;
      const d = await driveOverUdp(engine, {
        address: '127.0.0.1',
        port: 0,
        transport,
        onEvent: () => {},
        onDatagram: (bytes, from) => {
          const t = Buffer.from(bytes).toString();
          if (!t.startsWith('fast')) return false;
          drv?.send(Buffer.from(`ack ${t}`), from);
          return true;
        },
      });
      drv = d;
      drivers.push(d);
      const plain = d.send;
      await exchange(d.port, ['fast0']);
      d.setTap((bytes, _peer, direction) => tapped.push(`${direction} ${Buffer.from(bytes).toString()}`));
      expect(d.send).not.toBe(plain);
      await exchange(d.port, ['fast1', 'slow']);
      d.setTap(undefined);
      expect(d.send).toBe(plain);
      await exchange(d.port, ['fast2', 'slow2']);
      expect(tapped.sort()).toEqual(['in fast1', 'in slow', 'out ack fast1', 'out wols'].sort());
    });

    it('an engine that throws is reported to onError and the driver keeps serving', async () => {
      const engine = new EchoEngine();
      const orig = engine.handleDatagram.bind(engine);
      engine.handleDatagram = (bytes, from, now) => {
        if (Buffer.from(bytes).toString() === 'boom') throw new Error('engine bug');
        orig(bytes, from, now);
      };
      const errors: unknown[] = [];
      const d = await driveOverUdp(engine, {
        address: '127.0.0.1',
        port: 0,
        transport,
        onEvent: () => {},
        onError: (e) => errors.push(e),
      });
      drivers.push(d);
      const client = createSocket('udp4');
      client.send('boom', d.port, '127.0.0.1');
      const replies = await exchange(d.port, ['ok']);
      client.close();
      expect(replies).toEqual(['ko']);
      expect(errors.length).toBe(1);
    });

    it('a deadline already due when a batch ends runs in the same turn, without waiting for a timer', async () => {
      // The control channel's "ack now" (RFC 2661 §5.8: the peer's window is full) is a deadline
      // equal to the arrival time. Behind a Node timer it waited ≥ 1 ms, which capped one
      // tunnel at one window per millisecond (bench/control-rate.ts). Timers are frozen here,
      // so the reply can only come from the flush itself.
      const due: Instant[] = [];
      const out: Transmit[] = [];
      const engine: Engine<never> = {
        handleDatagram: (_b, _from, now) => {
          due.push(now);
        },
        handleTimeout: (now) => {
          while (due.length > 0 && due[0]! <= now) {
            due.shift();
            out.push({ to: { address: '127.0.0.1', port: clientPort }, bytes: Buffer.from('ack') });
          }
        },
        pollTransmit: () => out.shift(),
        pollTimeout: () => due[0],
        pollEvent: () => undefined,
      };
      const client = createSocket('udp4');
      await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
      const clientPort = client.address().port;
      const clock = 1000;
      const d = await driveOverUdp(engine, {
        address: '127.0.0.1',
        port: 0,
        transport,
        now: () => clock,
        onEvent: () => {},
      });
      drivers.push(d);
      const realSetTimeout = globalThis.setTimeout;
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        const reply = new Promise<string>((resolve) => {
          client.once('message', (m) => resolve(m.toString()));
          realSetTimeout(() => resolve('no reply within 2 s'), 2000);
        });
        client.send('hello', d.port, '127.0.0.1');
        expect(await reply).toBe('ack');
        expect(vi.getTimerCount()).toBe(0); // nothing left armed: the due deadline was consumed
      } finally {
        vi.useRealTimers();
        client.close();
      }
    });

    it('close() stops the socket: a second driver can bind the same port', async () => {
      const d = await driveOverUdp(new EchoEngine(), { address: '127.0.0.1', port: 0, transport, onEvent: () => {} });
      const port = d.port;
      await d.close();
      await d.close();
      const d2 = await driveOverUdp(new EchoEngine(), { address: '127.0.0.1', port, transport, onEvent: () => {} });
      drivers.push(d2);
      expect(d2.port).toBe(port);
    });
  });
}

describe('driveOverUdp binding', () => {
  it('rejects when the port is taken', async () => {
    const d = await driveOverUdp(new EchoEngine(), {
      address: '127.0.0.1',
      port: 0,
      transport: 'dgram',
      onEvent: () => {},
    });
    drivers.push(d);
    await expect(
      driveOverUdp(new EchoEngine(), { address: '127.0.0.1', port: d.port, transport: 'mmsg', onEvent: () => {} }),
    ).rejects.toThrow(/errno 98/);
    await expect(
      driveOverUdp(new EchoEngine(), { address: '127.0.0.1', port: d.port, transport: 'dgram', onEvent: () => {} }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
