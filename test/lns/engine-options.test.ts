// Settings → LNS engine options (issue 9): xl2tpd `exclusive` never reaches the engine, one session
// per user is the separate `singleSession` (off by default), and pppd `idle` / `maxconnect` and the
// Network-phase and authentication limits are passed on. Related: src/lns/engine-options.ts.
import { describe, expect, it } from 'vitest';
import { parseJsonConfig } from '../../src/lns/config/json-config.js';
import { SEED_CHAP_SECRETS, SEED_OPTIONS_XL2TPD, SEED_XL2TPD_CONF } from '../../src/lns/config/seed.js';
import { loadLnsSettings } from '../../src/lns/config/settings.js';
import { engineOptionsFromSettings } from '../../src/lns/engine-options.js';
import { seededRandom } from '../support/seeded-random.js';

const seed = (options = SEED_OPTIONS_XL2TPD) =>
  loadLnsSettings({
    conf: { text: SEED_XL2TPD_CONF, file: 'xl2tpd.conf' },
    pppOptions: { text: options, file: 'options.xl2tpd' },
    chapSecrets: { text: SEED_CHAP_SECRETS, file: 'chap-secrets' },
  }).value;

describe('engineOptionsFromSettings', () => {
  it("the seed's `exclusive = yes` restricts nothing: singleSession stays off", () => {
    const s = seed();
    expect(s.exclusive).toBe(true);
    const o = engineOptionsFromSettings({ settings: s }, seededRandom(1));
    expect(o.singleSession).toBe(false);
    expect(o).not.toHaveProperty('exclusive');
    expect(o.networkPhaseTimeoutMs).toBe(60_000);
    expect(o.authThrottle).toEqual({ maxFailures: 5, windowMs: 60_000, blockMs: 60_000 });
    expect(o.idleTimeoutMs).toBe(0);
    expect(o.maxConnectMs).toBe(0);
  });

  it('pppd `idle 300` and `maxconnect 3600` become engine limits in ms', () => {
    const o = engineOptionsFromSettings(
      { settings: seed(`${SEED_OPTIONS_XL2TPD}\nidle 300\nmaxconnect 3600\n`) },
      seededRandom(1),
    );
    expect(o.idleTimeoutMs).toBe(300_000);
    expect(o.maxConnectMs).toBe(3_600_000);
  });

  it('JSON `singleSession`, `networkPhaseTimeoutMs` and the authentication limits are passed on (defaults when absent)', () => {
    expect(parseJsonConfig('{}', 'lns.json').value.singleSession).toBe(false);
    const { value } = parseJsonConfig(
      '{"singleSession": true, "networkPhaseTimeoutMs": 30000, "authFailureLimit": 3, "authBlockMs": 120000}',
      'lns.json',
    );
    const o = engineOptionsFromSettings({ settings: value }, seededRandom(1));
    expect(o.singleSession).toBe(true);
    expect(o.networkPhaseTimeoutMs).toBe(30_000);
    expect(o.authThrottle).toEqual({ maxFailures: 3, windowMs: 60_000, blockMs: 120_000 });
  });
});
