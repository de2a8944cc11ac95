/**
 * Client-side bounds, named in one place. They only shape how the browser behaves (the
 * daemon's own bounds live in the config schema).
 */
export const CLIENT = {
  /** First reconnect delay after the live socket closes; doubles up to the maximum. */
  reconnectInitialMs: 500,
  reconnectMaxMs: 4000,
  /** With no message (heartbeats included) for this long the socket is considered dead
   *  (the daemon's default heartbeat is every 5 s: cases.heartbeat_interval_ms). */
  liveSilenceMs: 12000,
  /** A closed socket shows "unreachable" after this grace, so a quick reconnect does not flash. */
  unreachableGraceMs: 1000,
  /** Clock offset samples kept; the best (least delayed) one is used. */
  clockSamples: 8,
  /** Review: how far the arrow keys and j/l skip. */
  seekSmallMs: 5000,
  seekLargeMs: 30000,
  /** Cases per page in the review list. */
  casesPageSize: 50,
} as const;
