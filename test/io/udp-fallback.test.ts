// When koffi/libc cannot be loaded, 'auto' falls back to node:dgram and 'mmsg' fails loudly.
// Related: src/io/udp-open.ts, src/io/libc.ts.
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../src/io/libc.js', () => ({
  EAGAIN: 11,
  EINTR: 4,
  loadLibc: () => {
    throw new Error('koffi: no prebuilt binary for this platform');
  },
}));

const { openUdpTransport } = await import('../../src/io/udp-open.js');
const { driveOverUdp } = await import('../../src/io/udp-driver.js');

describe('UDP transport fallback', () => {
  it("'auto' opens node:dgram when koffi fails to load", async () => {
    const t = await openUdpTransport('auto', { address: '127.0.0.1', port: 0, onDatagram: () => {} });
    expect(t.kind).toBe('dgram');
    await t.close();
  });

  it("'mmsg' reports why it cannot run instead of silently degrading", async () => {
    await expect(openUdpTransport('mmsg', { address: '127.0.0.1', port: 0, onDatagram: () => {} })).rejects.toThrow(
      /koffi/,
    );
  });

  it('driveOverUdp with the default transport still runs (on dgram)', async () => {
    const engine = {
      handleDatagram: () => {},
      handleTimeout: () => {},
      pollTransmit: () => undefined,
      pollTimeout: () => undefined,
      pollEvent: () => undefined,
    };
    const d = await driveOverUdp(engine, { address: '127.0.0.1', port: 0, onEvent: () => {} });
    expect(d.transport).toBe('dgram');
    await d.close();
  });
});
