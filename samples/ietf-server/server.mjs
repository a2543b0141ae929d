#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// A strict server for the IETF "Resumable Uploads for HTTP" draft
// (draft-ietf-httpbis-resumable-upload), written from the draft for testing
// clients: ferry, and tus-js-client's IETF mode beside it. No package of a
// draft server exists for Debian or npm. Listens on 127.0.0.1 only.
//
//   node server.mjs [--port N] [--dir DIR] [--max-size N] [--min-size N]
//                   [--max-append-size N] [--min-append-size N]
//                   [--max-age SECONDS] [--progress-every BYTES]
//                   [--policy FILE] [--want-content-digest]
//                   [--interop-versions 6,8] [--verbose]
//
// Prints one line "FERRY_IETF_SERVER_URL=<creation URL>" once it listens,
// then serves until SIGINT/SIGTERM. Uploads are created at that URL
// (POST) and live at <creation URL><id> (HEAD, PATCH, DELETE); each
// upload's bytes are in DIR/<id>, its state in memory.
//
// Interop versions 6 (draft -05, tus-js-client's 'ietf-draft-05') and 8
// (drafts -09 to the editors' copy after -11). Strict about what the draft
// says a client MUST do: a request without a supported
// Upload-Draft-Interop-Version, Upload-Complete or (for appends)
// Upload-Offset and Content-Type: application/partial-upload is refused
// with a problem+json body; so is an append at the wrong offset (409), to
// a completed upload, past the announced length, past max-size or
// max-append-size (413, with Upload-Limit), below min-append-size, and a
// length that contradicts an earlier one. Content-Digest (sha-256) is
// verified before a byte is appended; Repr-Digest is checked when the
// upload completes and returned when asked for (Want-Repr-Digest).
// A new request to an upload ends any request still sending to it, as the
// draft recommends. 104 (Upload Resumption Supported) interim responses
// carry the upload's URL at creation and, with --progress-every, the
// offset while a body arrives.
//
// --want-content-digest announces Want-Content-Digest: sha-256 (OPTIONS)
// and refuses content that comes without a Content-Digest.
//
// --policy FILE refuses uploads the way real services do, with the tus
// sample server's profile (../tus-server/policy.mjs): the file name comes
// from Content-Disposition (the draft's recommendation), the length from
// Upload-Length or Content-Length with Upload-Complete: ?1, and the content
// scan runs over the bytes as they arrive.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';

import { Policy } from '../tus-server/policy.mjs';
import { boolean, nonNegativeInteger, parseDictionary } from './sf.mjs';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    dir: { type: 'string', default: path.join(os.tmpdir(), 'ferry-ietf-files') },
    'max-size': { type: 'string', default: '0' },
    'min-size': { type: 'string', default: '0' },
    'max-append-size': { type: 'string', default: '0' },
    'min-append-size': { type: 'string', default: '0' },
    'max-age': { type: 'string', default: '0' },
    'progress-every': { type: 'string', default: '0' },
    policy: { type: 'string' },
    'want-content-digest': { type: 'boolean', default: false },
    'interop-versions': { type: 'string', default: '6,8' },
    verbose: { type: 'boolean', default: false },
  },
});

// Those spoken (--interop-versions takes a subset, to test a client's
// negotiation against a server of one revision).
const INTEROP_VERSIONS = args['interop-versions'].split(',').map(Number)
  .filter((v) => v === 6 || v === 8);
const PATH = '/uploads/';
const PROBLEM_BASE = 'https://iana.org/assignments/http-problem-types#';
const limits = {
  maxSize: Number(args['max-size']),
  minSize: Number(args['min-size']),
  maxAppend: Number(args['max-append-size']),
  minAppend: Number(args['min-append-size']),
  maxAge: Number(args['max-age']),
};
const progressEvery = Number(args['progress-every']);
const policy = args.policy
  ? new Policy(JSON.parse(fs.readFileSync(args.policy, 'utf8')))
  : null;
fs.mkdirSync(args.dir, { recursive: true });

// id -> { file, offset, length (null: unknown), complete, gone (why, or
// null), interop, created (ms), hash (SHA-256 of the bytes so far),
// reprExpected (Buffer or null), wantRepr, active (the request sending) }
const uploads = new Map();

function log(...parts) {
  if (args.verbose) console.error(...parts);
}

