// Checks one line of `l2tp-ts lns --log-format json` against the catalogue (src/cli/log-events.ts,
// docs/LOGS.md): it parses, it has time/level/pid/hostname/event/msg, its level is its event's, and
// its other fields are exactly among those its event lists, the required ones present, each of the
// documented JSON type. Used by the formatter's unit tests and the end-to-end tests.
import { LOG_EVENTS, LOG_FIELDS, type LogEventName, type LogFieldName } from '../../src/cli/log-events.js';

/** The names every line carries besides its event's fields. */
export const COMMON_FIELDS = ['level', 'time', 'pid', 'hostname', 'event', 'msg'] as const;

const ISO_8601 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The parsed line and what is wrong with it (empty when it matches the catalogue). */
export function checkLogLine(line: string): { obj: Record<string, unknown>; problems: string[] } {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(line) as Record<string, unknown>;
  } catch (e) {
    return { obj: {}, problems: [`not JSON (${String(e)}): ${line}`] };
  }
  const problems: string[] = [];
  const event = obj.event as LogEventName;
  const spec = LOG_EVENTS[event] as (typeof LOG_EVENTS)[LogEventName] | undefined;
  if (spec === undefined) return { obj, problems: [`unknown event ${String(obj.event)}`] };
  if (typeof obj.time !== 'string' || !ISO_8601.test(obj.time)) problems.push(`${event}: time ${String(obj.time)}`);
  if (obj.level !== spec.level) problems.push(`${event}: level ${String(obj.level)}, documented ${spec.level}`);
  if (typeof obj.pid !== 'number' || typeof obj.hostname !== 'string') problems.push(`${event}: pid/hostname`);
  if (typeof obj.msg !== 'string') problems.push(`${event}: msg`);
  const listed = new Map<string, boolean>(
    spec.fields.map((f: string) => (f.endsWith('?') ? [f.slice(0, -1), false] : [f, true])),
  );
  for (const [name, required] of listed) {
    if (required && !(name in obj)) problems.push(`${event}: ${name} missing`);
  }
  for (const [name, value] of Object.entries(obj)) {
    if ((COMMON_FIELDS as readonly string[]).includes(name)) continue;
    if (!listed.has(name)) {
      problems.push(`${event}: ${name} is not documented for this event`);
      continue;
    }
    const type = LOG_FIELDS[name as LogFieldName].type;
    if (!hasType(value, type)) problems.push(`${event}: ${name} is not ${type}: ${JSON.stringify(value)}`);
  }
  return { obj, problems };
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'any':
      return true;
    case 'array':
      return Array.isArray(value);
    case 'number or string':
      return typeof value === 'number' || typeof value === 'string';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}
