import { errorMessage } from '../errors.js';
import { redact } from '../log/redact.js';

/** The line `berth <command>` ends on when it fails: the error's own words, without any secret Berth knows. */
export function failureLine(command: string, error: unknown): string {
  return `berth ${command}: ${redact(errorMessage(error))}\n`;
}