function uploadLimit(upload, interop) {
  const members = [];
  if (limits.maxSize) members.push(`max-size=${limits.maxSize}`);
  if (limits.minSize) members.push(`min-size=${limits.minSize}`);
  if (limits.maxAppend) members.push(`max-append-size=${limits.maxAppend}`);
  if (limits.minAppend) members.push(`min-append-size=${limits.minAppend}`);
  if (limits.maxAge) {
    const left = upload
      ? Math.max(0, Math.floor(limits.maxAge - (Date.now() - upload.created) / 1000))
      : limits.maxAge;
    // Draft -05 named the lifetime "expires"; -06 renamed it "max-age".
    members.push(`${interop === 6 ? 'expires' : 'max-age'}=${left}`);
  }
  return members.length ? { 'Upload-Limit': members.join(', ') } : {};
}

function problem(res, status, kind, title, extra = {}, headers = {}) {
  const type = kind.startsWith('https:') ? kind : `${PROBLEM_BASE}${kind}`;
  const body = JSON.stringify({ type, title, ...extra });
  res.writeHead(status, {
    'Content-Type': 'application/problem+json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
  log(`  -> ${status} ${title}`);
}

// Refused before the body is read: nothing of it is stored. A body of a
// bounded, announced length is read and dropped, so the client reads the
// answer rather than a reset connection while it is still sending; any
// other ends the connection after the answer.
const DRAIN_LIMIT = 64 * 1024 * 1024;
function refuse(req, res, ...rest) {
  const length = req.headers['content-length'];
  if (length === undefined || Number(length) > DRAIN_LIMIT) {
    res.setHeader('Connection', 'close');
  }
  problem(res, ...rest);
  req.resume();
}

function send(res, refusal) {
  res.writeHead(refusal.status, {
    ...refusal.headers, 'Content-Length': Buffer.byteLength(refusal.body),
  });
  res.end(refusal.body);
  log(`  -> ${refusal.status} (policy)`);
}

// The filename parameter of Content-Disposition (RFC 6266), plain or
// quoted; "" without one.
function dispositionName(field) {
  const m = /;\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(field || '');
  if (!m) return '';
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

// The policy's view of a request, in the tus terms it was written for.
function policyHeaders(req, complete) {
  const view = { ...req.headers };
  delete view['upload-metadata'];
  if (req.method === 'POST') {
    delete view['upload-length'];
    const name = dispositionName(req.headers['content-disposition']);
    if (name) view['upload-metadata'] = `filename ${Buffer.from(name).toString('base64')}`;
    const length = lengthFrom(req, 0, complete);
    if (length !== null && length !== false) view['upload-length'] = String(length);
  }
  return view;
}

function interim(res, headers) {
  // Node has no API for arbitrary 1xx responses; on HTTP/1.1 one is the
  // status line and headers written before the final response's.
  if (res.headersSent || !res.socket || res.socket.destroyed) return;
  let text = 'HTTP/1.1 104 Upload Resumption Supported\r\n';
  for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
  res.socket.write(`${text}\r\n`);
}

function expired(upload) {
  return limits.maxAge > 0 && Date.now() - upload.created > limits.maxAge * 1000;
}

// The request still sending to `upload` ends: the client has given up on
// it (the draft's recommended handling of concurrent requests). One on the
// same connection as `req` has already ended (HTTP/1.1 does not interleave).
function endActive(upload, req) {
  if (upload.active && upload.active !== req.socket) {
    log('  ending a request still sending to this upload');
    upload.active.destroy();
    upload.active = null;
  }
}

function digestOf(field) {
  const dict = parseDictionary(field);
  const sha = dict && dict.get('sha-256');
  return sha && sha.type === 'binary' && sha.value.length === 32 ? sha.value : null;
}

function stateHeaders(upload) {
  const h = {
    'Upload-Offset': String(upload.offset),
    'Upload-Complete': upload.complete ? '?1' : '?0',
  };
  if (upload.length !== null) h['Upload-Length'] = String(upload.length);
  if (upload.wantRepr) {
    h['Repr-Digest'] = `sha-256=:${upload.hash.copy().digest('base64')}:`;
  }
  return h;
}

// What a request says of the length: Upload-Length, or (with
// Upload-Complete: ?1) the offset plus Content-Length. null when it says
// nothing; false when the two disagree.
function lengthFrom(req, offset, complete) {
  const announced = nonNegativeInteger(req.headers['upload-length']);
  const cl = req.headers['content-length'];
  const implied = complete && cl !== undefined ? offset + Number(cl) : null;
  if (announced !== null && implied !== null && announced !== implied) return false;
  return announced !== null ? announced : implied;
}

// Checks the request's length against the upload's and the limits; false
// after answering.
function checkLength(req, res, upload, complete, creating) {
  const length = lengthFrom(req, upload.offset, complete);
  if (length === false ||
      (length !== null && upload.length !== null && length !== upload.length) ||
      (length !== null && length < upload.offset)) {
    refuse(req, res, 400, 'inconsistent-upload-length',
      'inconsistent length values for upload');
    return false;
  }
  if (length !== null) upload.length = length;
  const limitHeaders = uploadLimit(upload, upload.interop);
  if (limits.maxSize && upload.length !== null && upload.length > limits.maxSize) {
    refuse(req, res, 413, 'https://ferry.invalid/problems/max-size',
      `the upload is larger than max-size (${limits.maxSize})`, {}, limitHeaders);
    return false;
  }
  if (creating && limits.minSize && (upload.length === null || upload.length < limits.minSize)) {
    refuse(req, res, 400, 'https://ferry.invalid/problems/min-size',
      `the upload is smaller than min-size (${limits.minSize}) or of unknown length`,
      {}, limitHeaders);
    return false;
  }
  const cl = req.headers['content-length'];
  if (limits.maxAppend && cl !== undefined && Number(cl) > limits.maxAppend) {
    refuse(req, res, 413, 'https://ferry.invalid/problems/max-append-size',
      `the request content is larger than max-append-size (${limits.maxAppend})`,
      {}, limitHeaders);
    return false;
  }
  // A creation without content appends nothing (tus-js-client creates so).
  const appends = !(creating && (cl === undefined || Number(cl) === 0));
  if (limits.minAppend && !complete && appends && cl !== undefined &&
      Number(cl) < limits.minAppend) {
    refuse(req, res, 400, 'https://ferry.invalid/problems/min-append-size',
      `the request content is smaller than min-append-size (${limits.minAppend})`,
      {}, limitHeaders);
    return false;
  }
  return true;
}

// Appends the request content to `upload` as it arrives (or, with a
// Content-Digest, once all of it arrived and matched), then answers.
function append(req, res, upload, complete, creating) {
  const contentDigest = req.headers['content-digest'] !== undefined
    ? digestOf(req.headers['content-digest']) : null;
  if (req.headers['content-digest'] !== undefined && contentDigest === null) {
    refuse(req, res, 400, 'https://ferry.invalid/problems/content-digest',
      'Content-Digest has no sha-256 this server can check');
    return;
  }
  const announced = Number(req.headers['content-length'] || 0);
  if (args['want-content-digest'] && contentDigest === null &&
      (announced > 0 || req.headers['transfer-encoding'] !== undefined)) {
    refuse(req, res, 400, 'https://ferry.invalid/problems/content-digest',
      'this server wants a Content-Digest (sha-256) with every content');
    return;
  }
  upload.active = req.socket;
  const fd = fs.openSync(upload.file, 'a');
  const held = [];  // with a Content-Digest: the content until it is checked
  const requestHash = crypto.createHash('sha256');
  let received = 0;
  let nextProgress = progressEvery;
  let scanTail = Buffer.alloc(0);  // the end of the last chunk, for markers across chunks
  let failed = false;
  // Refused mid-body: the rest is read and dropped, and the connection
  // closes after the answer.
  const stop = (status, kind, title, headers = {}) => {
    failed = true;
    res.setHeader('Connection', 'close');
    problem(res, status, kind, title, {}, headers);
  };
  const store = (chunk) => {
    fs.writeSync(fd, chunk);
    upload.hash.update(chunk);
    upload.offset += chunk.length;
  };
  req.on('data', (chunk) => {
    if (failed) return;
    received += chunk.length;
    if (upload.length !== null && upload.offset + chunk.length > upload.length) {
      upload.gone = 'it grew past its length';
      stop(400, 'inconsistent-upload-length', 'the content goes past the upload length');
      return;
    }
    if (limits.maxSize && upload.offset + chunk.length > limits.maxSize) {
      upload.gone = 'it grew past max-size';
      stop(413, 'https://ferry.invalid/problems/max-size', 'the upload grew past max-size',
        uploadLimit(upload, upload.interop));
      return;
    }
    if (limits.maxAppend && received > limits.maxAppend) {
      stop(413, 'https://ferry.invalid/problems/max-append-size',
        'the request content grew past max-append-size', uploadLimit(upload, upload.interop));
      return;
    }
    if (policy && policy.config.scan_marker) {
      const window = Buffer.concat([scanTail, chunk]);
      const rejected = policy.scan(window);
      if (rejected) {
        failed = true;
        res.setHeader('Connection', 'close');
        send(res, rejected);
        return;
      }
      scanTail = window.subarray(Math.max(0, window.length - policy.config.scan_marker.length));
    }
    if (contentDigest) {
      requestHash.update(chunk);
      held.push(chunk);
      return;
    }
    store(chunk);
    if (progressEvery && upload.offset >= nextProgress) {
      nextProgress = upload.offset + progressEvery;
      interim(res, { 'Upload-Offset': String(upload.offset),
        'Upload-Draft-Interop-Version': String(upload.interop) });
    }
  });
  req.on('close', () => {
    fs.closeSync(fd);
    if (upload.active === req.socket) upload.active = null;
  });
  req.on('end', () => {
    if (failed) return;
    if (contentDigest) {
      if (!requestHash.digest().equals(contentDigest)) {
        // `code` names ferry's error (a server may): the bytes were damaged
        // on the way, and sending them again is the cure.
        problem(res, 400, 'https://ferry.invalid/problems/content-digest',
          'Content-Digest does not match the content: nothing was appended',
          { code: 'checksum_mismatch' });
        return;
      }
      for (const chunk of held) store(chunk);
    }
    finish(res, upload, complete, creating);
  });
}

function finish(res, upload, complete, creating) {
  const location = creating ? { Location: `${PATH}${upload.id}` } : {};
  if (!complete) {
    res.writeHead(creating ? 201 : 204, {
      ...location, ...stateHeaders(upload), ...uploadLimit(upload, upload.interop),
    });
    res.end();
    log(`  -> ${creating ? 201 : 204} at ${upload.offset}`);
    return;
  }
  if (upload.length !== null && upload.offset !== upload.length) {
    problem(res, 400, 'inconsistent-upload-length',
      `completed at ${upload.offset} bytes, announced ${upload.length}`);
    return;
  }
  upload.complete = true;
  upload.length = upload.offset;
  const sha256 = upload.hash.copy().digest();
  if (upload.reprExpected && !sha256.equals(upload.reprExpected)) {
    problem(res, 400, 'https://ferry.invalid/problems/repr-digest',
      'Repr-Digest does not match the uploaded representation',
      {}, { 'Upload-Complete': '?1' });
    return;
  }
  const body = JSON.stringify({ id: upload.id, size: upload.offset, sha256: sha256.toString('hex') });
  res.writeHead(200, {
    ...location, ...stateHeaders(upload), 'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
  log(`  -> 200 complete, ${upload.offset} bytes`);
}

function create(req, res, interop) {
  const complete = boolean(req.headers['upload-complete']);
  if (complete === null) {
    refuse(req, res, 400, 'https://ferry.invalid/problems/upload-complete',
      'a creation request needs Upload-Complete: ?0 or ?1');
    return;
  }
  const id = crypto.randomBytes(16).toString('hex');
  const upload = {
    id, file: path.join(args.dir, id), offset: 0, length: null, complete: false,
    gone: null, interop, created: Date.now(), hash: crypto.createHash('sha256'),
    reprExpected: req.headers['repr-digest'] !== undefined ? digestOf(req.headers['repr-digest']) : null,
    wantRepr: false, active: null,
  };
  const want = parseDictionary(req.headers['want-repr-digest']);
  upload.wantRepr = Boolean(want && want.has('sha-256'));
  if (!checkLength(req, res, upload, complete, true)) return;
  fs.writeFileSync(upload.file, '');
  // What the creation said of the representation, beside its bytes: a
  // reader decodes a Content-Encoding (ferry's zstd) from here.
  fs.writeFileSync(`${upload.file}.json`, JSON.stringify({
    interop,
    contentType: req.headers['content-type'] || null,
    contentEncoding: req.headers['content-encoding'] || null,
    contentDisposition: req.headers['content-disposition'] || null,
  }));
  uploads.set(id, upload);
  if (policy) {
    upload.user = policy.userFor(req.headers);
    policy.created(upload.user, upload.length || 0);
  }
  interim(res, { Location: `${PATH}${id}`, 'Upload-Draft-Interop-Version': String(interop),
    ...uploadLimit(upload, interop) });
  append(req, res, upload, complete, true);
}

function appendTo(req, res, upload) {
  const type = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/partial-upload') {
    refuse(req, res, 415, 'https://ferry.invalid/problems/content-type',
      'an append needs Content-Type: application/partial-upload');
    return;
  }
  const offset = nonNegativeInteger(req.headers['upload-offset']);
  const complete = boolean(req.headers['upload-complete']);
  const want = parseDictionary(req.headers['want-repr-digest']);
  if (want && want.has('sha-256')) upload.wantRepr = true;
  if (offset === null || complete === null) {
    refuse(req, res, 400, 'https://ferry.invalid/problems/append-headers',
      'an append needs Upload-Offset (an integer) and Upload-Complete (?0 or ?1)');
    return;
  }
  if (upload.complete) {
    const cl = req.headers['content-length'];
    if (cl === '0') {
      refuse(req, res, 400, 'completed-upload', 'upload is already completed');
    } else {
      refuse(req, res, 400, 'inconsistent-upload-length',
        'content appended to a completed upload');
    }
    return;
  }
  if (offset !== upload.offset) {
    refuse(req, res, 409, 'mismatching-upload-offset',
      'offset from request does not match offset of resource',
      { 'expected-offset': upload.offset, 'provided-offset': offset },
      { 'Upload-Offset': String(upload.offset) });
    return;
  }
  if (!checkLength(req, res, upload, complete, false)) return;
  append(req, res, upload, complete, false);
}

function options(req, res) {
  res.writeHead(204, {
    'Accept-Patch': 'application/partial-upload',
    Allow: 'OPTIONS, POST',
    ...(args['want-content-digest'] ? { 'Want-Content-Digest': 'sha-256=10' } : {}),
    ...uploadLimit(null, 8),
  });
  res.end();
}

function handler(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  log(`${req.method} ${url.pathname} ${JSON.stringify(req.headers)}`);
  if (!url.pathname.startsWith(PATH)) {
    refuse(req, res, 404, 'about:blank', 'not an upload URL');
    return;
  }
  const id = url.pathname.slice(PATH.length);
  if (req.method === 'OPTIONS' && id === '') {
    options(req, res);
    return;
  }
  const interop = nonNegativeInteger(req.headers['upload-draft-interop-version']);
  if (!INTEROP_VERSIONS.includes(interop)) {
    refuse(req, res, 400, 'https://ferry.invalid/problems/interop-version',
      `Upload-Draft-Interop-Version must be one of ${INTEROP_VERSIONS.join(', ')}`);
    return;
  }
  if (policy) {
    res.setHeader('Date', new Date(policy.serverNow()).toUTCString());
    const known = uploads.get(id);
    const refusal = policy.check(req.method,
      policyHeaders(req, boolean(req.headers['upload-complete'])),
      known ? { user: known.user } : null);
    if (refusal && !refusal.accept) {
      res.setHeader('Connection', 'close');
      send(res, refusal);
      req.resume();
      return;
    }
  }
  if (id === '') {
    if (req.method !== 'POST') {
      refuse(req, res, 405, 'about:blank', 'uploads are created with POST');
      return;
    }
    create(req, res, interop);
    return;
  }
  const upload = uploads.get(id);
  if (!upload || expired(upload)) {
    refuse(req, res, 404, 'about:blank', 'no such upload');
    return;
  }
  endActive(upload, req);
  if (upload.gone) {
    refuse(req, res, 410, 'about:blank', `the upload was deactivated: ${upload.gone}`);
    return;
  }
  if (req.method === 'HEAD') {
    res.writeHead(204, {
      ...stateHeaders(upload), ...uploadLimit(upload, upload.interop), 'Cache-Control': 'no-store',
    });
    res.end();
  } else if (req.method === 'PATCH') {
    appendTo(req, res, upload);
  } else if (req.method === 'DELETE') {
    uploads.delete(id);
    fs.rmSync(upload.file, { force: true });
    fs.rmSync(`${upload.file}.json`, { force: true });
    res.writeHead(204);
    res.end();
  } else {
    refuse(req, res, 405, 'about:blank', 'an upload takes HEAD, PATCH and DELETE');
  }
}

const server = http.createServer(handler);
server.listen(Number(args.port), '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`FERRY_IETF_SERVER_URL=http://127.0.0.1:${port}${PATH}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
