// pppd timer options reach the LNS engine: lcp-restart, lcp-max-configure/-terminate/-failure,
// chap-restart and pap-timeout from the options file are in the engine options, and a LAC that
// goes silent after placing its call is cleared after restart × max-configure, not pppd's default.
// Related: src/lns/engine-options.ts, src/lns/lns.ts, lns-lac.test.ts.
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { LacEngine } from '../../src/lac/lac.js';
import { loadLnsSettings } from '../../src/lns/config/settings.js';
import { engineOptionsFromSettings } from '../../src/lns/engine-options.js';
import { LnsEngine, type LnsEvent } from '../../src/lns/lns.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';

const CONF = '[lns default]\nip range = 10.1.20.31-10.1.20.50\nlocal ip = 10.1.20.30\nrequire chap = yes\n';
const OPTIONS =
  'require-mschap-v2\nlcp-restart 1\nlcp-max-configure 4\nlcp-max-terminate 3\nlcp-max-failure 6\nchap-restart 2\npap-timeout 5\n';

function settings(options: string) {
  return loadLnsSettings({
    conf: { text: CONF, file: 'xl2tpd.conf' },
    pppOptions: { text: options, file: 'options.xl2tpd' },
    chapSecrets: { text: 'alice * s3cret *\n', file: 'chap-secrets' },
  }).value;
}

describe('pppd timer options in the LNS', () => {
  it('RFC1661-4.6: lcp-restart, lcp-max-*, chap-restart and pap-timeout are passed to the engine', () => {
    const o = engineOptionsFromSettings({ settings: settings(OPTIONS) }, seededRandom(1));
    expect(o).toMatchObject({
      restartMs: 1000,
      maxConfigure: 4,
      maxTerminate: 3,
      maxFailure: 6,
      chapRestartMs: 2000,
      papTimeoutMs: 5000,
    });
  });

  it('RFC1661-4.6: a LAC silent after its ICCN is cleared after lcp-restart × lcp-max-configure', () => {
    const clearedAfter = (options: string): number => {
      const LNS: PeerAddress = { address: '192.0.2.1', port: 1701 };
      const net = new SimNetwork(5, { minDelayMs: 2, maxDelayMs: 5 });
      const lns = new LnsEngine({
        ...engineOptionsFromSettings({ settings: settings(options) }, seededRandom(2)),
        userspace: true,
      });
      const events: LnsEvent[] = net.attach(LNS, lns);
      const lac = new LacEngine({ random: seededRandom(3), server: LNS, user: 'alice', password: 's3cret' });
      let deaf = false;
      // The LAC's PPP never answers: once its call is placed, nothing more comes from it.
      net.attach(
        { address: '198.51.100.1', port: 1701 },
        {
          handleDatagram: (b, f, n) => {
            if (!deaf) lac.handleDatagram(b, f, n);
          },
          handleTimeout: (n) => {
            if (!deaf) lac.handleTimeout(n);
          },
          pollTransmit: () => (deaf ? undefined : lac.pollTransmit()),
          pollTimeout: () => (deaf ? undefined : lac.pollTimeout()),
          pollEvent: () => lac.pollEvent(),
        },
      );
      lac.start(0);
      expect(net.runUntil(() => events.some((e) => e.type === 'session-started'), 10_000)).toBe(true);
      deaf = true;
      const startedAt = net.now;
      expect(net.runUntil(() => events.some((e) => e.type === 'session-down'), 120_000)).toBe(true);
      return net.now - startedAt;
    };
    // 4 Configure-Requests 1 s apart, then the link is finished (about 4 s);
    // with pppd's defaults (3 s × 10) it takes about 30 s.
    const tuned = clearedAfter(OPTIONS);
    const defaults = clearedAfter('require-mschap-v2\n');
    expect(tuned).toBeGreaterThanOrEqual(3_000);
    expect(tuned).toBeLessThanOrEqual(5_000);
    expect(defaults).toBeGreaterThanOrEqual(27_000);
  });
});
