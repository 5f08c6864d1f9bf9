// The option-negotiation automaton of RFC 1661 §4, shared by LCP, IPCP and IPv6CP.
//
// Theory of operation (RFC 1661 §4.1–§4.4):
// - Every transition lives in TRANSITIONS, transcribed from the §4.1 state transition table: rows are
//   events, columns states, a cell is [next state, ...actions] in the order the RFC lists them.
// - A missing cell is the RFC's "-" (the event cannot occur in that state): `fire()` reports it to
//   `ignored(event, state)` and changes nothing.
// - Actions don't re-enter: `perform(action)` only queues packets, timers and events; `step()` never
//   calls `step()`. What the policy decides (RCR+ vs RCR-, Max-Failure) happens before `step()`.
// - RFC footnotes kept as data in NOTES: "r" restart option, "p" passive option, "x" crossed connection.
// Related: control-protocol.ts (runs the actions), option-policy.ts, link.ts (phases).

/** The ten states of §4.2. */
export type State =
  | 'initial'
  | 'starting'
  | 'closed'
  | 'stopped'
  | 'closing'
  | 'stopping'
  | 'req-sent'
  | 'ack-rcvd'
  | 'ack-sent'
  | 'opened';

/** The sixteen events of §4.3. */
export type Event =
  | 'up'
  | 'down'
  | 'open'
  | 'close'
  | 'to+'
  | 'to-'
  | 'rcr+'
  | 'rcr-'
  | 'rca'
  | 'rcn'
  | 'rtr'
  | 'rta'
  | 'ruc'
  | 'rxj+'
  | 'rxj-'
  | 'rxr';

/** §4.4: this-layer-up/down/started/finished, init/zero restart count, send CR/CA/CN/TR/TA/CJ/ER. */
export type Action =
  | 'tlu'
  | 'tld'
  | 'tls'
  | 'tlf'
  | 'irc'
  | 'zrc'
  | 'scr'
  | 'sca'
  | 'scn'
  | 'str'
  | 'sta'
  | 'scj'
  | 'ser';

/** One decided cell: the next state, then the actions in RFC order. */
export type Cell = readonly [next: State, ...actions: Action[]];

/** Every state, in the RFC's column order (0–9). */
export const STATES: readonly State[] = [
  'initial',
  'starting',
  'closed',
  'stopped',
  'closing',
  'stopping',
  'req-sent',
  'ack-rcvd',
  'ack-sent',
  'opened',
];

/** Every event, in the RFC's row order. */
export const EVENTS: readonly Event[] = [
  'up',
  'down',
  'open',
  'close',
  'to+',
  'to-',
  'rcr+',
  'rcr-',
  'rca',
  'rcn',
  'rtr',
  'rta',
  'ruc',
  'rxj+',
  'rxj-',
  'rxr',
];

