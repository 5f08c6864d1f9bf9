// The README's library example: an L2TP client tested against createLns() on loopback.
// (Outside this repository, import from 'l2tp-ts'.)
import { expect, it } from 'vitest';
import { createLac, createLns } from '../../src/index.js';

it('a client logs in to createLns(), gets an address and pings the LNS', async () => {
  const lns = await createLns({ port: 0, users: { alice: 's3cret' } });
  const lac = await createLac({ server: { address: '127.0.0.1', port: lns.port }, user: 'alice', password: 's3cret' });
  try {
    const [served, client] = await Promise.all([lns.waitFor('session-up'), lac.waitFor('session-up')]);
    expect(served).toMatchObject({ user: 'alice', address: '10.1.20.31', localAddress: '10.1.20.30' });
    expect(client).toMatchObject({ auth: 'mschapv2', address: '10.1.20.31' });
    const [session] = lac.engine.sessions.values();
    expect(await lac.ping(session!)).toBeGreaterThanOrEqual(0);
  } finally {
    await lac.close();
    await lns.close();
  }
});
