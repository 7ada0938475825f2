import type { Logger } from '../log/logger.js';

/** The slice of Electron's `app` an orderly quit needs. */
export interface QuittingApp {
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  quit(): void;
}

/** Longest a quit waits for the passes under way: a pass has its own network deadlines well inside this. */
export const quitGraceMs = 20_000;

/**
 * Quit waits for the keep-alive passes under way to finish: exiting between the identity provider rotating a refresh
 * token and Berth storing it would lose the session. `onQuitting` runs at once (windows may close from then on).
 */
export function quitAfter(app: QuittingApp, finish: () => Promise<void>, log: Pick<Logger, 'info' | 'warn'>, onQuitting: () => void, graceMs = quitGraceMs): void {
  let phase: 'running' | 'finishing' | 'done' = 'running';
  app.on('before-quit', (event) => {
    if (phase === 'done') return;
    event.preventDefault();
    if (phase === 'finishing') return;
    phase = 'finishing';
    onQuitting();
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    Promise.race([finish().then(() => 'finished' as const), late])
      .then((outcome) => {
        if (outcome === 'late') log.warn('quit without waiting longer for a keep-alive pass', { waitedMs: Date.now() - started });
        else log.info('quit after the passes under way finished', { waitedMs: Date.now() - started });
      })
      .catch((error: unknown) => log.warn('quit after a keep-alive pass failed to stop', { reason: String(error) }))
      .finally(() => {
        clearTimeout(timer);
        phase = 'done';
        app.quit();
      });
  });
}
