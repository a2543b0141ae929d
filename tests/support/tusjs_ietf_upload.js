// SPDX-License-Identifier: Apache-2.0
// tus-js-client (pinned by tests/bench/peers/package-lock.json) in its IETF
// draft mode, uploading one file to a draft server: the second, independent
// client the strict server (samples/ietf-server) is tested with.
//   node tusjs_ietf_upload.js ENDPOINT FILE [CHUNK_BYTES]
// Prints the upload's URL on success; exits 1 with the error otherwise.
'use strict';
const fs = require('fs');
const path = require('path');

const peers = path.join(__dirname, '..', 'bench', 'peers', 'node_modules');
const tus = require(path.join(peers, 'tus-js-client'));

const [endpoint, file, chunk] = process.argv.slice(2);
const upload = new tus.Upload(fs.createReadStream(file), {
  endpoint,
  protocol: 'ietf-draft-05',
  uploadSize: fs.statSync(file).size,
  ...(chunk ? { chunkSize: Number(chunk) } : {}),
  retryDelays: [],
  onError: (err) => {
    console.error(String(err));
    process.exit(1);
  },
  onSuccess: () => process.stdout.write(`${upload.url}\n`),
});
upload.start();
