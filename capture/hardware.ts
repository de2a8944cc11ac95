import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { H264Decoder, H264Encoder } from './pipeline/plan.js';

const run = promisify(execFile);

/** H.264 encoders and decoders orsight can use, best first, and whether each is hardware. */
export const ENCODERS: ReadonlyArray<{ element: H264Encoder; hardware: boolean; pkg: string }> = [
  { element: 'nvh264enc', hardware: true, pkg: 'gstreamer1.0-plugins-bad (NVIDIA driver + GPU)' },
  { element: 'vah264enc', hardware: true, pkg: 'gstreamer1.0-plugins-bad (VA-API driver)' },
  { element: 'x264enc', hardware: false, pkg: 'gstreamer1.0-plugins-ugly' },
];
export const DECODERS: ReadonlyArray<{ element: H264Decoder; hardware: boolean; pkg: string }> = [
  { element: 'nvh264dec', hardware: true, pkg: 'gstreamer1.0-plugins-bad (NVIDIA driver + GPU)' },
  { element: 'vah264dec', hardware: true, pkg: 'gstreamer1.0-plugins-bad (VA-API driver)' },
  { element: 'avdec_h264', hardware: false, pkg: 'gstreamer1.0-libav' },
];

export interface Hardware {
  /** Every element in the GStreamer registry. */
  elements: ReadonlySet<string>;
  encoders: H264Encoder[];
  decoders: H264Decoder[];
}

/** Reads the GStreamer registry once (`gst-inspect-1.0` lists `plugin:  element: description`). */
export async function discoverHardware(): Promise<Hardware> {
  let out = '';
  try {
    // A plugin that hangs while loading must not hang whoever asks (the daemon, replay):
    // past the timeout nothing is found and the software elements are used.
    out = (await run('gst-inspect-1.0', [], { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 })).stdout;
  } catch {
    out = '';
  }
  const elements = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /^[\w.-]+:\s+([\w.-]+):/.exec(line);
    if (m?.[1]) elements.add(m[1]);
  }
  return {
    elements,
    encoders: ENCODERS.filter((e) => elements.has(e.element)).map((e) => e.element),
    decoders: DECODERS.filter((e) => elements.has(e.element)).map((e) => e.element),
  };
}

export interface Choice<T> {
  element: T;
  /** Set when the configured element is missing and another was taken instead. */
  warning?: string;
}

function choose<T extends string>(what: string, pref: 'auto' | T, found: T[], fallback: T): Choice<T> {
  if (pref !== 'auto') {
    if (found.includes(pref)) return { element: pref };
    const element = found[0] ?? fallback;
    return { element, warning: `capture.${what} ${pref} is not installed; using ${element}` };
  }
  return { element: found[0] ?? fallback };
}

export const chooseEncoder = (pref: 'auto' | H264Encoder, hw: Hardware) =>
  choose('encoder', pref, hw.encoders, 'x264enc');
export const chooseDecoder = (pref: 'auto' | H264Decoder, hw: Hardware) =>
  choose('decoder', pref, hw.decoders, 'avdec_h264');
