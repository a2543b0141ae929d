# SPDX-License-Identifier: Apache-2.0
"""tuspy (the peer, Debian's python3-tuspy) uploading files one after
another: tuspy_upload.py ENDPOINT CHUNK_BYTES FILE..."""
import os
import sys

from tusclient import client


def main():
    endpoint, chunk = sys.argv[1], int(sys.argv[2])
    tus = client.TusClient(endpoint)
    for path in sys.argv[3:]:
        # tuspy sends an empty Upload-Metadata without metadata, which
        # @tus/server refuses (400): name the file, as apps do.
        uploader = tus.uploader(path, chunk_size=chunk, metadata={
            "filename": os.path.basename(path)})
        uploader.upload()
        print(uploader.url)


if __name__ == "__main__":
    main()
