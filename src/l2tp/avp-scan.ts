// Reading one clear AVP out of a body that may not decode: the Host Name that picks the secret
// before hidden AVPs can be decoded (§4.3), the Assigned Tunnel/Session ID to address a StopCCN or
// CDN answering a message that failed to decode (§4.1). Related: endpoint.ts, tunnel.ts.

import { utf8Text } from '../core/text.js';
import { AvpType } from './wire/avp-catalogue.js';
import { unhideAvpValue } from './wire/hidden-avp.js';
import { AvpCursor } from './wire/message.js';

const scanCursor = new AvpCursor(new Uint8Array(0));

/**
 * The first Vendor-0 AVP of `type` with a 2-octet value, from a body that may not decode. Hidden
 * AVPs are skipped, unless `secret` is given: then they are unhidden with the Random Vector that
 * precedes them (§4.3).
 */
export function scanU16(body: Uint8Array, type: number, secret?: Uint8Array): number | undefined {
  scanCursor.reset(body);
  let randomVector: Uint8Array | undefined;
  try {
    while (scanCursor.next()) {
      if (scanCursor.vendorId !== 0) continue;
      if (scanCursor.type === AvpType.RandomVector) randomVector = scanCursor.value;
      if (scanCursor.type !== type) continue;
      let v: Uint8Array | undefined = scanCursor.value;
      if (scanCursor.hidden) {
        if (secret === undefined || randomVector === undefined) continue;
        v = unhideAvpValue(type, v, secret, randomVector)?.value;
      }
      return v?.length === 2 ? (v[0]! << 8) | v[1]! : undefined;
    }
    return undefined;
  } finally {
    scanCursor.reset(new Uint8Array(0));
  }
}

/** The first clear Vendor-0 AVP of `type` as text (Host Name picks the secret before decoding, §4.3). */
export function scanString(body: Uint8Array, type: number): string | undefined {
  scanCursor.reset(body);
  try {
    while (scanCursor.next()) {
      if (scanCursor.vendorId !== 0 || scanCursor.type !== type || scanCursor.hidden) continue;
      return utf8Text(scanCursor.value);
    }
    return undefined;
  } finally {
    scanCursor.reset(new Uint8Array(0));
  }
}
