import { useEffect, useState } from 'react';

/** The time of this render; the component renders again every `intervalMs`, so countdowns move while the window is open. */
export function useNow(intervalMs = 30_000): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((tick) => tick + 1), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return Date.now();
}
