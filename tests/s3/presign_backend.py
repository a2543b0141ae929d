#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""An app backend's presigner for ferry-upload --presign-command: signs the
request named by the arguments (OP METHOD BUCKET KEY UPLOAD_ID PART
['Name: value'...]) with boto3 and prints the URL. Its credentials come
from FERRY_BACKEND_* variables, so the uploading process holds no S3 secret.
Each call is appended to $FERRY_BACKEND_LOG (one line: OP PART)."""

import os
import sys

import boto3
from botocore.config import Config

OPS = {"upload_part": "upload_part", "list_parts": "list_parts",
       "complete": "complete_multipart_upload",
       "abort": "abort_multipart_upload",
       "create": "create_multipart_upload", "head_object": "head_object"}


def main():
    op, _method, bucket, key, upload_id, part = sys.argv[1:7]
    headers = dict(h.split(": ", 1) for h in sys.argv[7:])
    s3 = boto3.client(
        "s3", endpoint_url=os.environ["FERRY_BACKEND_ENDPOINT"],
        aws_access_key_id=os.environ["FERRY_BACKEND_ACCESS_KEY"],
        aws_secret_access_key=os.environ["FERRY_BACKEND_SECRET_KEY"],
        region_name="us-east-1", config=Config(signature_version="s3v4"))
    params = {"Bucket": bucket, "Key": key}
    if op == "create":
        params["Metadata"] = {k[len("x-amz-meta-"):]: v
                              for k, v in headers.items()
                              if k.lower().startswith("x-amz-meta-")}
    elif op != "head_object":
        params["UploadId"] = upload_id
    if op == "upload_part":
        params["PartNumber"] = int(part)
    if op == "list_parts" and part != "0":
        params["PartNumberMarker"] = int(part)
    with open(os.environ["FERRY_BACKEND_LOG"], "a") as log:
        log.write(f"{op} {part}\n")
    print(s3.generate_presigned_url(OPS[op], Params=params))


if __name__ == "__main__":
    main()
