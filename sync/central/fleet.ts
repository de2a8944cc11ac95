import type { CentralDb } from './central-store.js';

export interface FleetDevice {
  site: string;
  device: string;
  state: string | null;
  lastSeenMs: number;
  versions: Record<string, string> | null;
  model: string | null;
  queueDepth: number | null;
  oldestPendingAgeS: number | null;
  casesTotal: number;
  casesComplete: number;
}

export interface CaseCompleteness {
  caseId: string;
  ended: boolean;
  expected: Record<string, number>;
  received: Record<string, number>;
  filesComplete: number;
  complete: boolean;
}

const COUNT_KINDS: Record<string, string> = {
  phaseSegments: 'phase_segment',
  events: 'event',
  bookmarks: 'bookmark',
  corrections: 'correction',
  recordings: 'recording',
};

/** Per-case completeness: what the device's latest case record says exists vs. what arrived. */
export function caseCompleteness(db: CentralDb, site: string, device: string): CaseCompleteness[] {
  const cases = db
    .prepare(
      `SELECT record_id, payload FROM records WHERE site = ? AND device = ? AND kind = 'case' ORDER BY record_id`,
    )
    .all(site, device) as Array<{ record_id: string; payload: string }>;
  const counts = db.prepare(
    'SELECT kind, count(*) AS n FROM records WHERE site = ? AND device = ? AND case_id = ? GROUP BY kind',
  );
  const files = db.prepare(
    `SELECT count(*) AS n FROM files WHERE site = ? AND device = ? AND case_id = ? AND state = 'complete'`,
  );
  return cases.map((c) => {
    const data = JSON.parse(c.payload) as { endedAt?: number | null; counts?: Record<string, number> };
    const got = Object.fromEntries(
      (counts.all(site, device, c.record_id) as Array<{ kind: string; n: number }>).map((r) => [r.kind, r.n]),
    );
    const expected: Record<string, number> = {};
    const received: Record<string, number> = {};
    for (const [key, kind] of Object.entries(COUNT_KINDS)) {
      expected[key] = data.counts?.[key] ?? 0;
      received[key] = got[kind] ?? 0;
    }
    const filesComplete = (files.get(site, device, c.record_id) as { n: number }).n;
    const ended = data.endedAt !== null && data.endedAt !== undefined;
    const complete =
      ended &&
      Object.keys(expected).every((k) => (received[k] ?? 0) >= (expected[k] ?? 0)) &&
      filesComplete >= (expected.recordings ?? 0);
    return { caseId: c.record_id, ended, expected, received, filesComplete, complete };
  });
}

/** Devices, last seen, versions, queue depth and how many of their cases are complete. */
export function fleetView(db: CentralDb): FleetDevice[] {
  const rows = db
    .prepare(
      'SELECT site, device, state, last_seen_ms, versions, model, telemetry FROM devices ORDER BY site, device',
    )
    .all() as Array<{
    site: string;
    device: string;
    state: string | null;
    last_seen_ms: number;
    versions: string | null;
    model: string | null;
    telemetry: string | null;
  }>;
  return rows.map((r) => {
    const t = r.telemetry
      ? (JSON.parse(r.telemetry) as { outbox?: { pending?: number; oldestPendingAgeS?: number | null } })
      : undefined;
    const cases = caseCompleteness(db, r.site, r.device);
    return {
      site: r.site,
      device: r.device,
      state: r.state,
      lastSeenMs: r.last_seen_ms,
      versions: r.versions ? (JSON.parse(r.versions) as Record<string, string>) : null,
      model: r.model,
      queueDepth: t?.outbox?.pending ?? null,
      oldestPendingAgeS: t?.outbox?.oldestPendingAgeS ?? null,
      casesTotal: cases.length,
      casesComplete: cases.filter((c) => c.complete).length,
    };
  });
}

export function formatFleet(devices: FleetDevice[]): string {
  const head = ['SITE', 'DEVICE', 'STATE', 'LAST SEEN', 'ORSIGHT', 'MODEL', 'QUEUE', 'CASES SYNCED'];
  const lines = devices.map((d) => [
    d.site,
    d.device,
    d.state ?? '-',
    new Date(d.lastSeenMs).toISOString(),
    d.versions?.orsight ?? '-',
    d.model ?? '-',
    d.queueDepth === null ? '-' : String(d.queueDepth),
    `${d.casesComplete}/${d.casesTotal}`,
  ]);
  const all = [head, ...lines];
  const widths = head.map((_, i) => Math.max(...all.map((l) => l[i]!.length)));
  return all
    .map((l) =>
      l
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
