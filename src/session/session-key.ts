// The one key of a PPP session in both roles and their drivers: (local Tunnel ID, local Session
// ID) as a single number, so flat Maps (sessions, leases, setup timers, pool holders) need no
// string or tuple per lookup. Both IDs are 16 bits (RFC 2661 §3.1), so the key is exact.
// Related: ppp-over-l2tp.ts.

/** Session key: one number for (local Tunnel ID, local Session ID). */
export const sessionKey = (tunnelId: number, sessionId: number): number => tunnelId * 0x10000 + sessionId;

/** The local Tunnel ID a session key was made from. */
export const tunnelIdOfKey = (key: number): number => Math.floor(key / 0x10000);

/** The local Session ID a session key was made from. */
export const sessionIdOfKey = (key: number): number => key % 0x10000;
