// SPDX-License-Identifier: Apache-2.0
// A policy profile that makes the sample tus server refuse uploads the way
// real file and chat services do, so every refusal ferry must explain can be
// produced on 127.0.0.1. Loaded from a JSON file (server.mjs --policy FILE):
//
// {
//   "blocked_extensions": [".exe", ".bat", ".lnk"],   -> 403 problem+json
//   "max_file_bytes": 1048576,       -> 413 (not announced in Tus-Max-Size)
//   "quota_bytes": 5000000,          -> 507 problem+json (per user)
//   "rate_limit": {"requests": 5, "window_ms": 1000},  -> 429 + Retry-After
//   "maintenance": {"for_ms": 1500}, -> 503 + Retry-After (HTTP date) until
//                                       for_ms after start
//   "tokens": {"tok-a": {"user": "alice", "ttl_ms": 60000}},
//                                    -> 401 (invalid_token once expired)
//   "max_request_skew_s": 300,       -> 403 when the request's Date is off
//   "clock_offset_s": 0,             -> this server's clock (Date header) is
//                                       shifted by this much
//   "blocked_pairs": [{"sender": "alice", "recipient": "mallory"}],
//                                    -> 403 problem (recipient refuses)
//   "scan_marker": "FERRY-TEST-MALWARE",  -> 422 when the data contains it
//   "numeric_codes": false           -> when true, every refusal is HTTP 400
//                                       with {"error":{"code":N,"message":..}}
// }
//
// Numeric codes (numeric_codes mode): 10001 file type blocked, 10002
// recipient blocked you, 10003 file too large, 10004 quota exceeded, 10005
// content rejected, 20001 token expired, 20002 not signed in, 42901 too many
// requests, 50001 device clock out of sync, 50301 maintenance.

const PROBLEM_BASE = 'https://ferry.invalid/problems/';

function decodeMetadata(header) {
  const out = {};
  for (const item of (header || '').split(',')) {
    const [key, value] = item.trim().split(' ');
    if (!key) continue;
    out[key] = value ? Buffer.from(value, 'base64').toString('utf8') : '';
  }
  return out;
}

export class Policy {
  constructor(config, now = () => Date.now()) {
    this.config = config;
    this.now = now;
    this.started = now();
    this.requests = [];       // timestamps, for the rate limit
    this.usedBytes = new Map(); // user -> bytes of accepted uploads
    this.tokenIssued = new Map();
  }

  // The server's idea of now, shifted by clock_offset_s.
  serverNow() {
    return this.now() + (this.config.clock_offset_s || 0) * 1000;
  }

  // A refusal: problem+json, or the service's numeric code in numeric mode.
  refuse(status, numeric, ferryCode, title, detail, headers = {}) {
    if (this.config.numeric_codes) {
      return {
        status: 400,
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify({ error: { code: numeric, message: detail } }),
      };
    }
    return {
      status,
      headers: { 'Content-Type': 'application/problem+json', ...headers },
      body: JSON.stringify({
        type: PROBLEM_BASE + ferryCode, title, detail, status, code: ferryCode,
      }),
    };
  }

