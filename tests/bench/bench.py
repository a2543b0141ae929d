#!/usr/bin/env python3
"""End-to-end benchmarks: ferry against the real local @tus/server, each
configuration run several times in the same run, medians reported as ratios.

    sudo tests/bench/bench.py compression [--size-mib 256] [--runs 3]

Scenarios (compression): --compress off, auto and fixed levels, on random
data and on real mixed data (a tar of /usr/lib and /usr/share cut to size),
on loopback and over a 100 Mbit/s link. The link is a veth pair into a
network namespace this script creates (the server runs inside it), shaped
with `tc tbf` on the client's side; it is removed afterwards. Writes the
results into docs/benchmarks.md between markers, with this command.

Timings are measured here, never asserted by tests.
"""

import argparse
import json
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("FERRY_BUILD_DIR", ROOT / "build"))
CLI = BUILD / "samples" / "ferry-upload"
SERVER = ROOT / "samples" / "tus-server" / "server.mjs"
NETNS = "ferrybench"
HOST_IP, NS_IP = "10.213.7.1", "10.213.7.2"  # only inside our own namespace


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def make_inputs(work, size):
    """Random bytes, and real mixed data: 1 MiB blocks taken in turn from a
    tar of /usr/lib and a tar of /usr/share (binaries, text, images...)."""
    random_path = work / "random.bin"
    with open(random_path, "wb") as f:
        for _ in range(0, size, 1 << 20):  # streamed: keeps this process small
            f.write(os.urandom(min(1 << 20, size - f.tell())))
    mixed_path = work / "mixed.bin"
    tars = [subprocess.Popen(["tar", "cf", "-", d], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
            for d in ("/usr/lib", "/usr/share")]
    with open(mixed_path, "wb") as out:
        left, turn = size, 0
        while left:
            block = tars[turn % 2].stdout.read(min(left, 1 << 20))
            turn += 1
            if not block:
                if turn > 4 and not any(t.poll() is None for t in tars):
                    break
                continue
            out.write(block)
            left -= len(block)
    for t in tars:
        t.kill()
        t.wait()
    return {"random": random_path, "mixed": mixed_path}


class Server:
    def __init__(self, store, netns=None):
        cmd = ["node", str(SERVER), "--port", "0", "--dir", str(store)]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd + ["--host", NS_IP]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("FERRY_TUS_SERVER_URL="), line
        self.endpoint = line.strip().split("=", 1)[1]
        self.store = store

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)
        shutil.rmtree(self.store, ignore_errors=True)


def setup_link(mbit):
    teardown_link()
    sh("ip", "netns", "add", NETNS)
    sh("ip", "link", "add", "fbench0", "type", "veth", "peer", "name",
       "fbench1")
    sh("ip", "link", "set", "fbench1", "netns", NETNS)
    sh("ip", "addr", "add", f"{HOST_IP}/30", "dev", "fbench0")
    sh("ip", "link", "set", "fbench0", "up")
    sh("ip", "netns", "exec", NETNS, "ip", "addr", "add", f"{NS_IP}/30",
       "dev", "fbench1")
    sh("ip", "netns", "exec", NETNS, "ip", "link", "set", "fbench1", "up")
    sh("ip", "netns", "exec", NETNS, "ip", "link", "set", "lo", "up")
    # Client → server direction: the upload's bottleneck.
    sh("tc", "qdisc", "add", "dev", "fbench0", "root", "tbf", "rate",
       f"{mbit}mbit", "burst", "64kb", "latency", "50ms")


def teardown_link():
    subprocess.run(["ip", "link", "del", "fbench0"], capture_output=True)
    subprocess.run(["ip", "netns", "del", NETNS], capture_output=True)


def run_ferry(endpoint, path, compress, state):
    """One upload; wall time, and CPU and peak RSS of that process alone."""
    out = tempfile.TemporaryFile(mode="w+")
    start = time.monotonic()
    proc = subprocess.Popen([str(CLI), "--endpoint", endpoint, "--state-dir",
                             state, "--compress", compress, "--json",
                             str(path)], stdout=out, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    lines = out.read().strip().splitlines()
    if proc.returncode != 0:
        raise RuntimeError("\n".join(lines[-20:]))
    done = json.loads(lines[-1])
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mib": usage.ru_maxrss / 1024,
            "wire": done["wire_bytes"], "bytes": done["bytes"]}


def bench_compression(args):
    work = pathlib.Path(tempfile.mkdtemp(prefix="ferry-bench-"))
    size = args.size_mib << 20
    inputs = make_inputs(work, size)
    modes = args.modes.split(",")
    rows = []
    links = {"loopback": "loopback", "shaped": f"{args.mbit} Mbit/s"}
    try:
        for link in [links[k] for k in args.links.split(",")]:
            netns = None
            if link != "loopback":
                setup_link(args.mbit)
                netns = NETNS
            server = Server(work / "store", netns)
            try:
                for data, path in inputs.items():
                    if data not in args.data.split(","):
                        continue
                    # Interleave the modes run by run so drift hits all alike.
                    results = {m: [] for m in modes}
                    for _ in range(args.runs):
                        for m in modes:
                            results[m].append(run_ferry(
                                server.endpoint, path, m, str(work / "state")))
                    off = statistics.median(r["wall"] for r in results["off"])
                    for m in modes:
                        med = {k: statistics.median(r[k] for r in results[m])
                               for k in ("wall", "cpu", "rss_mib", "wire")}
                        rows.append((link, data, m, med, off / med["wall"]))
                        print(f"{link:12} {data:7} {m:5} wall {med['wall']:7.2f}"
                              f" s  cpu {med['cpu']:6.2f} s  rss "
                              f"{med['rss_mib']:6.1f} MiB  wire "
                              f"{med['wire'] / size:5.3f}  speed vs off "
                              f"{off / med['wall']:5.2f}x", flush=True)
            finally:
                server.stop()
                if netns:
                    teardown_link()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def write_doc(rows, args):
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else "# ferry benchmarks\n"
    begin, end = "<!-- bench:compression:begin -->", "<!-- bench:compression:end -->"
    lines = [begin, "",
             f"Command: `sudo tests/bench/bench.py compression --size-mib "
             f"{args.size_mib} --runs {args.runs} --mbit {args.mbit}` "
             f"(medians of {args.runs} runs, interleaved; "
             f"{args.size_mib} MiB files; measured {time.strftime('%Y-%m-%d')} "
             f"on {os.cpu_count()} cores).", "",
             "| link | data | --compress | wall s | client CPU s | peak RSS MiB "
             "| wire/file | speed vs off |", "|---|---|---|---:|---:|---:|---:|---:|"]
    for link, data, mode, med, speedup in rows:
        lines.append(f"| {link} | {data} | {mode} | {med['wall']:.2f} | "
                     f"{med['cpu']:.2f} | {med['rss_mib']:.1f} | "
                     f"{med['wire'] / (args.size_mib << 20):.3f} | "
                     f"{speedup:.2f}x |")
    lines += ["", end]
    block = "\n".join(lines)
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n## Compression\n\n" + block + "\n"
    doc.write_text(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("suite", choices=["compression"])
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mbit", type=int, default=100)
    ap.add_argument("--links", default="loopback,shaped")
    ap.add_argument("--data", default="random,mixed")
    ap.add_argument("--modes", default="off,auto,1,3")
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench.py needs root (network namespace and tc)")
    rows = bench_compression(args)
    if not args.no_doc:
        write_doc(rows, args)


if __name__ == "__main__":
    main()
