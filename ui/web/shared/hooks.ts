import { useEffect, useState } from 'preact/hooks';
import type { ServerClock } from './server-clock.js';

/**
 * Server time for this render, re-rendering on every whole second of the server's clock so
 * all timers on a page tick together. Read at render time (not kept in state), so a render
 * caused by new data right after the clock is first synced already shows server time.
 */
export function useServerNow(clock: ServerClock): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      setTick((n) => n + 1);
      timer = setTimeout(tick, 1000 - (clock.now() % 1000) + 5);
    };
    timer = setTimeout(tick, 1000 - (clock.now() % 1000) + 5);
    return () => clearTimeout(timer);
  }, [clock]);
  return clock.now();
}
