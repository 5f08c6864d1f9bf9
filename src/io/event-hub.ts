// Typed events of a running engine for library users: on/off by `type` (or '*'), and a promise
// that waits for the first matching event. Shared by createLns and createLac.
import { EventEmitter } from 'node:events';

/** Internal errors (an engine threw; its tunnel was torn down) go to listeners of this name. */
export const INTERNAL_ERROR = 'error-internal';

/** Fan-out of events `E` by their `type`. */
export class EventHub<E extends { readonly type: string }> {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** Delivers `e` to the listeners of its type, then to '*'. */
  emit(e: E): void {
    this.emitter.emit(e.type, e);
    this.emitter.emit('*', e);
  }

  /** Reports an engine bug that the driver survived. */
  emitInternalError(err: unknown): void {
    this.emitter.emit(INTERNAL_ERROR, err);
  }

  on<T extends E['type']>(type: T | '*', listener: (e: Extract<E, { type: T }>) => void): void {
    this.emitter.on(type, listener as (...a: unknown[]) => void);
  }

  /** Listens for internal errors (see INTERNAL_ERROR). */
  onInternalError(listener: (err: unknown) => void): void {
    this.emitter.on(INTERNAL_ERROR, listener);
  }

  off(type: string, listener: (...args: never[]) => void): void {
    this.emitter.off(type, listener as (...a: unknown[]) => void);
  }

  /** Resolves with the first event of `type` that matches `predicate`; rejects after `timeoutMs`. */
  waitFor<T extends E['type']>(
    type: T,
    predicate?: (e: Extract<E, { type: T }>) => boolean,
    timeoutMs = 10_000,
  ): Promise<Extract<E, { type: T }>> {
    return new Promise((resolve, reject) => {
      const listener = (e: Extract<E, { type: T }>): void => {
        if (predicate && !predicate(e)) return;
        clearTimeout(timer);
        this.emitter.off(type, listener as (...a: unknown[]) => void);
        resolve(e);
      };
      const timer = setTimeout(() => {
        this.emitter.off(type, listener as (...a: unknown[]) => void);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${type}`));
      }, timeoutMs);
      this.emitter.on(type, listener as (...a: unknown[]) => void);
    });
  }

  /** Drops every listener. */
  clear(): void {
    this.emitter.removeAllListeners();
  }
}
