#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// A local tus 1.0 server for trying and testing ferry: @tus/server with
// @tus/file-store, listening on 127.0.0.1 only.
//
//   node server.mjs [--port N] [--dir DIR] [--max-size BYTES]
//                   [--no-checksum] [--no-defer-length] [--relative-location]
//                   [--expiration-ms N]
//                   [--policy FILE] [--tls-cert PEM --tls-key PEM
//                   [--tls-max TLSv1.2]]
//
// Prints one line "FERRY_TUS_SERVER_URL=<endpoint>" once it listens (port 0
// picks a free port), then serves until SIGINT/SIGTERM.
//
// @tus/server does not implement the tus checksum extension, so this server
// adds it: a PATCH (or creation-with-upload POST) carrying Upload-Checksum is
// read whole (bounded by --max-body), verified, and answered 460 without
// storing a byte when the digest differs.
//
// --policy FILE makes it refuse uploads the way real services do (see
// policy.mjs): blocked types, size caps, quotas, rate limits, maintenance,
// expiring tokens, clock checks, blocked recipients, a content scan.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';

import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

import { Policy } from './policy.mjs';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    // 127.0.0.1 unless a benchmark runs the server in its own network
    // namespace (tests/bench), where it listens on that namespace's address.
    host: { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string', default: path.join(os.tmpdir(), 'ferry-tus-files') },
    'max-size': { type: 'string', default: '0' },
    'max-body': { type: 'string', default: String(256 * 1024 * 1024) },
    'no-checksum': { type: 'boolean', default: false },
    'no-defer-length': { type: 'boolean', default: false },
    'relative-location': { type: 'boolean', default: false },
    'expiration-ms': { type: 'string', default: '0' },
    policy: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-max': { type: 'string' },  // e.g. TLSv1.2: the newest version offered
  },
});

const CHECKSUM_ALGORITHMS = ['sha1', 'sha256', 'md5'];
const checksumEnabled = !args['no-checksum'];
const maxBody = Number(args['max-body']);
const maxSize = Number(args['max-size']);

// @tus/server reads a request through Node's Readable.toWeb (srvx); when a
// client disconnects mid-PATCH, Node can throw ERR_INVALID_STATE
// ("ReadableStream is already closed") from an event handler, outside any
// request, which would end the process (tus-node-server#747). It concerns
// only the dead request: log it and keep serving. Anything else still ends
// the process, as it would have.
process.on('uncaughtException', (err) => {
  if (err && err.code === 'ERR_INVALID_STATE') {
    console.error('ignored after a client disconnect:', err.message);
    return;
  }
  console.error(err);
  process.exit(1);
});

fs.mkdirSync(args.dir, { recursive: true });
const store = new FileStore({
  directory: args.dir,
  expirationPeriodInMilliseconds: Number(args['expiration-ms']),
});
if (checksumEnabled) store.extensions.push('checksum');
if (args['no-defer-length']) {
  store.extensions = store.extensions.filter((e) => e !== 'creation-defer-length');
}

const policy = args.policy
  ? new Policy(JSON.parse(fs.readFileSync(args.policy, 'utf8')))
  : null;
const owners = new Map();  // upload id -> user, for the policy

const tls = args['tls-cert'] && args['tls-key'];
const tus = new Server({
  path: '/files',
  datastore: store,
  relativeLocation: args['relative-location'],
  // @tus/server assumes http; behind our own TLS the upload URL is https.
  ...(tls ? {
    generateUrl: (req, { host, path, id }) => `https://${host}${path}/${id}`,
  } : {}),
  async onUploadCreate(req, upload) {
    if (policy) {
      const user = policy.userFor(req.headers);
      owners.set(upload.id, user);
      policy.created(user, upload.size || 0);
    }
    return {};
  },
  ...(maxSize > 0 ? { maxSize } : {}),
});

function reply(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Tus-Resumable': '1.0.0' });
  res.end(text + '\n');
}

