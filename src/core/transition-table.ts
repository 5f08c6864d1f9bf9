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

/**
 * How a TableRunner is built. The callbacks are also handed the runner's `owner`, so that one
 * options object (with its functions) can serve every runner of a kind: no closures per runner
 * (issue 10: one per session adds up at 100,000 sessions).
 */
export interface TableRunnerOptions<S extends string, E extends string, A extends string, I, O = undefined> {
  readonly table: TransitionTable<S, E, A>;
  readonly initial: S;
  /** Runs one action; it queues messages, timers and events and never fires this runner again. */
  readonly perform: (action: A, step: Step<S, E, A, I>, owner: O) => void;
  /** Entries kept in `log` (oldest dropped first); 0 keeps none. */
  readonly logSize: number;
  /**
   * States a machine settles in for long (a call once established): entering one cuts the log to
   * that step alone, so a settled machine does not keep the records of how it got there.
   */
  readonly settled?: ReadonlySet<S>;
  /** Told about every ignored (missing-cell) event, besides the log and the counter. */
  readonly onIgnored?: (event: E, state: S, owner: O) => void;
  /**
   * Told about every step, taken or ignored, once its actions have run (so the observer sees
   * what they set). For debug logs; absent, a step costs one undefined check more.
   */
  readonly onStep?: (r: TransitionRecord, owner: O) => void;
}

const NO_RECORDS: readonly TransitionRecord[] = Object.freeze([]);

/**
 * Runs a transition table. Order of one step: the record is logged, the state is set to the
 * cell's next state, then the actions run in order (so an action sees the new state and reads the
 * old one from `step.from`; a throwing action leaves the new state behind).
 */
export class TableRunner<S extends string, E extends string, A extends string, I, O = undefined> {
  /** The current state. Engines change it only through fire(); tests may set it as a fixture. */
  state: S;
  /** Ignored (state, event) pairs seen (missing cells), for diagnostics. */
  ignored = 0;
  /** The log; undefined until the first step. */
  private records: TransitionRecord[] | undefined;

  /** `owner` is handed to the callbacks of `opts` (omit it when they are closures of their own). */
  constructor(
    private readonly opts: TableRunnerOptions<S, E, A, I, O>,
    private readonly owner: O = undefined as O,
  ) {
    this.state = opts.initial;
  }

  /** The last `logSize` steps, oldest first. */
  get log(): readonly TransitionRecord[] {
    return this.records ?? NO_RECORDS;
  }

  /** Applies one event with its input; a missing cell is counted, logged and changes nothing. */
  fire(event: E, now: Instant, input: I): void {
    const from = this.state;
    const cell = this.opts.table[event][from];
    if (cell === undefined) {
      this.ignored++;
      const r: TransitionRecord = { at: now, event, from, to: from, ignored: true };
      this.record(r, false);
      this.opts.onIgnored?.(event, from, this.owner);
      this.opts.onStep?.(r, this.owner);
      return;
    }
    const to = cell[0];
    const r: TransitionRecord = { at: now, event, from, to, ignored: false };
    const settled = this.opts.settled;
    this.record(r, settled?.has(to) === true && !settled.has(from));
    this.state = to;
    const step: Step<S, E, A, I> = { event, from, cell, input, now };
    for (let i = 1; i < cell.length; i++) this.opts.perform(cell[i] as A, step, this.owner);
    this.opts.onStep?.(r, this.owner);
  }

  /** Logs `r`; `settling`: it enters a settled state, so the log restarts with it. */
  private record(r: TransitionRecord, settling: boolean): void {
    const o = this.opts;
    if (o.logSize === 0) return;
    const records = this.records;
    if (records === undefined || settling) {
      this.records = [r];
      return;
    }
    if (records.length >= o.logSize) records.shift();
    records.push(r);
  }
}
