// Time as data: engines are handed `now`; only src/io reads a clock.

/** Monotonic milliseconds. Only src/io reads the clock; every engine is handed `now`. */
export type Instant = number;
