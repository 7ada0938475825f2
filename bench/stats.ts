export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 ? (sorted[Math.floor(middle)] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Median, min and max of a list of milliseconds, as one line. */
export function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `median ${median(samples).toFixed(1)} ms   min ${(sorted[0] as number).toFixed(1)} ms   max ${(sorted.at(-1) as number).toFixed(1)} ms`;
}
