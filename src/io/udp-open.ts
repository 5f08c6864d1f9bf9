// Opens the UDP transport a caller asks for: the batched koffi one (udp-batch.ts), the portable
// node:dgram one (udp-dgram.ts), or 'auto' (batched when it loads, else dgram).
// Related: udp-transport.ts (the interface both implement), udp-driver.ts (the main caller).
import { openBatchUdp } from './udp-batch.js';
import { openDgramTransport } from './udp-dgram.js';
import type { UdpTransport, UdpTransportKind, UdpTransportOptions } from './udp-transport.js';

/**
 * Opens a UDP transport. 'auto' takes the batched koffi path and falls back to node:dgram when
 * koffi or the libc calls are unavailable (non-Linux, no prebuilt koffi).
 */
export async function openUdpTransport(
  kind: UdpTransportKind | 'auto',
  opts: UdpTransportOptions,
): Promise<UdpTransport> {
  if (kind === 'dgram') return openDgramTransport(opts);
  try {
    return openBatchUdp(opts);
  } catch (err) {
    if (kind === 'mmsg') throw err;
    return openDgramTransport(opts);
  }
}