  // Checks a request before tus sees it; returns a refusal or null.
  // uploads: Map of upload id -> {user, metadata} for PATCH/HEAD lookups.
  check(method, headers, uploadInfo) {
    const c = this.config;
    const now = this.now();

    if (c.maintenance && now - this.started < c.maintenance.for_ms) {
      const until = new Date(this.started + c.maintenance.for_ms + 999);
      return this.refuse(503, 50301, 'server_maintenance', 'Maintenance',
        'The service is down for scheduled maintenance',
        { 'Retry-After': until.toUTCString() });
    }

    if (c.rate_limit) {
      const { requests, window_ms: windowMs } = c.rate_limit;
      this.requests = this.requests.filter((t) => now - t < windowMs);
      if (this.requests.length >= requests) {
        const wait = Math.ceil((windowMs - (now - this.requests[0])) / 1000);
        return this.refuse(429, 42901, 'rate_limited', 'Too Many Requests',
          `At most ${requests} requests per ${windowMs} ms`,
          { 'Retry-After': String(Math.max(wait, 1)) });
      }
      this.requests.push(now);
    }

    if (c.max_request_skew_s !== undefined && method !== 'OPTIONS') {
      const sent = Date.parse(headers.date || '');
      const skew = Number.isNaN(sent) ? Infinity
        : Math.abs(sent - this.serverNow()) / 1000;
      if (skew > c.max_request_skew_s) {
        return this.refuse(403, 50001, 'clock_skew', 'Clock out of sync',
          'The request time differs too much from the server time');
      }
    }

    let user = 'anonymous';
    if (c.tokens && method !== 'OPTIONS') {
      const auth = headers.authorization || '';
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      const entry = c.tokens[token];
      if (!entry) {
        return this.refuse(401, 20002, 'unauthenticated', 'Unauthorized',
          'Sign in to upload', { 'WWW-Authenticate': 'Bearer realm="ferry"' });
      }
      if (!this.tokenIssued.has(token)) this.tokenIssued.set(token, now);
      if (entry.ttl_ms !== undefined &&
          now - this.tokenIssued.get(token) > entry.ttl_ms) {
        return this.refuse(401, 20001, 'credentials_expired', 'Token expired',
          'The access token expired', {
            'WWW-Authenticate':
              'Bearer realm="ferry", error="invalid_token", ' +
              'error_description="The access token expired"',
          });
      }
      user = entry.user;
    }
    if (uploadInfo && uploadInfo.user && uploadInfo.user !== user &&
        c.tokens) {
      return this.refuse(403, 20002, 'permission_denied', 'Forbidden',
        'This upload belongs to another user');
    }

    // A deferred length arrives with a PATCH: the same caps apply to it.
    if (method === 'PATCH' && headers['upload-length'] !== undefined) {
      const length = Number(headers['upload-length']);
      if (c.max_file_bytes !== undefined && length > c.max_file_bytes) {
        return this.refuse(413, 10003, 'file_too_large', 'File too large',
          `Files may be at most ${c.max_file_bytes} bytes`);
      }
    }
    if (method === 'POST') {
      const meta = decodeMetadata(headers['upload-metadata']);
      const name = (meta.filename || '').toLowerCase();
      const blocked = (c.blocked_extensions || [])
        .find((ext) => name.endsWith(ext.toLowerCase()));
      if (blocked) {
        return this.refuse(403, 10001, 'file_type_blocked',
          'File type not allowed', `Files of type ${blocked} are not accepted`);
      }
      const sender = meta.sender || user;
      const pair = (c.blocked_pairs || []).find(
        (p) => p.sender === sender && p.recipient === meta.recipient);
      if (pair) {
        return this.refuse(403, 10002, 'recipient_rejected',
          'Recipient refuses', `${meta.recipient} does not accept files from ${sender}`);
      }
      const length = Number(headers['upload-length'] || 0);
      if (c.max_file_bytes !== undefined && length > c.max_file_bytes) {
        const r = this.refuse(413, 10003, 'file_too_large', 'File too large',
          `Files may be at most ${c.max_file_bytes} bytes`);
        return r;
      }
      if (c.quota_bytes !== undefined) {
        const used = this.usedBytes.get(user) || 0;
        if (used + length > c.quota_bytes) {
          return this.refuse(507, 10004, 'quota_exceeded', 'Quota exceeded',
            `Storage quota of ${c.quota_bytes} bytes is used up (${used} used)`);
        }
      }
      return { accept: true, user, length, metadata: meta };
    }
    return null;
  }

  // The user a request's bearer token names ("anonymous" without tokens).
  userFor(headers) {
    const auth = headers.get ? headers.get('authorization') : headers.authorization;
    const token = (auth || '').startsWith('Bearer ') ? auth.slice(7) : '';
    const entry = (this.config.tokens || {})[token];
    return entry ? entry.user : 'anonymous';
  }

  // Called when a creation was accepted, to account quota.
  created(user, length) {
    this.usedBytes.set(user, (this.usedBytes.get(user) || 0) + length);
  }

  // A content scan over request data.
  scan(buffer) {
    const marker = this.config.scan_marker;
    if (marker && buffer.includes(Buffer.from(marker))) {
      return this.refuse(422, 10005, 'content_rejected', 'Content rejected',
        'The content scan blocked this file');
    }
    return null;
  }
}
