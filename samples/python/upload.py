# SPDX-License-Identifier: Apache-2.0
"""ferry from Python: upload a file (or standard input with "-"), with a
progress line, typed errors by category, logging and Ctrl-C that keeps the
resume state. Checked with `mypy --strict`.

    python3 samples/python/upload.py https://uploads.example/files/ video.mp4
"""

import logging
import sys

import ferry


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: upload.py ENDPOINT FILE|-", file=sys.stderr)
        return 2
    endpoint, path = argv[1], argv[2]
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")

    def progress(p: ferry.Progress) -> None:
        total = f"{p.bytes_total}" if p.total_known else "?"
        print(f"\r{p.bytes_done}/{total} bytes", end="", file=sys.stderr)

    with ferry.Client(endpoint, retry_base=0.5) as client:
        try:
            if path == "-":
                result = client.upload(sys.stdin.buffer, name="stdin",
                                       on_progress=progress)
            else:
                result = client.upload(path, on_progress=progress)
        except KeyboardInterrupt:
            print("\ninterrupted: run again to resume", file=sys.stderr)
            return 130
        except ferry.PolicyError as e:  # too large, blocked type...
            print(f"\nrefused: {e.code} ({e.action}): {e.message}",
                  file=sys.stderr)
            return 1
        except (ferry.NetworkError, ferry.ServerError) as e:
            print(f"\ntry later: {e}", file=sys.stderr)
            return 3 if e.retryable else 1
        except ferry.Error as e:
            print(f"\n{e}", file=sys.stderr)
            return 1
    print(f"\n{result.url_redacted} sha256={result.sha256}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
