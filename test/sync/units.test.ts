import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../sync/backoff.js';
import { OrderedHasher, sha256 } from '../../sync/file-hash.js';
import { RateLimiter } from '../../sync/rate-limiter.js';
import { canonicalJson, parsePublicKey, signCommand, verifyCommand } from '../../sync/signing.js';
import { parseDeviceTopic } from '../../sync/topics.js';
import { UploadWindow } from '../../sync/upload-window.js';

describe('sync building blocks', () => {
  it('parses only well-formed device topics', () => {
    expect(parseDeviceTopic('orsight/v1/site-a/or-1/rec/case')).toEqual({
      type: 'record',
      id: { site: 'site-a', device: 'or-1' },
      kind: 'case',
    });
    expect(parseDeviceTopic('orsight/v1/site-a/or-1/file/abc/1048576/' + 'a'.repeat(64))).toMatchObject({
      type: 'file',
      fileId: 'abc',
      step: { kind: 'segment', offsetBytes: 1048576 },
    });
    expect(parseDeviceTopic('orsight/v1/site-a/or-1/file/abc/fin/10')).toMatchObject({
      step: { kind: 'fin', sizeBytes: 10 },
    });
    for (const bad of [
      'orsight/v1/Site/or-1/rec/case',
      'orsight/v1/site-a/or-1/rec/case/extra',
      'orsight/v1/site-a/or-1/file/abc/-1',
      'orsight/v1/site-a/or-1/file/abc/01',
      'orsight/v1/site-a/or-1/file/abc/0/nothex',
      'orsight/v1/site-a/or-1/file/../init',
      'orsight/v2/site-a/or-1/status',
      'orsight/v1/site-a/or-1/whatever',
    ]) {
      expect(parseDeviceTopic(bad), bad).toBeUndefined();
    }
  });

  it('backs off exponentially with jitter, capped', () => {
    const lo = () => 0;
    const hi = () => 0.999999;
    expect(backoffMs(0, 1000, 60_000, lo)).toBe(500);
    expect(backoffMs(3, 1000, 60_000, hi)).toBe(8000);
    expect(backoffMs(20, 1000, 60_000, hi)).toBe(60_000);
    const samples = new Set(Array.from({ length: 50 }, () => backoffMs(4, 1000, 60_000)));
    expect(samples.size).toBeGreaterThan(10);
    for (const s of samples) expect(s).toBeGreaterThanOrEqual(8000);
  });

  it('signs canonical JSON: key order does not matter, any change breaks the signature', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64');
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    const signed = signCommand({ z: 1, a: { y: 'x' } }, pem);
    const key = parsePublicKey(raw);
    expect(verifyCommand({ a: { y: 'x' }, z: 1, sig: signed.sig }, key)).toBe(true);
    expect(verifyCommand({ ...signed, z: 2 }, key)).toBe(false);
    expect(verifyCommand({ ...signed, sig: 'AAAA' }, key)).toBe(false);
    expect(() => parsePublicKey('c2hvcnQ=')).toThrow(/32 bytes/);
  });

  it('hashes chunks read out of order in offset order', () => {
    const data = Buffer.from('abcdefghijklmnopqrstuvwxyz');
    const h = new OrderedHasher();
    h.add(10, data.subarray(10, 20));
    h.add(20, data.subarray(20));
    h.add(20, data.subarray(20)); // a resend of a waiting chunk is held once
    expect([h.waitingChunks, h.waitingBytes]).toEqual([2, 16]);
    h.add(0, data.subarray(0, 10));
    expect([h.waitingChunks, h.waitingBytes]).toEqual([0, 0]);
    h.add(0, data.subarray(0, 10)); // a resend changes nothing
    expect(h.upToBytes).toBe(26);
    expect(h.digest()).toBe(sha256(data));
  });

  it('caps bandwidth with a token bucket', async () => {
    let now = 0;
    const limiter = new RateLimiter(1000, () => now);
    await limiter.take(1000); // the first second's worth is there at once
    let done = false;
    const p = limiter.take(500).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    now += 500;
    await p;
    expect(done).toBe(true);
  });

  it('upload windows follow cron expressions; none means always', () => {
    const always = new UploadWindow([]);
    always.start();
    expect(always.isOpen()).toBe(true);
    const nights = new UploadWindow(['* 0-5,22-23 * * *']);
    nights.start();
    expect(nights.isOpen(new Date(2026, 0, 1, 23, 30))).toBe(true);
    expect(nights.isOpen(new Date(2026, 0, 1, 12, 0))).toBe(false);
    nights.stop();
    expect(() => new UploadWindow(['not cron']).start()).toThrow(/not a valid cron expression/);
  });
});
