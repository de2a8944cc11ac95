/**
 * A small fetch wrapper for the daemon's REST API. Errors come back as ApiError values with
 * the server's code and message (the API's one error body shape), or NETWORK when the daemon
 * cannot be reached.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | undefined | null>;
  signal?: AbortSignal;
}

export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  return url.pathname + url.search;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path, options.query), {
      method: options.method ?? 'GET',
      credentials: 'same-origin',
      headers: options.body !== undefined ? { 'content-type': 'application/json' } : {},
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      signal: options.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', 'The orsight daemon cannot be reached.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const body: unknown = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const { code, message } = errorOf(body, res);
    throw new ApiError(res.status, code, message);
  }
  return body as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Accepts `{error:{code,message}}` and fastify's `{code,message,statusCode}`. */
function errorOf(body: unknown, res: Response): { code: string; message: string } {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const inner = (b.error && typeof b.error === 'object' ? b.error : b) as Record<string, unknown>;
    if (typeof inner.message === 'string') {
      return {
        code: typeof inner.code === 'string' ? inner.code : `HTTP_${res.status}`,
        message: inner.message,
      };
    }
  }
  return { code: `HTTP_${res.status}`, message: res.statusText || `HTTP ${res.status}` };
}
