// tus-js-client (the peer) uploading files one after another, as an app
// using it would: node tusjs_upload.js ENDPOINT FILE...; with
// TUSJS_PARALLEL=N, N uploads at a time (each with its defaults).
'use strict';
const fs = require('fs');
const path = require('path');
const tus = require('tus-js-client');

function uploadOne(endpoint, file) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(fs.createReadStream(file), {
      endpoint,
      uploadSize: fs.statSync(file).size,
      metadata: { filename: path.basename(file) },
      retryDelays: [0, 1000, 3000],
      onError: reject,
      onSuccess: () => resolve(upload.url),
    });
    upload.start();
  });
}

(async () => {
  const [endpoint, ...files] = process.argv.slice(2);
  const parallel = Math.max(1, Number(process.env.TUSJS_PARALLEL || 1));
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const url = await uploadOne(endpoint, files[next++]);
      process.stdout.write(`${url}\n`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
