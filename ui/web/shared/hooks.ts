import { useEffect, useState } from 'preact/hooks';
import type { ServerClock } from './server-clock.js';

/**
 * Server time, re-rendering on every whole second of the server's clock so all timers on a
 * page tick together and never skip or repeat a second.
 */
export function useServerNow(clock: ServerClock): number {
  const [now, setNow] = useState(() => clock.now());
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      const t = clock.now();
      setNow(t);
      timer = setTimeout(tick, 1000 - (t % 1000) + 5);
    };
    tick();
    return () => clearTimeout(timer);
  }, [clock]);
  return now;
}