// Reads the whole body, up to limit bytes; null when the client went away or
// the body is too large (the response is then already sent or moot).
function readBody(req, res, limit) {
  return new Promise((resolve) => {
    const parts = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        reply(res, 413, 'Request body exceeds the checksum buffer');
        req.destroy();
        resolve(null);
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => { if (!done) { done = true; resolve(Buffer.concat(parts)); } });
    req.on('error', () => { if (!done) { done = true; resolve(null); } });
    req.on('aborted', () => { if (!done) { done = true; resolve(null); } });
  });
}

function send(res, refusal) {
  res.writeHead(refusal.status, { 'Tus-Resumable': '1.0.0', ...refusal.headers });
  res.end(refusal.body);
}

// Reads the whole body, verifies Upload-Checksum (when sent) and scans it
// (when the policy asks), then hands it to @tus/server.
async function handleBuffered(req, res, header) {
  let algorithm = '';
  let expected = '';
  if (header !== undefined) {
    const space = header.indexOf(' ');
    algorithm = space > 0 ? header.slice(0, space) : '';
    expected = space > 0 ? header.slice(space + 1) : '';
    if (!CHECKSUM_ALGORITHMS.includes(algorithm)) {
      reply(res, 400, 'Unsupported checksum algorithm');
      req.resume();
      return;
    }
  }
  const body = await readBody(req, res, maxBody);
  if (body === null) return;  // nothing is stored from a broken request
  if (algorithm) {
    const actual = crypto.createHash(algorithm).update(body).digest('base64');
    if (actual !== expected) {
      reply(res, 460, 'Checksum Mismatch');
      return;
    }
  }
  const rejected = policy && policy.scan(body);
  if (rejected) {
    send(res, rejected);
    return;
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === 'upload-checksum' || name === 'content-length') continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const request = new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method,
    headers,
    body,
  });
  const response = await tus.handleWeb(request);
  const out = {};
  response.headers.forEach((value, name) => { out[name] = value; });
  res.writeHead(response.status, out);
  res.end(Buffer.from(await response.arrayBuffer()));
}

function handler(req, res) {
  if (req.method === 'OPTIONS' && checksumEnabled) {
    res.setHeader('Tus-Checksum-Algorithm', CHECKSUM_ALGORITHMS.join(','));
  }
  if (policy) {
    res.setHeader('Date', new Date(policy.serverNow()).toUTCString());
    const id = req.url.split('?')[0].split('/').pop();
    const owner = owners.get(id);
    const refusal = policy.check(req.method, req.headers,
      owner === undefined ? null : { user: owner });
    if (refusal && !refusal.accept) {
      send(res, refusal);
      req.resume();
      return;
    }
  }
  const checksum = checksumEnabled ? req.headers['upload-checksum'] : undefined;
  const scan = policy && policy.config.scan_marker;
  if ((checksum !== undefined || scan) &&
      (req.method === 'PATCH' || req.method === 'POST')) {
    handleBuffered(req, res, checksum === undefined ? undefined : String(checksum)).catch((err) => {
      if (!res.headersSent) reply(res, 500, 'Internal error');
      console.error('checksum handler:', err);
    });
    return;
  }
  tus.handle(req, res);
}
const httpServer = tls
  ? https.createServer({ cert: fs.readFileSync(args['tls-cert']),
    key: fs.readFileSync(args['tls-key']),
    ...(args['tls-max'] ? { maxVersion: args['tls-max'] } : {}) }, handler)
  : http.createServer(handler);

httpServer.listen(Number(args.port), args.host, () => {
  const { port } = httpServer.address();
  const scheme = tls ? 'https' : 'http';
  process.stdout.write(`FERRY_TUS_SERVER_URL=${scheme}://${args.host}:${port}/files/\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    httpServer.close();
    httpServer.closeAllConnections();
    process.exit(0);
  });
}
