import { DECODERS, discoverHardware, ENCODERS, type Hardware } from './hardware.js';
import type { H264Decoder, H264Encoder } from './pipeline/plan.js';

/** The shape of a doctor check (daemon/doctor.ts). */
export interface GstCheck {
  name: string;
  ok: boolean;
  required: boolean;
  detail: string;
  fix?: string;
}

/** GStreamer elements capture uses, and the Debian package that ships each. */
export const GST_ELEMENTS: ReadonlyArray<{ element: string; pkg: string; required: boolean; why: string }> = [
  { element: 'tee', pkg: 'libgstreamer1.0-0', required: true, why: 'analysis and recording branches' },
  { element: 'queue', pkg: 'libgstreamer1.0-0', required: true, why: 'leaky branch queues' },
  { element: 'identity', pkg: 'libgstreamer1.0-0', required: true, why: 'real-time file playback' },
  { element: 'videotestsrc', pkg: 'gstreamer1.0-plugins-base', required: true, why: 'sim source' },
  { element: 'videoconvert', pkg: 'gstreamer1.0-plugins-base', required: true, why: 'colour conversion' },
  { element: 'videoscale', pkg: 'gstreamer1.0-plugins-base', required: true, why: 'analysis scaling' },
  { element: 'videorate', pkg: 'gstreamer1.0-plugins-base', required: true, why: 'analysis frame rate' },
  { element: 'fdsink', pkg: 'libgstreamer1.0-0', required: true, why: 'analysis frames to the daemon' },
  { element: 'appsink', pkg: 'gstreamer1.0-plugins-base', required: true, why: 'replay and training frames' },
  { element: 'qtdemux', pkg: 'gstreamer1.0-plugins-good', required: true, why: 'MP4/MOV files' },
  { element: 'matroskademux', pkg: 'gstreamer1.0-plugins-good', required: false, why: 'MKV files' },
  { element: 'splitmuxsink', pkg: 'gstreamer1.0-plugins-good', required: true, why: 'recording chunks' },
  { element: 'mp4mux', pkg: 'gstreamer1.0-plugins-good', required: true, why: 'MP4 chunks' },
  { element: 'rtspsrc', pkg: 'gstreamer1.0-plugins-good', required: true, why: 'rtsp sources' },
  { element: 'rtph264depay', pkg: 'gstreamer1.0-plugins-good', required: true, why: 'rtsp H.264' },
  { element: 'v4l2src', pkg: 'gstreamer1.0-plugins-good', required: false, why: 'capture cards' },
  { element: 'jpegdec', pkg: 'gstreamer1.0-plugins-good', required: false, why: 'MJPG capture cards' },
  { element: 'h264parse', pkg: 'gstreamer1.0-plugins-bad', required: true, why: 'H.264 parsing' },
  {
    element: 'intervideosink',
    pkg: 'gstreamer1.0-plugins-bad',
    required: true,
    why: 'feeds the recording pipeline',
  },
  {
    element: 'intervideosrc',
    pkg: 'gstreamer1.0-plugins-bad',
    required: true,
    why: 'recording pipeline input',
  },
  { element: 'avdec_h264', pkg: 'gstreamer1.0-libav', required: true, why: 'software H.264 decoding' },
  { element: 'x264enc', pkg: 'gstreamer1.0-plugins-ugly', required: true, why: 'software H.264 encoding' },
];

function codecCheck<T extends string>(
  what: 'encoder' | 'decoder',
  table: ReadonlyArray<{ element: T; hardware: boolean; pkg: string }>,
  found: T[],
  configured: 'auto' | T,
): GstCheck {
  const hw = table.filter((e) => e.hardware);
  const hwFound = hw.filter((e) => found.includes(e.element)).map((e) => e.element);
  const auto = found[0];
  const parts = [
    `hardware: ${hwFound.length ? hwFound.join(', ') : `none (${hw.map((e) => `${e.element}: ${e.pkg}`).join('; ')})`}`,
  ];
  if (configured !== 'auto') {
    const ok = found.includes(configured);
    parts.push(`configured capture.${what}: ${configured}${ok ? '' : ' (missing)'}`);
    return {
      name: `gst h264 ${what}`,
      ok,
      required: false,
      detail: `${parts.join('; ')}; would use ${ok ? configured : (auto ?? 'none')}`,
      fix: ok
        ? undefined
        : `install ${table.find((e) => e.element === configured)?.pkg ?? configured}, or set capture.${what}: auto`,
    };
  }
  return {
    name: `gst h264 ${what}`,
    ok: !!auto,
    required: true,
    detail: `${parts.join('; ')}; using ${auto ?? 'none'}${auto && !hwFound.includes(auto) ? ' (software)' : ''}`,
    fix: auto ? undefined : `apt-get install ${table.at(-1)!.pkg}`,
  };
}

/**
 * The GStreamer part of `orsight doctor`: every element capture needs (a missing one named
 * with its Debian package), and the H.264 encoders/decoders found, with the one that will be used.
 */
export async function gstChecks(
  config: { encoder: 'auto' | H264Encoder; decoder: 'auto' | H264Decoder } = {
    encoder: 'auto',
    decoder: 'auto',
  },
  discover: () => Promise<Hardware> = discoverHardware,
): Promise<GstCheck[]> {
  const hw = await discover();
  const checks: GstCheck[] = GST_ELEMENTS.map((e) => {
    const ok = hw.elements.has(e.element);
    return {
      name: `gst ${e.element}`,
      ok,
      required: e.required,
      detail: ok ? 'present' : `missing (needed for ${e.why}); Debian package ${e.pkg}`,
      fix: ok ? undefined : `apt-get install ${e.pkg}`,
    };
  });
  checks.push(codecCheck('encoder', ENCODERS, hw.encoders, config.encoder));
  checks.push(codecCheck('decoder', DECODERS, hw.decoders, config.decoder));
  return checks;
}
