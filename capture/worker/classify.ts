import type { InputPlan } from '../pipeline/plan.js';
import type { ErrorCode } from '../protocol.js';

/**
 * Turns a GStreamer error message into a code and a sentence that says what to fix. Never
 * includes credentials: the URL in the plan has none, and user/password are not echoed.
 */
export function classifyError(
  input: InputPlan,
  element: string,
  gstMessage: string,
): { code: ErrorCode; message: string } {
  const m = gstMessage.toLowerCase();
  switch (input.kind) {
    case 'v4l2':
      if (m.includes('cannot identify device') || m.includes('no such file'))
        return {
          code: 'SOURCE_NOT_FOUND',
          message: `v4l2 device ${input.device} does not exist or is not a video device: ${gstMessage}`,
        };
      if (m.includes('internal data stream error') || m.includes('not-negotiated') || m.includes('format'))
        return {
          code: 'CAPS_UNSUPPORTED',
          message: `v4l2 device ${input.device} does not support the configured caps (${input.format ?? 'any format'} ${input.width ?? '?'}x${input.height ?? '?'}@${input.fps ?? '?'}): ${gstMessage}`,
        };
      break;
    case 'rtsp':
      if (m.includes('unauthorized') || m.includes('forbidden'))
        return {
          code: 'SOURCE_UNAUTHORIZED',
          message: `rtsp ${input.url}: the camera refused the credentials (check username and password or password_file)`,
        };
      if (
        m.includes('could not open resource') ||
        m.includes('could not connect') ||
        m.includes('unhandled error') ||
        m.includes('could not receive')
      )
        return {
          code: 'SOURCE_UNREACHABLE',
          message: `rtsp ${input.url}: ${gstMessage} (check the URL, network and credentials)`,
        };
      if (m.includes('internal data stream error') || m.includes('not-negotiated'))
        return {
          code: 'CAPS_UNSUPPORTED',
          message: `rtsp ${input.url}: the stream is not H.264 video: ${gstMessage}`,
        };
      break;
    case 'file':
      if (m.includes('resource not found') || m.includes('no such file') || m.includes('could not open'))
        return { code: 'SOURCE_NOT_FOUND', message: `file ${input.path} cannot be opened: ${gstMessage}` };
      if (
        m.includes('internal data stream error') ||
        m.includes('not-negotiated') ||
        m.includes('no known streams') ||
        m.includes('demux')
      )
        return {
          code: 'CAPS_UNSUPPORTED',
          message: `file ${input.path}: not H.264 video in MP4/MOV/MKV (${element}: ${gstMessage})`,
        };
      break;
    case 'testsrc':
      break;
  }
  return { code: 'SOURCE_ERROR', message: `${element}: ${gstMessage}` };
}
