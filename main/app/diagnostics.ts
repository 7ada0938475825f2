import type { CrashReporter } from 'electron';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';

/**
 * Leaves a trace of what went wrong: crash dumps kept on this machine (never uploaded), and uncaught errors and
 * unhandled rejections of the main process in berth.log instead of Electron's error dialog over a tray app.
 */
export function recordFailures(log: Logger, crashReporter: Pick<CrashReporter, 'start'>, processEvents: NodeJS.EventEmitter = process): void {
  crashReporter.start({ uploadToServer: false, compress: true });
  processEvents.on('uncaughtException', (error: unknown) => log.error('uncaught exception in the main process', { reason: errorMessage(error), stack: stackOf(error) }));
  processEvents.on('unhandledRejection', (reason: unknown) => log.error('unhandled rejection in the main process', { reason: errorMessage(reason), stack: stackOf(reason) }));
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack?.split('\n').slice(1, 6).join(' | ').trim() : undefined;
}
