import type { CentralBackend } from './backend.js';

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
export async function caseCompleteness(
  db: CentralBackend,
  site: string,
  device: string,
): Promise<CaseCompleteness[]> {
  const out: CaseCompleteness[] = [];
  for (const c of await db.caseRecords(site, device)) {
    const data = JSON.parse(c.payload) as { endedAt?: number | null; counts?: Record<string, number> };
    const got = Object.fromEntries(
      (await db.recordCounts(site, device, c.record_id)).map((r) => [r.kind, Number(r.n)]),
    );
    const expected: Record<string, number> = {};
    const received: Record<string, number> = {};
    for (const [key, kind] of Object.entries(COUNT_KINDS)) {
      expected[key] = data.counts?.[key] ?? 0;
      received[key] = got[kind] ?? 0;
    }
    const filesComplete = await db.completeFiles(site, device, c.record_id);
    const ended = data.endedAt !== null && data.endedAt !== undefined;
    const complete =
      ended &&
      Object.keys(expected).every((k) => (received[k] ?? 0) >= (expected[k] ?? 0)) &&
      filesComplete >= (expected.recordings ?? 0);
    out.push({ caseId: c.record_id, ended, expected, received, filesComplete, complete });
  }
  return out;
}

/** Devices, last seen, versions, queue depth and how many of their cases are complete. */
export async function fleetView(db: CentralBackend): Promise<FleetDevice[]> {
  const out: FleetDevice[] = [];
  for (const r of await db.devices()) {
    const t = r.telemetry
      ? (JSON.parse(r.telemetry) as { outbox?: { pending?: number; oldestPendingAgeS?: number | null } })
      : undefined;
    const cases = await caseCompleteness(db, r.site, r.device);
    out.push({
      site: r.site,
      device: r.device,
      state: r.state,
      lastSeenMs: Number(r.last_seen_ms),
      versions: r.versions ? (JSON.parse(r.versions) as Record<string, string>) : null,
      model: r.model,
      queueDepth: t?.outbox?.pending ?? null,
      oldestPendingAgeS: t?.outbox?.oldestPendingAgeS ?? null,
      casesTotal: cases.length,
      casesComplete: cases.filter((c) => c.complete).length,
    });
  }
  return out;
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
