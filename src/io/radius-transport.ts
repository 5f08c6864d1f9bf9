// The thin UDP driver of the RADIUS client (src/radius/client.ts): one socket, one timer, the clock,
// and promises for callers that want them. Related: udp-driver.ts (the loop), src/radius/index.ts (API).
import type { Instant } from '../core/time.js';
import type { AccessRequest, RadiusAttribute, RadiusClient, RadiusClientEvent, RequestId } from '../radius/index.js';
import { monotonicNow } from './clock.js';
import { driveOverUdp } from './udp-driver.js';

/** The event that ends a request. */
export type RadiusResult = Extract<RadiusClientEvent, { readonly requestId: RequestId }>;

/** Options of openRadiusTransport. */
export interface RadiusTransportOptions {
  /** Source address (radcli `bindaddr`); default '0.0.0.0'. */
  readonly bindAddress?: string;
  /** Source port; default 0 (ephemeral). */
  readonly port?: number;
  /** Every engine event (drops, server up/down, results), after the promise waiters have seen it. */
  readonly onEvent?: (event: RadiusClientEvent) => void;
  readonly now?: () => Instant;
  /** Sees every datagram sent and received (captures for tshark in tests). */
  readonly onWire?: (bytes: Uint8Array, direction: 'sent' | 'received') => void;
}

/** A RADIUS client on a bound UDP socket. */
export interface RadiusTransport {
  readonly client: RadiusClient;
  /** The bound source port. */
  readonly port: number;
  /** Sends an Access-Request; resolves with the event that ends it (accept, reject, challenge, timeout, refused). */
  authenticate(request: AccessRequest): Promise<RadiusResult>;
  /** Sends an Accounting-Request; resolves on accounting-response (or refused). */
  account(attributes: readonly RadiusAttribute[]): Promise<RadiusResult>;
  /** Drains the client after it was fed from elsewhere (an LNS engine submitting requests). */
  flush(): void;
  /** Closes the socket; pending promises stay unresolved. */
  close(): Promise<void>;
}

/** Binds a UDP socket and drives `client` with it until close(). */
export async function openRadiusTransport(
  client: RadiusClient,
  opts: RadiusTransportOptions = {},
): Promise<RadiusTransport> {
  const now = opts.now ?? monotonicNow;
  const waiters = new Map<RequestId, (r: RadiusResult) => void>();
  const onWire = opts.onWire;
  const engine =
    onWire === undefined
      ? client
      : {
          handleDatagram: (b: Uint8Array, from: Parameters<RadiusClient['handleDatagram']>[1], at: Instant) => {
            onWire(b, 'received');
            client.handleDatagram(b, from, at);
          },
          handleTimeout: (at: Instant) => client.handleTimeout(at),
          pollTransmit: () => {
            const t = client.pollTransmit();
            if (t !== undefined) onWire(t.bytes, 'sent');
            return t;
          },
          pollTimeout: () => client.pollTimeout(),
          pollEvent: () => client.pollEvent(),
        };
  const driver = await driveOverUdp(engine, {
    address: opts.bindAddress ?? '0.0.0.0',
    port: opts.port ?? 0,
    transport: 'dgram',
    now,
    onEvent: (e) => {
      if ('requestId' in e) {
        const w = waiters.get(e.requestId);
        waiters.delete(e.requestId);
        w?.(e);
      }
      opts.onEvent?.(e);
    },
  });
  const submit = (start: () => RequestId): Promise<RadiusResult> =>
    new Promise((resolve) => {
      waiters.set(start(), resolve);
      driver.flush();
    });
  return {
    client,
    port: driver.port,
    authenticate: (request) => submit(() => client.authenticate(request, now())),
    account: (attributes) => submit(() => client.account(attributes, now())),
    flush: () => driver.flush(),
    close: () => driver.close(),
  };
}
