import { checkExitCode, type CheckResult } from '../registry/pull-check.js';

/** What `berth check` prints, on which stream, and its exit code: the quick start and the full CLI say it alike. */
export function checkReport(result: CheckResult, json: boolean): { text: string; stream: 'stdout' | 'stderr'; code: number } {
  const code = checkExitCode(result.verdict);
  if (json) return { text: `${JSON.stringify(result, null, 2)}\n`, stream: 'stdout', code };
  return { text: `${result.message}${result.actionUrl ? `\n  fix: ${result.actionUrl}` : ''}\n`, stream: code === 0 ? 'stdout' : 'stderr', code };
}
