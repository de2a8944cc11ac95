import { createRequire } from 'node:module';

/** The parts of gstreamer-superficial used here (it ships no types). */
export interface GstMessage {
  type: string;
  name?: string;
  message?: string;
  _src_element_name?: string;
  [field: string]: unknown;
}

export interface GstElement {
  [property: string]: unknown;
}

export interface GstAppSink extends GstElement {
  pull(cb: (buf: Buffer | null, caps: Record<string, unknown>) => void): void;
}

export interface GstPipeline {
  play(): void;
  pause(): void;
  stop(): void;
  sendEOS(): void;
  seek(positionS: number, flags: number): boolean;
  forceKeyUnit(element: string, count: number): boolean;
  findChild(name: string): GstElement | undefined;
  pollBus(cb: (msg: GstMessage) => void): void;
  'auto-flush-bus': boolean;
}

interface GstModule {
  Pipeline: new (launch: string) => GstPipeline;
}

export const SEEK_FLUSH = 1;
export const SEEK_SEGMENT = 8;

const require = createRequire(import.meta.url);

/** The native binding (loaded on first use: it initialises GStreamer). */
function gstModule(): GstModule {
  return require('gstreamer-superficial') as GstModule;
}

/** Parses a launch string; throws the GStreamer parse error (missing element, bad syntax). */
export function parsePipeline(launch: string): GstPipeline {
  const p = new (gstModule().Pipeline)(launch);
  // Keep messages posted while going to NULL so the bus poller wakes and ends instead of
  // blocking a libuv pool thread for good.
  p['auto-flush-bus'] = false;
  return p;
}
