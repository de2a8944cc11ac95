/**
 * Everything that reaches a gst-launch string passes through here. Identifiers and numbers are
 * validated; free text (paths, URLs, credentials) is quoted with `"` and `\` escaped, after
 * control characters are refused, so no value can end its quote and add an element.
 */
export class PipelineValueError extends Error {
  readonly code = 'PIPELINE_VALUE_INVALID';
}

function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A double-quoted gst-launch string value. */
export function quote(what: string, value: string): string {
  if (hasControl(value)) throw new PipelineValueError(`${what} contains a control character`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A non-negative integer within [min, max]. */
export function int(what: string, value: number, min: number, max: number): string {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PipelineValueError(`${what} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return String(value);
}

/** One of a fixed set of words (element names, enum values). */
export function word<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new PipelineValueError(
      `${what} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

/** A caps token such as a pixel format or framerate fraction read back from GStreamer. */
export function capsToken(what: string, value: string): string {
  if (!/^[A-Za-z0-9_/.-]{1,32}$/.test(value))
    throw new PipelineValueError(`${what} ${JSON.stringify(value)} is not a caps token`);
  return value;
}

/** A file-name pattern for splitmuxsink: the directory may not contain `%` (it is a format string). */
export function locationPattern(dir: string, prefix: string): string {
  if (dir.includes('%')) throw new PipelineValueError('recording directory may not contain %');
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new PipelineValueError('chunk prefix must be [A-Za-z0-9_-]');
  return quote('recording location', `${dir.replace(/\/+$/, '')}/${prefix}-%05d.mp4`);
}