/** RFC 1661 §4.1, transcribed row by row. A missing cell is the RFC's "-". */
export const TRANSITIONS: Readonly<Record<Event, Readonly<Partial<Record<State, Cell>>>>> = {
  up: {
    initial: ['closed'],
    starting: ['req-sent', 'irc', 'scr'],
  },
  down: {
    closed: ['initial'],
    stopped: ['starting', 'tls'],
    closing: ['initial'],
    stopping: ['starting'],
    'req-sent': ['starting'],
    'ack-rcvd': ['starting'],
    'ack-sent': ['starting'],
    opened: ['starting', 'tld'],
  },
  open: {
    initial: ['starting', 'tls'],
    starting: ['starting'],
    closed: ['req-sent', 'irc', 'scr'],
    stopped: ['stopped'],
    closing: ['stopping'],
    stopping: ['stopping'],
    'req-sent': ['req-sent'],
    'ack-rcvd': ['ack-rcvd'],
    'ack-sent': ['ack-sent'],
    opened: ['opened'],
  },
  close: {
    initial: ['initial'],
    starting: ['initial', 'tlf'],
    closed: ['closed'],
    stopped: ['closed'],
    closing: ['closing'],
    stopping: ['closing'],
    'req-sent': ['closing', 'irc', 'str'],
    'ack-rcvd': ['closing', 'irc', 'str'],
    'ack-sent': ['closing', 'irc', 'str'],
    opened: ['closing', 'tld', 'irc', 'str'],
  },
  'to+': {
    closing: ['closing', 'str'],
    stopping: ['stopping', 'str'],
    'req-sent': ['req-sent', 'scr'],
    'ack-rcvd': ['req-sent', 'scr'],
    'ack-sent': ['ack-sent', 'scr'],
  },
  'to-': {
    closing: ['closed', 'tlf'],
    stopping: ['stopped', 'tlf'],
    'req-sent': ['stopped', 'tlf'],
    'ack-rcvd': ['stopped', 'tlf'],
    'ack-sent': ['stopped', 'tlf'],
  },
  'rcr+': {
    closed: ['closed', 'sta'],
    stopped: ['ack-sent', 'irc', 'scr', 'sca'],
    closing: ['closing'],
    stopping: ['stopping'],
    'req-sent': ['ack-sent', 'sca'],
    'ack-rcvd': ['opened', 'sca', 'tlu'],
    'ack-sent': ['ack-sent', 'sca'],
    opened: ['ack-sent', 'tld', 'scr', 'sca'],
  },
  'rcr-': {
    closed: ['closed', 'sta'],
    stopped: ['req-sent', 'irc', 'scr', 'scn'],
    closing: ['closing'],
    stopping: ['stopping'],
    'req-sent': ['req-sent', 'scn'],
    'ack-rcvd': ['ack-rcvd', 'scn'],
    'ack-sent': ['req-sent', 'scn'],
    opened: ['req-sent', 'tld', 'scr', 'scn'],
  },
  rca: {
    closed: ['closed', 'sta'],
    stopped: ['stopped', 'sta'],
    closing: ['closing'],
    stopping: ['stopping'],
    'req-sent': ['ack-rcvd', 'irc'],
    'ack-rcvd': ['req-sent', 'scr'],
    'ack-sent': ['opened', 'irc', 'tlu'],
    opened: ['req-sent', 'tld', 'scr'],
  },
  rcn: {
    closed: ['closed', 'sta'],
    stopped: ['stopped', 'sta'],
    closing: ['closing'],
    stopping: ['stopping'],
    'req-sent': ['req-sent', 'irc', 'scr'],
    'ack-rcvd': ['req-sent', 'scr'],
    'ack-sent': ['ack-sent', 'irc', 'scr'],
    opened: ['req-sent', 'tld', 'scr'],
  },
  rtr: {
    closed: ['closed', 'sta'],
    stopped: ['stopped', 'sta'],
    closing: ['closing', 'sta'],
    stopping: ['stopping', 'sta'],
    'req-sent': ['req-sent', 'sta'],
    'ack-rcvd': ['req-sent', 'sta'],
    'ack-sent': ['req-sent', 'sta'],
    opened: ['stopping', 'tld', 'zrc', 'sta'],
  },
  rta: {
    closed: ['closed'],
    stopped: ['stopped'],
    closing: ['closed', 'tlf'],
    stopping: ['stopped', 'tlf'],
    'req-sent': ['req-sent'],
    'ack-rcvd': ['req-sent'],
    'ack-sent': ['ack-sent'],
    opened: ['req-sent', 'tld', 'scr'],
  },
  ruc: {
    closed: ['closed', 'scj'],
    stopped: ['stopped', 'scj'],
    closing: ['closing', 'scj'],
    stopping: ['stopping', 'scj'],
    'req-sent': ['req-sent', 'scj'],
    'ack-rcvd': ['ack-rcvd', 'scj'],
    'ack-sent': ['ack-sent', 'scj'],
    opened: ['opened', 'scj'],
  },
  'rxj+': {
    closed: ['closed'],
    stopped: ['stopped'],
    closing: ['closing'],
    stopping: ['stopping'],
    'req-sent': ['req-sent'],
    'ack-rcvd': ['req-sent'],
    'ack-sent': ['ack-sent'],
    opened: ['opened'],
  },
  'rxj-': {
    closed: ['closed', 'tlf'],
    stopped: ['stopped', 'tlf'],
    closing: ['closed', 'tlf'],
    stopping: ['stopped', 'tlf'],
    'req-sent': ['stopped', 'tlf'],
    'ack-rcvd': ['stopped', 'tlf'],
    'ack-sent': ['stopped', 'tlf'],
    opened: ['stopping', 'tld', 'irc', 'str'],
  },
  rxr: {
    closed: ['closed'],
    stopped: ['stopped'],
    closing: ['closing'],
    stopping: ['stopping'],
    'req-sent': ['req-sent'],
    'ack-rcvd': ['ack-rcvd'],
    'ack-sent': ['ack-sent'],
    opened: ['opened', 'ser'],
  },
};

/** The RFC's footnote letters on cells: r restart option, p passive option, x crossed connection. */
export const NOTES: Readonly<Partial<Record<Event, Partial<Record<State, 'r' | 'p' | 'x'>>>>> = {
  open: { stopped: 'r', closing: 'r', stopping: 'r', opened: 'r' },
  'to-': { 'req-sent': 'p', 'ack-rcvd': 'p', 'ack-sent': 'p' },
  rca: { 'ack-rcvd': 'x', opened: 'x' },
  rcn: { 'ack-rcvd': 'x', opened: 'x' },
};

/** §4.6: the states in which the Restart timer runs. */
export const TIMER_STATES: ReadonlySet<State> = new Set(['closing', 'stopping', 'req-sent', 'ack-rcvd', 'ack-sent']);

/** The cell for (event, state), or undefined for the RFC's "-". */
export function cellOf(event: Event, state: State): Cell | undefined {
  return TRANSITIONS[event][state];
}

/**
 * Runs the §4.1 table. A subclass (ControlProtocol) supplies `perform`, which executes one action
 * (queue a packet, arm a timer, raise an event), and `ignored`, which reports an event that cannot
 * occur in the current state: methods, not callbacks, so an automaton holds no closures (one per
 * protocol per session adds up at 100,000 sessions, issue 10).
 */
export abstract class Automaton {
  state: State = 'initial';

  /** Applies one event. Actions only queue work; they never call step() back. */
  step(event: Event): void {
    const cell = TRANSITIONS[event][this.state];
    if (cell === undefined) {
      this.ignored(event, this.state);
      return;
    }
    for (let i = 1; i < cell.length; i++) this.perform(cell[i] as Action, cell);
    this.state = cell[0];
  }

  /** Runs one action of the cell being applied (the state is still the old one). */
  protected abstract perform(action: Action, cell: Cell): void;

  /** The event cannot occur in `state` (the RFC's "-"): nothing changed. */
  protected abstract ignored(event: Event, state: State): void;
}
