import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/**
 * ed25519 signatures for commands from headquarters. The signed bytes are the canonical JSON
 * (keys sorted, no spaces) of the command without its `sig` field.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Reads a public key given as PEM (SPKI) or as 32 raw bytes in base64. */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return createPublicKey(trimmed);
  const raw = Buffer.from(trimmed, 'base64');
  if (raw.length !== 32) throw new Error('an ed25519 public key is 32 bytes (base64) or a PEM block');
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function unsigned(command: Record<string, unknown>): Buffer {
  const { sig: _sig, ...rest } = command;
  return Buffer.from(canonicalJson(rest));
}

/** Signs a command (headquarters side; also used by tests and the central CLI). */
export function signCommand<T extends Record<string, unknown>>(
  command: T,
  privateKeyPem: string,
): T & { sig: string } {
  const key = createPrivateKey(privateKeyPem);
  const sig = sign(null, unsigned(command), key).toString('base64');
  return { ...command, sig };
}

export function verifyCommand(command: Record<string, unknown> & { sig: string }, key: KeyObject): boolean {
  try {
    return verify(null, unsigned(command), key, Buffer.from(command.sig, 'base64'));
  } catch {
    return false;
  }
}
