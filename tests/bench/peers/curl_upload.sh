#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# curl (the peer): per file, a tus creation POST, then the whole file in one
# streaming PATCH (`curl -T`): curl_upload.sh ENDPOINT FILE...
set -euo pipefail
endpoint=$1
shift
for f in "$@"; do
  size=$(stat -c %s "$f")
  url=$(curl -sS -o /dev/null -w '%header{location}' -X POST \
    -H 'Tus-Resumable: 1.0.0' -H "Upload-Length: $size" "$endpoint")
  case $url in /*) url="${endpoint%%/files/*}$url" ;; esac
  curl -sS -f -o /dev/null -X PATCH -H 'Tus-Resumable: 1.0.0' \
    -H 'Upload-Offset: 0' -H 'Content-Type: application/offset+octet-stream' \
    -H 'Expect:' -T "$f" "$url"
  echo "$url"
done
