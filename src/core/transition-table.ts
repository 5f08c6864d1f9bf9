// The one runner of table-driven automata (STYLE.md B.4): a table of [next, ...actions] cells, one
// order per step (record it, set the state, run the actions), one bounded transition log.
// Related: l2tp/tunnel-table.ts, l2tp/session.ts (its users); shaped so ppp/automaton.ts can use it.
import type { Instant } from './time.js';

/** One table cell: the next state, then the actions in order. */
export type Cell<S extends string, A extends string> = readonly [S, ...A[]];

/** Rows = events, columns = states. A missing cell means "cannot happen here": ignored, logged. */
export type TransitionTable<S extends string, E extends string, A extends string> = Readonly<
  Record<E, Readonly<Partial<Record<S, Cell<S, A>>>>>
>;

/** One entry of a transition log, for `ctl` and test failure messages. */
export interface TransitionRecord {
  readonly at: Instant;
  readonly event: string;
  readonly from: string;
  readonly to: string;
  /** True when the cell was missing: the event was ignored. */
  readonly ignored: boolean;
}

/** What every action of one step is handed: the event, the state it left, its cell and its input. */
export interface Step<S extends string, E extends string, A extends string, I> {
  readonly event: E;
  readonly from: S;
  readonly cell: Cell<S, A>;
  /** What the event carries (a decoded message, a reason, a fault): never read from stash fields. */
  readonly input: I;
  readonly now: Instant;
}

/** How a TableRunner is built. */
export interface TableRunnerOptions<S extends string, E extends string, A extends string, I> {
  readonly table: TransitionTable<S, E, A>;
  readonly initial: S;
  /** Runs one action; it queues messages, timers and events and never fires this runner again. */
  readonly perform: (action: A, step: Step<S, E, A, I>) => void;
  /** Entries kept in `log` (oldest dropped first); 0 keeps none. */
  readonly logSize: number;
  /** Told about every ignored (missing-cell) event, besides the log and the counter. */
  readonly onIgnored?: (event: E, state: S) => void;
  /**
   * Told about every step, taken or ignored, once its actions have run (so the observer sees
   * what they set). For debug logs; absent, a step costs one undefined check more.
   */
  readonly onStep?: (r: TransitionRecord) => void;
}

/**
 * Runs a transition table. Order of one step: the record is logged, the state is set to the
 * cell's next state, then the actions run in order (so an action sees the new state and reads the
 * old one from `step.from`; a throwing action leaves the new state behind).
 */
export class TableRunner<S extends string, E extends string, A extends string, I> {
  /** The current state. Engines change it only through fire(); tests may set it as a fixture. */
  state: S;
  /** Ignored (state, event) pairs seen (missing cells), for diagnostics. */
  ignored = 0;
  /** The last `logSize` steps, oldest first. */
  readonly log: TransitionRecord[] = [];

  constructor(private readonly opts: TableRunnerOptions<S, E, A, I>) {
    this.state = opts.initial;
  }

  /** Applies one event with its input; a missing cell is counted, logged and changes nothing. */
  fire(event: E, now: Instant, input: I): void {
    const from = this.state;
    const cell = this.opts.table[event][from];
    if (cell === undefined) {
      this.ignored++;
      const r: TransitionRecord = { at: now, event, from, to: from, ignored: true };
      this.record(r);
      this.opts.onIgnored?.(event, from);
      this.opts.onStep?.(r);
      return;
    }
    const to = cell[0];
    const r: TransitionRecord = { at: now, event, from, to, ignored: false };
    this.record(r);
    this.state = to;
    const step: Step<S, E, A, I> = { event, from, cell, input, now };
    for (let i = 1; i < cell.length; i++) this.opts.perform(cell[i] as A, step);
    this.opts.onStep?.(r);
  }

  private record(r: TransitionRecord): void {
    if (this.opts.logSize === 0) return;
    if (this.log.length >= this.opts.logSize) this.log.shift();
    this.log.push(r);
  }
}
