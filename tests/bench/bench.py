#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end benchmarks: ferry against the real local @tus/server, each
configuration run several times in the same run, medians reported as ratios.

    tests/bench/bench.py sources [--size-mib 1024] [--runs 3]
    sudo tests/bench/bench.py compression [--size-mib 256] [--runs 3]
    sudo tests/bench/bench.py oracle [--oracle-links 100:1024,20:256]
    tests/bench/bench.py loopback [--size-mib 1024] [--runs 3]   (strace)
    sudo tests/bench/bench.py peers [--size-mib 1024] [--runs 3]
    tests/bench/bench.py micro
    tests/bench/bench.py s3 | s3-small [--runs 3]   (Ceph RGW, nftables)
    tests/bench/bench.py journal [--sizes-mib 1024,10240]   (strace)
    tests/bench/bench.py memory [--sizes-mib 100,1024,10240]
    tests/bench/bench.py latency [--rtt-ms 50] [--small-files 1000]
    tests/bench/bench.py latency-big [--rtt-ms 50] [--big-mib 1024]

Scenarios (peers): ferry against `curl -T` (one streaming PATCH after a
creation POST), tus-js-client (npm, pinned in tests/bench/peers) and tuspy
(Debian's python3-tuspy, 8 MiB chunks) on the same files and the same
server (stock: no checksum extension), interleaved run by run: 1 GiB of
random data and 1 GiB of real mixed data on loopback, 1000 files of 64 KiB,
and the mixed file over a 100 Mbit/s link. Wall time, client CPU and peak
RSS (the client's process tree, from wait4), and bytes on the wire (the
client side's interface counters, so headers and responses included).

Scenarios (compression): --compress off, auto and fixed levels, on random
data and on real mixed data (a tar of /usr/lib and /usr/share cut to size),
on loopback and over a 100 Mbit/s link. The link is a veth pair into a
network namespace this script creates (the server runs inside it), shaped
with `tc tbf` on the client's side; it is removed afterwards. Writes the
results into docs/benchmarks.md between markers, with this command.

Scenarios (oracle): the mixed data over each shaped link (Mbit/s:MiB),
--compress off, every fixed level of --modes and auto, interleaved run by
run (the order rotated each run); the fastest fixed level is the link's
oracle, and auto is reported against it. Every stored upload is decoded
and compared with the source's SHA-256.

Scenarios (loopback): where the time goes for ferry --compress off against
`curl -T` on a stock @tus/server (no checksum extension), 1 GiB random and
mixed: wall, client CPU, the server's CPU (/proc), how busy both cores were,
and the client's CPU floor (curl's own + `openssl dgst -sha256` of the file,
timed in the same run); then one untimed run of each with `strace -c`
attached to the server and the client, for their system calls per GiB.

Scenarios (sources): one file on loopback uploaded as a path, as standard
input (a pipe and a redirected file), and from Python as a path, a file
object on the file and a pipe's file object, compression off, interleaved
run by run; ratios against the CLI's path upload.

Timings are measured here, never asserted by tests.
"""

import argparse
import contextlib
import hashlib
import json
import os
import pathlib
import random
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
    def __init__(self, store, netns=None, extra=(), cpu=None):
        cmd = ["node", str(SERVER), "--port", "0", "--dir", str(store),
               *extra]
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu)] + cmd
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
                    # Interleave the modes run by run, the order rotated,
                    # each on an idle machine (the previous upload's
                    # writeback done), so drift hits all alike.
                    results = {m: [] for m in modes}
                    for run in range(args.runs):
                        turn = run % len(modes)
                        for m in modes[turn:] + modes[:turn]:
                            wait_until_idle()
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


def bench_oracle(args):
    work = pathlib.Path(tempfile.mkdtemp(prefix="ferry-bench-"))
    links = [tuple(int(v) for v in spec.split(":"))
             for spec in args.oracle_links.split(",")]
    largest = max(mib for _, mib in links) << 20
    mixed = make_inputs(work, largest)["mixed"]
    (work / "random.bin").unlink()
    modes = args.modes.split(",")
    rows = []
    try:
        for mbit, mib in links:
            path = mixed if mib << 20 == largest else mixed_of_size(
                mixed, work / f"mixed-{mib}.bin", mib << 20)
            want = digest(path)
            setup_link(mbit)
            server = Server(work / "store", NETNS)
            results = {m: [] for m in modes}
            try:
                for run in range(args.shaped_runs):
                    turn = run % len(modes)
                    for m in modes[turn:] + modes[:turn]:
                        wait_until_idle()
                        r = run_ferry(server.endpoint, path, m,
                                      str(work / "state"))
                        if stored_tus_sha256(server.store) != want:
                            raise RuntimeError(f"{m}: stored bytes differ")
                        results[m].append(r)
                        print(f"{mbit} Mbit/s {mib} MiB {m:5} run {run}: "
                              f"{r['wall']:.2f} s, wire "
                              f"{r['wire'] / (mib << 20):.3f}", flush=True)
            finally:
                server.stop()
                teardown_link()
            med = {m: {k: statistics.median(r[k] for r in results[m])
                       for k in ("wall", "cpu", "rss_mib", "wire")}
                   for m in modes}
            rows.append((mbit, mib, med))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def write_oracle_doc(rows, args):
    lines = [f"Command: `sudo tests/bench/bench.py oracle --oracle-links "
             f"{args.oracle_links} --modes {args.modes} --shaped-runs "
             f"{args.shaped_runs}` (the mixed data; medians of "
             f"{args.shaped_runs} runs, modes interleaved, order rotated "
             f"each run; every stored upload decoded and compared with the "
             f"source's SHA-256; measured {time.strftime('%Y-%m-%d')} on "
             f"{os.cpu_count()} cores).", "",
             "| link | file | --compress | wall s | client CPU s | peak RSS "
             "MiB | wire/file | vs oracle |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    verdicts = []
    for mbit, mib, med in rows:
        fixed = [m for m in med if m not in ("off", "auto")]
        oracle = min(fixed, key=lambda m: med[m]["wall"])
        for m, v in med.items():
            mark = " (oracle)" if m == oracle else ""
            lines.append(
                f"| {mbit} Mbit/s | {mib} MiB | {m}{mark} | {v['wall']:.2f} | "
                f"{v['cpu']:.2f} | {v['rss_mib']:.1f} | "
                f"{v['wire'] / (mib << 20):.3f} | "
                f"{v['wall'] / med[oracle]['wall']:.3f} |")
        if "auto" in med:
            verdicts.append(
                f"{mbit} Mbit/s: oracle level {oracle} "
                f"({med[oracle]['wall']:.2f} s); auto "
                f"{med['auto']['wall']:.2f} s = "
                f"{med['auto']['wall'] / med[oracle]['wall']:.3f}× the oracle.")
    lines += ["", *verdicts]
    update_doc("oracle", "Compression against the oracle", lines)


def proc_cpu(pid):
    """CPU seconds a live process has used so far."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1]
    f = fields.split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def cores_busy_since(mark=None):
    """(total, idle) jiffies of all cores; with `mark`, the busy fraction
    since it."""
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    now = (sum(v), v[3] + v[4])
    if mark is None:
        return now
    total = now[0] - mark[0]
    return 1 - (now[1] - mark[1]) / total if total else 0.0


def strace_counts(path):
    """{syscall: calls} from an `strace -c` summary."""
    counts = {}
    for line in pathlib.Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0].replace(".", "").isdigit() and \
                parts[-1] not in ("total",):
            try:
                counts[parts[-1]] = int(parts[3])
            except ValueError:
                pass
    return counts


def loopback_syscalls(server, cmd, work):
    """One untimed run of `cmd` with strace -c on it and on the server."""
    srv_out, cli_out = work / "strace-server.txt", work / "strace-client.txt"
    tracer = subprocess.Popen(["strace", "-c", "-f", "-o", str(srv_out),
                               "-p", str(server.proc.pid)],
                              stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attached
    subprocess.run(["strace", "-c", "-f", "-o", str(cli_out), *cmd],
                   check=True, stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    tracer.send_signal(signal.SIGINT)
    tracer.wait(timeout=30)
    for f in server.store.iterdir():
        f.unlink()
    return strace_counts(srv_out), strace_counts(cli_out)


def bench_loopback(args):
    work = pathlib.Path(tempfile.mkdtemp(prefix="ferry-bench-lo-"))
    size = args.size_mib << 20
    inputs = make_inputs(work, size)
    results, calls = {}, {}
    try:
        # Shared: both on both cores. Pinned: the server on core 0, the
        # client on core 1 (what each costs without the other's share).
        for layout in ("shared", "pinned"):
            pinned = layout == "pinned"
            server = Server(work / "store", None, ["--no-checksum"],
                            0 if pinned else None)
            try:
                for data, path in inputs.items():
                    loopback_runs(server, data, path, layout, work, args,
                                  results, calls)
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: {f: statistics.median(r[f] for r in v)
               for f in ("wall", "cpu", "server_cpu", "busy")}
           for k, v in results.items()}
    return {"med": med, "calls": calls}


def loopback_runs(server, data, path, layout, work, args, results, calls):
    want = digest(path, cache=True)
    cmds = {
        "ferry --compress off": [
            str(CLI), "--endpoint", server.endpoint, "--state-dir",
            str(work / "state"), "--compress", "off", "--quiet", str(path)],
        "curl -T": [str(PEERS / "curl_upload.sh"), server.endpoint,
                    str(path)],
        "openssl dgst -sha256": ["openssl", "dgst", "-sha256", str(path)],
    }
    if layout == "pinned":
        cmds = {k: ["taskset", "-c", "1"] + v for k, v in cmds.items()}
    for run in range(args.runs):
        for name, cmd in cmds.items():
            wait_until_idle()
            cpu0, mark = proc_cpu(server.proc.pid), cores_busy_since()
            r = run_client(cmd, "lo")
            r["busy"] = cores_busy_since(mark)
            r["server_cpu"] = proc_cpu(server.proc.pid) - cpu0
            if not name.startswith("openssl") and \
                    stored_tus_sha256(server.store) != want:
                raise RuntimeError(f"{name}: stored bytes differ")
            results.setdefault((layout, data, name), []).append(r)
            print(f"{layout} {data} {name}: {r['wall']:.2f} s, client CPU "
                  f"{r['cpu']:.2f} s, server CPU {r['server_cpu']:.2f} s, "
                  f"cores busy {r['busy']:.0%}", flush=True)
    if layout == "shared":
        for name in ("ferry --compress off", "curl -T"):
            calls[(data, name)] = loopback_syscalls(server, cmds[name], work)


def write_loopback_doc(results, args):
    med, calls = results["med"], results["calls"]
    gib = args.size_mib / 1024
    lines = [f"Command: `tests/bench/bench.py loopback --size-mib "
             f"{args.size_mib} --runs {args.runs}` (stock @tus/server 2.4.5 "
             f"without the checksum extension on this machine's "
             f"{os.cpu_count()} cores: shared, client and server on both; "
             f"pinned, the server on core 0 and the client on core 1; "
             f"medians of {args.runs} interleaved runs, each started on an "
             f"idle machine; every stored upload compared with the source's "
             f"SHA-256; measured {time.strftime('%Y-%m-%d')}). Floor: "
             f"curl's own CPU + `openssl dgst -sha256` of the file, both "
             f"from this run.", "",
             "| cores | data | client | wall s | vs curl -T | client CPU "
             "s/GiB | vs floor | server CPU s/GiB | cores busy |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for layout in ("shared", "pinned"):
        for data in ("random", "mixed"):
            curl = med.get((layout, data, "curl -T"))
            sha = med.get((layout, data, "openssl dgst -sha256"))
            if not curl or not sha:
                continue
            floor = curl["cpu"] + sha["cpu"]
            for name in ("ferry --compress off", "curl -T"):
                m = med[(layout, data, name)]
                lines.append(
                    f"| {layout} | {data} | {name} | {m['wall']:.2f} | "
                    f"{m['wall'] / curl['wall']:.2f}x | "
                    f"{m['cpu'] / gib:.2f} | {m['cpu'] / floor:.2f}x | "
                    f"{m['server_cpu'] / gib:.2f} | {m['busy']:.0%} |")
            lines.append(f"| {layout} | {data} | openssl dgst -sha256 | "
                         f"{sha['wall']:.2f} |  | {sha['cpu'] / gib:.2f} "
                         f"|  |  |  |")
    keys = ("read", "readv", "write", "writev", "pwrite64", "sendto",
            "sendmsg", "recvfrom", "pread64", "epoll_wait", "futex",
            "openat", "fsync", "fdatasync")
    lines += ["", "System calls per upload (`strace -c -f`, one untimed "
              "run each; the server's while it received that upload):", "",
              "| data | client | side | " + " | ".join(keys) + " |",
              "|---|---|---|" + "---:|" * len(keys)]
    for (data, name), (srv, cli) in calls.items():
        for side, c in (("server", srv), ("client", cli)):
            lines.append(f"| {data} | {name} | {side} | " +
                         " | ".join(str(c.get(k, 0)) for k in keys) + " |")
    update_doc("loopback", "Loopback: where the time goes", lines)


def put_block(text, begin, end, lines, heading):
    """Replaces what lies between the markers (the markers included) with
    `lines`, or appends them under a new heading."""
    block = "\n".join(lines)
    if begin in text and end in text:
        return text[:text.index(begin)] + block + \
            text[text.index(end) + len(end):]
    return text.rstrip() + f"\n\n## {heading}\n\n" + block + "\n"


def update_doc(tag, heading, body):
    """Puts `body` (lines) between docs/benchmarks.md's bench:TAG markers,
    or under a new `heading` at the end."""
    doc = ROOT / "docs/benchmarks.md"
    begin, end = f"<!-- bench:{tag}:begin -->", f"<!-- bench:{tag}:end -->"
    doc.write_text(put_block(doc.read_text(), begin, end,
                             [begin, "", *body, "", end], heading))


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
    doc.write_text(put_block(text, begin, end, lines, "Compression"))


PEERS = ROOT / "tests" / "bench" / "peers"


def wait_until_idle(limit_s=30.0):
    """Waits until the machine's CPUs are nearly idle (under 10% busy over
    half a second), at most limit_s: RGW frees deleted objects in the
    background (its GC runs every 5 s here), and a client timed while it
    does would pay for the previous client's objects."""
    def busy_idle():
        v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
        return sum(v), v[3] + v[4]
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        t0, i0 = busy_idle()
        time.sleep(0.5)
        t1, i1 = busy_idle()
        if t1 > t0 and 1 - (i1 - i0) / (t1 - t0) < 0.10:
            return


def iface_tx(iface):
    """Bytes sent so far on an interface (the upload direction)."""
    return int(pathlib.Path(f"/sys/class/net/{iface}/statistics/tx_bytes")
               .read_text())


class PortCounter:
    """Bytes sent to one TCP port of this machine (the upload direction:
    requests, headers and bodies, with their TCP/IP headers), from an
    nftables counter in a table of this script's own, removed by close().
    On loopback an interface counter would also count the answers and RGW's
    traffic to its OSD. Needs nft (Debian's nftables) and root."""

    TABLE = "ferry_bench"

    def __init__(self, port):
        self.port = port
        sh("nft", "add", "table", "inet", self.TABLE)
        sh("nft", "add", "chain", "inet", self.TABLE, "out",
           "{ type filter hook output priority 0 ; policy accept ; }")
        sh("nft", "add", "rule", "inet", self.TABLE, "out", "tcp", "dport",
           str(port), "counter")

    def bytes(self):
        listing = json.loads(sh("nft", "-j", "list", "table", "inet",
                                self.TABLE).stdout)
        for item in listing["nftables"]:
            for expr in item.get("rule", {}).get("expr", []):
                if "counter" in expr:
                    return expr["counter"]["bytes"]
        raise RuntimeError("no nftables counter")

    def close(self):
        subprocess.run(["nft", "delete", "table", "inet", self.TABLE],
                       capture_output=True)


def run_client(cmd, iface):
    """Runs one client to completion: wall, CPU and peak RSS of its process
    tree (wait4), bytes on the wire (interface counter, or a PortCounter)."""
    tx0 = iface_tx(iface) if isinstance(iface, str) else iface.bytes()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[:3]} failed: {err[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mib": usage.ru_maxrss / 1024,
            "wire": (iface_tx(iface) if isinstance(iface, str)
                     else iface.bytes()) - tx0}


def clients(endpoint, files, state, small):
    """The command line of each client for these files."""
    ferry = [str(CLI), "--endpoint", endpoint, "--state-dir", state]
    cmds = {
        "ferry": ferry + ["--compress", "off", *files],
        "ferry auto": ferry + ["--compress", "auto", *files],
        "curl -T": [str(PEERS / "curl_upload.sh"), endpoint, *files],
        "tus-js-client": ["node", str(PEERS / "tusjs_upload.js"), endpoint,
                          *files],
        "tuspy": ["/usr/bin/python3", str(PEERS / "tuspy_upload.py"),
                  endpoint, str(8 << 20), *files],
    }
    if small:
        cmds["ferry"] = ferry + ["--compress", "off", "--parallel", "8",
                                 *files]
        del cmds["ferry auto"]
    return cmds


_DIGESTS = {}


def digest(path, cache=False):
    import hashlib
    if cache and path in _DIGESTS:
        return _DIGESTS[path]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    if cache:
        _DIGESTS[path] = h.hexdigest()
    return h.hexdigest()


def verify_store(store, sources):
    """Every source's bytes are in the store (by SHA-256), then it is
    emptied for the next run."""
    stored = {}  # original size -> digests of what the server holds
    for f in store.iterdir():
        if f.suffix == ".json":
            continue
        meta = json.loads(f.with_suffix(".json").read_text()).get(
            "metadata") or {}
        if meta.get("encoding") == "zstd":  # ferry's compressed uploads
            dec = subprocess.run(["sh", "-c", f"zstd -dc '{f}' | sha256sum"],
                                 check=True, capture_output=True, text=True)
            size, got = int(meta["original-length"]), dec.stdout.split()[0]
        else:
            size, got = f.stat().st_size, None
        stored.setdefault(size, []).append((f, got))
    for src in sources:
        want = digest(src, cache=True)
        if not any((got or digest(f)) == want
                   for f, got in stored.get(src.stat().st_size, [])):
            raise RuntimeError(f"{src} is not stored intact")
    for f in store.iterdir():
        f.unlink()


def install_peers():
    """tus-js-client, pinned by tests/bench/peers/package-lock.json."""
    if not (PEERS / "node_modules" / "tus-js-client").exists():
        sh("npm", "ci", "--no-audit", "--no-fund", cwd=str(PEERS))


def bench_peers(args):
    install_peers()
    work = pathlib.Path(tempfile.mkdtemp(prefix="ferry-bench-"))
    size = args.size_mib << 20
    inputs = make_inputs(work, size)
    small_dir = work / "small"
    small_dir.mkdir()
    small = []
    for i in range(args.small_files):
        f = small_dir / f"s{i:04}.bin"
        f.write_bytes(os.urandom(64 << 10))
        small.append(f)
    scenarios = [("loopback", "random 1 GiB", [inputs["random"]]),
                 ("loopback", "mixed 1 GiB", [inputs["mixed"]]),
                 ("loopback", f"{args.small_files} x 64 KiB", small),
                 ("shaped", "mixed 1 GiB", [inputs["mixed"]]),
                 # The server on one core, the client on the other: what
                 # each client costs when it does not compete with the
                 # server for the CPU.
                 ("pinned", "random 1 GiB", [inputs["random"]]),
                 ("pinned", "mixed 1 GiB", [inputs["mixed"]])]
    if args.size_mib != 1024:
        scenarios = [(l, d.replace("1 GiB", f"{args.size_mib} MiB"), f)
                     for l, d, f in scenarios]
    rows = []
    try:
        for link, data, files in scenarios:
            if link not in args.links.split(","):
                continue
            netns = NETNS if link == "shaped" else None
            if netns:
                setup_link(args.mbit)
            store = work / "store"
            pinned = link == "pinned"
            server = Server(store, netns, ["--no-checksum"],
                            0 if pinned else None)
            iface = "fbench0" if netns else "lo"
            try:
                cmds = clients(server.endpoint, [str(f) for f in files],
                               str(work / "state"), len(files) > 1)
                if pinned:
                    cmds = {k: ["taskset", "-c", "1"] + v
                            for k, v in cmds.items()}
                if netns:  # the slow link: the peers that stream one PATCH
                    cmds = {k: v for k, v in cmds.items()
                            if k in ("ferry auto", "curl -T", "tus-js-client")}
                runs = args.shaped_runs if netns else args.runs
                results = {k: [] for k in cmds}
                for _ in range(runs):
                    for name, cmd in cmds.items():
                        results[name].append(run_client(cmd, iface))
                        verify_store(store, files)
                for name in cmds:
                    med = {k: statistics.median(r[k] for r in results[name])
                           for k in ("wall", "cpu", "rss_mib", "wire")}
                    med["runs"] = runs
                    med["files"] = len(files)
                    rows.append((link, data, name, med))
                    print(f"{link:9} {data:16} {name:14} wall "
                          f"{med['wall']:7.2f} s  cpu {med['cpu']:6.2f} s  rss "
                          f"{med['rss_mib']:6.1f} MiB  wire "
                          f"{med['wire'] / sum(f.stat().st_size for f in files):6.3f}",
                          flush=True)
            finally:
                server.stop()
                if netns:
                    teardown_link()
        if "rss" in args.links.split(","):
            rows += bench_rss(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def bench_rss(work, args):
    """Peak RSS of ferry from a 100 MiB file to a 10 GiB one (sparse: zeros,
    sent uncompressed and with auto compression)."""
    rows = []
    store = work / "store"
    server = Server(store, None, ["--no-checksum"])
    try:
        files = {"100 MiB": work / "r100.bin", "10 GiB": work / "r10g.bin"}
        with open(files["100 MiB"], "wb") as f:
            f.truncate(100 << 20)
        with open(files["10 GiB"], "wb") as f:
            f.truncate(10 << 30)
        for mode in ("off", "auto"):
            for label, path in files.items():
                cmd = [str(CLI), "--endpoint", server.endpoint, "--state-dir",
                       str(work / "state"), "--compress", mode, str(path)]
                r = run_client(cmd, "lo")
                for f in store.iterdir():
                    f.unlink()
                r["runs"], r["files"] = 1, 1
                rows.append(("loopback", f"zeros {label}",
                             f"ferry --compress {mode}", r))
                print(f"rss {label:8} {mode:5} wall {r['wall']:7.2f} s  rss "
                      f"{r['rss_mib']:6.1f} MiB", flush=True)
    finally:
        server.stop()
    return rows


def write_peers_doc(rows, args):
    doc = ROOT / "docs" / "benchmarks.md"
    pinned = [r for r in rows if r[0] == "pinned"]
    rows = [r for r in rows if r[0] != "pinned"]
    if pinned:
        write_pinned_doc(doc, pinned, args)
    if not rows:
        return
    text = doc.read_text()
    begin, end = "<!-- bench:peers:begin -->", "<!-- bench:peers:end -->"
    lines = [begin, "",
             f"Command: `sudo tests/bench/bench.py peers --size-mib "
             f"{args.size_mib} --runs {args.runs} --shaped-runs "
             f"{args.shaped_runs}` (medians; loopback scenarios {args.runs} "
             f"runs, the {args.mbit} Mbit/s link {args.shaped_runs}; clients "
             f"interleaved run by run; measured {time.strftime('%Y-%m-%d')} on "
             f"{os.cpu_count()} cores; every run's stored bytes compared with "
             f"the sources' SHA-256).", "",
             "| link | data | client | wall s | files/s | client CPU s | "
             "peak RSS MiB | wire/data | ferry's speed vs this |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    by = {(l, d, n): m for l, d, n, m in rows}
    for link, data, name, med in rows:
        ref = by.get((link, data, "ferry")) or by.get((link, data,
                                                        "ferry auto"))
        speed = med["wall"] / ref["wall"] if ref else float("nan")
        nbytes = (args.size_mib << 20) if med["files"] == 1 else \
            med["files"] * (64 << 10)
        if data.startswith("zeros"):
            nbytes = (100 << 20) if "100 MiB" in data else (10 << 30)
        lines.append(
            f"| {'loopback' if link == 'loopback' else f'{args.mbit} Mbit/s'}"
            f" | {data} | {name} | {med['wall']:.2f} | "
            f"{med['files'] / med['wall']:.1f} | {med['cpu']:.2f} | "
            f"{med['rss_mib']:.1f} | {med['wire'] / nbytes:.3f} | "
            f"{f'{speed:.2f}x' if ref else ''} |")
    lines += ["", end]
    doc.write_text(put_block(text, begin, end, lines, "Against peers"))


def write_pinned_doc(doc, rows, args):
    text = doc.read_text()
    begin, end = "<!-- bench:pinned:begin -->", "<!-- bench:pinned:end -->"
    lines = [begin, "",
             f"Command: `sudo tests/bench/bench.py peers --size-mib "
             f"{args.size_mib} --runs {args.runs} --links pinned` (the server "
             f"pinned to CPU 0 and each client to CPU 1 with `taskset`; "
             f"medians of {args.runs} interleaved runs; measured "
             f"{time.strftime('%Y-%m-%d')}; stored bytes verified).", "",
             "| data | client | wall s | client CPU s | peak RSS MiB | "
             "ferry's speed vs this |", "|---|---|---:|---:|---:|---:|"]
    by = {(d, n): m for _, d, n, m in rows}
    for _, data, name, med in rows:
        ref = by.get((data, "ferry"))
        lines.append(f"| {data} | {name} | {med['wall']:.2f} | "
                     f"{med['cpu']:.2f} | {med['rss_mib']:.1f} | "
                     f"{med['wall'] / ref['wall']:.2f}x |")
    lines += ["", end]
    doc.write_text(put_block(text, begin, end, lines,
                             "Against peers, server and client on their own "
                             "cores"))


def bench_micro(args):
    """Google Benchmark: one chunk in ferry's hands next to the raw library
    on the same buffer; writes a table between markers."""
    exe = BUILD / "tests" / "ferry_micro_bench"
    out = subprocess.run([str(exe), "--benchmark_format=json",
                          f"--benchmark_repetitions={args.runs}",
                          "--benchmark_report_aggregates_only=true"],
                         check=True, capture_output=True, text=True).stdout
    rows = []
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"]
        gbps = b["bytes_per_second"] / 1e9
        rows.append((name, gbps, b.get("ratio")))
        print(f"{name:28} {gbps:7.2f} GB/s", flush=True)
    if args.no_doc:
        return
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text()
    begin, end = "<!-- bench:micro:begin -->", "<!-- bench:micro:end -->"
    lines = [begin, "", f"Command: `tests/bench/bench.py micro --runs "
             f"{args.runs}` (Google Benchmark, medians of {args.runs} "
             f"repetitions, one 8 MiB chunk: half random, half text; measured "
             f"{time.strftime('%Y-%m-%d')}).", "",
             "| benchmark | GB/s | compressed/raw |", "|---|---:|---:|"]
    for name, gbps, ratio in rows:
        lines.append(f"| {name} | {gbps:.2f} | "
                     f"{'' if ratio is None else f'{ratio:.3f}'} |")
    lines += ["", end]
    doc.write_text(put_block(text, begin, end, lines, "Micro-benchmarks"))


PY3 = "/usr/bin/python3"  # Debian's, which has boto3
BOTO3_UPLOAD = """
import sys, boto3
from boto3.s3.transfer import TransferConfig
endpoint, bucket, key, path = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint)
s3.upload_file(path, bucket, key, Config=TransferConfig())
"""
BOTO3_WARMUP = """
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
s3.put_object(Bucket="bench", Key="warm", Body=b"w" * (1 << 20))
up = s3.create_multipart_upload(Bucket="bench", Key="warm-mp")["UploadId"]
etag = s3.upload_part(Bucket="bench", Key="warm-mp", UploadId=up,
                      PartNumber=1, Body=b"w" * (1 << 20))["ETag"]
s3.complete_multipart_upload(
    Bucket="bench", Key="warm-mp", UploadId=up,
    MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
for key in ("warm", "warm-mp"):
    s3.delete_object(Bucket="bench", Key=key)
"""


S3_READ_BACK = """
import hashlib, subprocess, sys, boto3
endpoint, key = sys.argv[1:3]
s3 = boto3.client("s3", endpoint_url=endpoint)
obj = s3.get_object(Bucket="bench", Key=key)
h = hashlib.sha256()
dec = None
body = obj["Body"]
if obj.get("Metadata", {}).get("encoding") == "zstd":  # ferry's compressed
    dec = subprocess.Popen(["zstd", "-dc"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE)
    import threading
    def feed():
        for block in iter(lambda: body.read(1 << 20), b""):
            dec.stdin.write(block)
        dec.stdin.close()
    t = threading.Thread(target=feed)
    t.start()
    for block in iter(lambda: dec.stdout.read(1 << 20), b""):
        h.update(block)
    t.join()
    dec.wait()
else:
    for block in iter(lambda: body.read(1 << 20), b""):
        h.update(block)
print(h.hexdigest())
s3.delete_object(Bucket="bench", Key=key)
"""


def s3_tool_commands(endpoint, vals, src, dest, recursive=False):
    """aws s3 cp and rclone (Debian's awscli and rclone, left out with a
    note when missing), each with its defaults, uploading `src` (a file, or
    a folder when `recursive`) to `dest` in the bench bucket (a key, or a
    key prefix)."""
    cmds = {}
    if os.path.exists("/usr/bin/aws"):
        name = "aws s3 cp --recursive" if recursive else "aws s3 cp"
        cmds[name] = ["/usr/bin/aws", "s3", "cp", "--only-show-errors",
                      *(["--recursive"] if recursive else []),
                      "--endpoint-url", endpoint, str(src),
                      f"s3://bench/{dest}"]
    else:
        print("no /usr/bin/aws (apt-get install awscli): not measured")
    if shutil.which("rclone"):
        verb = "copy" if recursive else "copyto"
        # An on-the-fly :s3: remote configured from the environment.
        # rclone 1.60 cannot load AWS_CA_BUNDLE over plain HTTP; the
        # endpoint here is plain HTTP, so it goes without it.
        cmds[f"rclone {verb}"] = [
            "env", "-u", "AWS_CA_BUNDLE", "RCLONE_S3_PROVIDER=Ceph",
            f"RCLONE_S3_ENDPOINT={endpoint}",
            f"RCLONE_S3_ACCESS_KEY_ID={vals['FERRY_S3_ACCESS_KEY']}",
            f"RCLONE_S3_SECRET_ACCESS_KEY={vals['FERRY_S3_SECRET_KEY']}",
            "rclone", verb, "--s3-no-check-bucket", str(src),
            f":s3:bench/{dest.rstrip('/')}"]
    else:
        print("no rclone (apt-get install rclone): not measured")
    return cmds


def start_rgw(rgw_dir, port):
    """Starts a local RGW (tests/support/rgw_server.sh), exports its keys
    as AWS_* and makes the bench bucket, warmed up (RGW makes its pools on
    the first object and the first multipart upload). Returns its
    FERRY_S3_* values."""
    out = sh(str(ROOT / "tests/support/rgw_server.sh"), "start", str(rgw_dir),
             str(port)).stdout
    vals = dict(line.split("=", 1) for line in out.splitlines()
                if line.startswith("FERRY_"))
    os.environ.update(AWS_ACCESS_KEY_ID=vals["FERRY_S3_ACCESS_KEY"],
                      AWS_SECRET_ACCESS_KEY=vals["FERRY_S3_SECRET_KEY"],
                      AWS_REGION=vals["FERRY_S3_REGION"],
                      AWS_DEFAULT_REGION=vals["FERRY_S3_REGION"])
    endpoint = vals["FERRY_S3_ENDPOINT"]
    subprocess.run([PY3, "-c",
                    "import boto3,sys; boto3.client('s3', endpoint_url="
                    "sys.argv[1]).create_bucket(Bucket='bench')",
                    endpoint], check=True)
    subprocess.run([PY3, "-c", BOTO3_WARMUP, endpoint], check=True)
    return vals


def chosen(cmds, args):
    """The clients --clients names (prefixes of their names), all without
    it; for a quick look at some, never for the tables in the docs."""
    if not args.clients:
        return cmds
    wanted = args.clients.split(",")
    return {n: c for n, c in cmds.items()
            if any(n.startswith(w) for w in wanted)}


def bench_s3(args):
    """ferry (compression off, and its default auto) against boto3's
    upload_file, aws s3 cp and rclone, each with its defaults, on the same
    local Ceph RGW, same file, interleaved runs, for each kind of data in
    --data; every stored object read back and compared with the source's
    SHA-256."""
    work = pathlib.Path(tempfile.mkdtemp(prefix="ferry-s3-bench-"))
    rgw_dir = work / "rgw"
    # The OSD's store is RAM: room for the source's size a few times over
    # (objects are deleted after each check, and freed by RGW's GC).
    os.environ["FERRY_RGW_STORE_BYTES"] = str(
        max(6 << 30, (args.size_mib << 20) * 6))
    vals = start_rgw(rgw_dir, 7499)
    endpoint = vals["FERRY_S3_ENDPOINT"]
    counter = PortCounter(7499)
    try:
        inputs = make_inputs(work, args.size_mib << 20)
        ferry = [str(BUILD / "samples/ferry-upload"), "--protocol", "s3",
                 "--endpoint", endpoint, "--bucket", "bench", "--state-dir",
                 str(work / "state"), "--quiet"]
        med = {}
        for kind in args.data.split(","):
            src = inputs[kind]
            want = digest(src)
            cmds = {"ferry": ferry + ["--compress", "off", "--key", "f.bin",
                                      str(src)],
                    "ferry (zstd auto)": ferry + ["--key", "f.bin",
                                                  str(src)]}
            cmds["boto3"] = [PY3, "-c", BOTO3_UPLOAD, endpoint, "bench",
                             "f.bin", str(src)]
            cmds.update(s3_tool_commands(endpoint, vals, src, "f.bin"))
            cmds = chosen(cmds, args)
            results = {name: [] for name in cmds}
            names = list(cmds)
            for run in range(args.runs):
                # Rotated, so no client always goes first after a cleanup.
                for name in names[run % len(names):] + \
                        names[:run % len(names)]:
                    wait_until_idle()
                    r = run_client(cmds[name], counter)
                    got = subprocess.run(
                        [PY3, "-c", S3_READ_BACK, endpoint, "f.bin"],
                        check=True, capture_output=True,
                        text=True).stdout.strip()
                    if got != want:
                        raise RuntimeError(
                            f"{name}: stored {got}, source {want}")
                    results[name].append(r)
                    print(f"{kind} run {run + 1} {name}: {r['wall']:.2f} s "
                          f"wall, {r['cpu']:.2f} s CPU, {r['rss_mib']:.1f} "
                          f"MiB, {r['wire'] / 2**20:.1f} MiB sent",
                          flush=True)
            med[kind] = {name: {k: statistics.median(x[k] for x in rs)
                                for k in ("wall", "cpu", "rss_mib", "wire")}
                         for name, rs in results.items()}
        return med
    finally:
        counter.close()
        sh(str(ROOT / "tests/support/rgw_server.sh"), "stop", str(rgw_dir))
        shutil.rmtree(work, ignore_errors=True)


BOTO3_MANY = """
import os, sys, boto3
from concurrent.futures import ThreadPoolExecutor
endpoint, bucket, prefix, folder = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint)
names = sorted(os.listdir(folder))
# aws s3 cp --recursive's concurrency: 10 requests at a time.
with ThreadPoolExecutor(10) as pool:
    list(pool.map(lambda n: s3.upload_file(os.path.join(folder, n), bucket,
                                           prefix + n), names))
"""
BOTO3_CHECK_MANY = """
import hashlib, os, sys, boto3
endpoint, bucket, prefix, folder = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint)
for n in sorted(os.listdir(folder)):
    got = s3.get_object(Bucket=bucket, Key=prefix + n)["Body"].read()
    with open(os.path.join(folder, n), "rb") as f:
        if hashlib.sha256(got).digest() != hashlib.sha256(f.read()).digest():
            sys.exit("stored bytes differ: " + n)
    s3.delete_object(Bucket=bucket, Key=prefix + n)
"""


def bench_s3_small(args):
    """--small-files x 64 KiB to a local RGW: ferry (one PutObject a file,
    its default), ferry with --multipart-threshold 0 (create, part,
    complete), boto3 upload_file with 10 at a time; interleaved runs, every
    object read back and compared."""
    work = pathlib.Path(tempfile.mkdtemp(prefix="ferry-s3-small-"))
    rgw_dir = work / "rgw"
    vals = start_rgw(rgw_dir, 7498)
    endpoint = vals["FERRY_S3_ENDPOINT"]
    counter = PortCounter(7498)
    try:
        folder = work / "small"
        folder.mkdir()
        rng = random.Random(7)
        for i in range(args.small_files):
            (folder / f"s{i:04}.bin").write_bytes(rng.randbytes(64 << 10))
        ferry = [str(BUILD / "samples/ferry-upload"), "--protocol", "s3",
                 "--endpoint", endpoint, "--bucket", "bench", "--compress",
                 "off", "--state-dir", str(work / "state"), "-r", "--quiet"]
        cmds = {
            "ferry (one PutObject a file)": ferry + ["--key", "put/",
                                                     str(folder)],
            "ferry (multipart)": ferry + ["--multipart-threshold", "0",
                                          "--key", "mp/", str(folder)],
            "ferry --parallel 4": ferry + ["--parallel", "4", "--key",
                                            "p4/", str(folder)],
            "boto3 (10 at a time)": [PY3, "-c", BOTO3_MANY, endpoint, "bench",
                                     "boto3/", str(folder)],
        }
        prefixes = {"ferry (one PutObject a file)": "put/",
                    "ferry (multipart)": "mp/",
                    "ferry --parallel 4": "p4/",
                    "boto3 (10 at a time)": "boto3/"}
        # The tools AWS users would pick instead, with their defaults.
        tools = s3_tool_commands(endpoint, vals, folder, "tools/",
                                 recursive=True)
        cmds.update(tools)
        prefixes.update({name: "tools/" for name in tools})
        cmds = chosen(cmds, args)
        results = {name: [] for name in cmds}
        names = list(cmds)
        for run in range(args.runs):
            for name in names[run % len(names):] + names[:run % len(names)]:
                wait_until_idle()
                r = run_client(cmds[name], counter)
                subprocess.run([PY3, "-c", BOTO3_CHECK_MANY, endpoint,
                                "bench", prefixes[name], str(folder)],
                               check=True)
                results[name].append(r)
                print(f"run {run + 1} {name}: {r['wall']:.2f} s wall, "
                      f"{r['cpu']:.2f} s CPU, {r['rss_mib']:.1f} MiB, "
                      f"{r['wire'] / 2**20:.1f} MiB sent", flush=True)
        med = {name: {k: statistics.median(x[k] for x in rs)
                      for k in ("wall", "cpu", "rss_mib", "wire")}
               for name, rs in results.items()}
        for name, m in med.items():
            print(f"{name}: {m['wall']:.2f} s wall, {m['cpu']:.2f} s CPU, "
                  f"{m['rss_mib']:.1f} MiB (medians of {args.runs})")
        return med
    finally:
        counter.close()
        sh(str(ROOT / "tests/support/rgw_server.sh"), "stop", str(rgw_dir))
        shutil.rmtree(work, ignore_errors=True)


PY_UPLOAD = '''
import os, subprocess, sys
sys.path.insert(0, os.path.join(sys.argv[1], "bindings", "python"))
import ferry
endpoint, state, kind, path = sys.argv[2:6]
c = ferry.Client(endpoint, state_dir=state, compress="off")
if kind == "path":
    r = c.upload(path)
elif kind == "file":
    with open(path, "rb") as f:
        r = c.upload(f)
else:
    p = subprocess.Popen(["cat", path], stdout=subprocess.PIPE)
    r = c.upload(p.stdout, name="piped")
    p.wait()
print(r.sha256)
'''


def bench_sources(args):
    """Throughput of each kind of source against the path, on loopback."""
    work = pathlib.Path(tempfile.mkdtemp(prefix="ferry-bench-src-"))
    try:
        size = args.size_mib << 20
        path = make_inputs(work, size)["random"]
        want = digest(path)
        server = Server(work / "store")
        state = str(work / "state")
        cli = [str(CLI), "--endpoint", server.endpoint, "--state-dir", state,
               "--compress", "off", "--json"]
        py = ["/usr/bin/python3", "-c", PY_UPLOAD, str(ROOT),
              server.endpoint, state]
        cmds = {
            "CLI path": (cli + [str(path)], None),
            "CLI stdin (pipe)": (cli + ["-"], "pipe"),
            "CLI stdin (file)": (cli + ["-"], "file"),
            "Python path": (py + ["path", str(path)], None),
            "Python file object (open rb)": (py + ["file", str(path)], None),
            "Python file object (pipe)": (py + ["pipe", str(path)], None),
        }
        env = dict(os.environ, FERRY_LIBRARY=str(BUILD / "sdk" /
                                                 "libferry.so"))
        results = {name: [] for name in cmds}
        for run in range(args.runs):
            for name, (cmd, stdin) in cmds.items():
                feeder = None
                if stdin == "pipe":
                    feeder = subprocess.Popen(["cat", str(path)],
                                              stdout=subprocess.PIPE)
                    src = feeder.stdout
                elif stdin == "file":
                    src = open(path, "rb")
                else:
                    src = subprocess.DEVNULL
                start = time.monotonic()
                proc = subprocess.Popen(cmd, stdin=src, env=env,
                                        stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
                _, status, usage = os.wait4(proc.pid, 0)
                wall = time.monotonic() - start
                out = proc.stdout.read().decode()
                if feeder:
                    feeder.wait()
                elif stdin == "file":
                    src.close()
                if os.waitstatus_to_exitcode(status) != 0:
                    raise RuntimeError(f"{name}: " +
                                       proc.stderr.read().decode()[-2000:])
                if want not in out:
                    raise RuntimeError(f"{name}: reported sha256 differs")
                verify_store(server.store, [path])
                results[name].append({"wall": wall, "cpu": usage.ru_utime +
                                      usage.ru_stime,
                                      "rss_mib": usage.ru_maxrss / 1024})
                print(f"run {run + 1} {name}: {wall:.2f} s, "
                      f"{usage.ru_maxrss / 1024:.1f} MiB", flush=True)
        server.stop()
        return {name: {k: statistics.median(x[k] for x in rs)
                       for k in ("wall", "cpu", "rss_mib")}
                for name, rs in results.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


IETF_SERVER = ROOT / "samples" / "ietf-server" / "server.mjs"
TUSJS_IETF = ROOT / "tests" / "support" / "tusjs_ietf_upload.js"


def ietf_stored_sha256(store):
    """SHA-256 of the one upload in the IETF server's store (decoded when
    its creation said Content-Encoding: zstd); the store is then emptied."""
    [f] = [f for f in store.iterdir() if f.suffix != ".json"]
    made = json.loads(f.with_suffix(".json").read_text())
    if made.get("contentEncoding") == "zstd":
        out = subprocess.run(["sh", "-c", f"zstd -dc '{f}' | sha256sum"],
                             check=True, capture_output=True, text=True)
        got = out.stdout.split()[0]
    else:
        got = digest(f)
    for g in store.iterdir():
        g.unlink()
    return got


def bench_ietf(args):
    """The IETF draft on loopback: ferry (--protocol ietf) against
    tus-js-client's IETF mode, both to the strict draft server."""
    install_peers()
    work = pathlib.Path(tempfile.mkdtemp(prefix="ferry-bench-ietf-"))
    try:
        size = args.size_mib << 20
        inputs = make_inputs(work, size)
        store = work / "store"
        proc = subprocess.Popen(["node", str(IETF_SERVER), "--port", "0",
                                 "--dir", str(store)],
                                stdout=subprocess.PIPE, text=True)
        endpoint = proc.stdout.readline().strip().split("=", 1)[1]
        state = str(work / "state")
        cli = [str(CLI), "--endpoint", endpoint, "--state-dir", state,
               "--protocol", "ietf", "--json"]
        cmds = {"ferry --compress off": cli + ["--compress", "off"],
                "ferry (auto)": cli,
                "tus-js-client ietf-draft-05": ["node", str(TUSJS_IETF),
                                                endpoint]}
        results = {(d, n): [] for d in args.data.split(",") for n in cmds}
        for run in range(args.runs):
            for data, name in results:
                path = inputs[data]
                server_cpu = proc_cpu(proc.pid)
                start = time.monotonic()
                p = subprocess.Popen(cmds[name] + [str(path)],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
                _, status, usage = os.wait4(p.pid, 0)
                wall = time.monotonic() - start
                if os.waitstatus_to_exitcode(status) != 0:
                    raise RuntimeError(f"{name}: " +
                                       p.stderr.read().decode()[-2000:])
                if ietf_stored_sha256(store) != digest(path, cache=True):
                    raise RuntimeError(f"{name}: stored bytes differ")
                results[(data, name)].append(
                    {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                     "server_cpu": proc_cpu(proc.pid) - server_cpu,
                     "rss_mib": usage.ru_maxrss / 1024})
                print(f"run {run + 1} {data} {name}: {wall:.2f} s",
                      flush=True)
        proc.terminate()
        proc.wait(timeout=10)
        return {k: {m: statistics.median(x[m] for x in rs)
                    for m in ("wall", "cpu", "server_cpu", "rss_mib")}
                for k, rs in results.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_ietf_doc(med, args):
    lines = [f"Command: `tests/bench/bench.py ietf --size-mib "
             f"{args.size_mib} --runs {args.runs} --data {args.data}` "
             f"({args.size_mib} MiB to the strict draft server "
             f"(samples/ietf-server) on loopback, medians of {args.runs} "
             f"interleaved runs, measured {time.strftime('%Y-%m-%d')} on "
             f"{os.cpu_count()} cores; every stored upload checked against "
             f"the source's SHA-256). tus-js-client 4.3.1 in its IETF mode "
             f"(`protocol: 'ietf-draft-05'`, the whole file in one request) "
             f"is the peer.", "",
             "| data | client | wall s | client CPU s | server CPU s | "
             "peak RSS MiB | speed vs tus-js-client |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for (data, name), m in med.items():
        ref = med[(data, "tus-js-client ietf-draft-05")]["wall"]
        lines.append(f"| {data} | {name} | {m['wall']:.2f} | {m['cpu']:.2f} "
                     f"| {m['server_cpu']:.2f} | {m['rss_mib']:.1f} | "
                     f"{ref / m['wall']:.2f}x |")
    update_doc("ietf", "The IETF resumable-upload draft", lines)


def write_sources_doc(med, args):
    doc = ROOT / "docs/benchmarks.md"
    text = doc.read_text()
    begin, end = "<!-- bench:sources:begin -->", "<!-- bench:sources:end -->"
    ref = med["CLI path"]["wall"]
    lines = [begin, "",
             f"Command: `tests/bench/bench.py sources --size-mib "
             f"{args.size_mib} --runs {args.runs}` ({args.size_mib} MiB of "
             f"random data to the local @tus/server on loopback, compression "
             f"off, medians of {args.runs} interleaved runs; measured "
             f"{time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores; every "
             f"upload's stored bytes and reported SHA-256 checked). Target: "
             f"standard input and a Python file object within 10% of a "
             f"path.", "",
             "| source | wall s | client CPU s | peak RSS MiB | speed vs "
             "path |", "|---|---:|---:|---:|---:|"]
    for name, m in med.items():
        lines.append(f"| {name} | {m['wall']:.2f} | {m['cpu']:.2f} | "
                     f"{m['rss_mib']:.1f} | {ref / m['wall']:.2f}x |")
    lines += ["", end]
    doc.write_text(put_block(text, begin, end, lines,
                             "Sources: paths, standard input, file objects"))


def write_s3_doc(med, args):
    lines = [f"Command: `tests/bench/bench.py s3 --size-mib {args.size_mib} "
             f"--runs {args.runs} --data {args.data}` ({args.size_mib} MiB "
             f"of each kind of data to a local Ceph RGW started by "
             f"tests/support/rgw_server.sh (memstore OSD), medians of "
             f"{args.runs} interleaved runs; measured "
             f"{time.strftime('%Y-%m-%d')} on this 2-core machine; every "
             f"stored object read back and compared with the source's "
             f"SHA-256; a warm-up upload first, client order rotated per "
             f"run, each run started once the machine is idle). Every client with its defaults: ferry 8 MiB parts, 4 at "
             f"once, signed payloads, zstd auto (its default) "
             f"or off; boto3 upload_file and aws s3 cp 8 MiB parts, 10 at "
             f"once; rclone copyto 5 MiB chunks, 4 at once (plain HTTP). "
             f"Speed is against the fastest of boto3, aws s3 cp and rclone "
             f"on that data. Wire: bytes sent to RGW's port (requests with "
             f"their TCP/IP headers, an nftables counter) per byte of the "
             f"file.", ""]
    for kind, rows in med.items():
        peers = [m["wall"] for n, m in rows.items()
                 if not n.startswith("ferry")]
        ref = min(peers)
        lines += [f"{kind} data:", "",
                  "| client | wall s | client CPU s | peak RSS MiB | "
                  "wire/data | speed vs fastest peer |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name, m in rows.items():
            lines.append(f"| {name} | {m['wall']:.2f} | {m['cpu']:.2f} | "
                         f"{m['rss_mib']:.1f} | "
                         f"{m['wire'] / (args.size_mib << 20):.3f} | "
                         f"{ref / m['wall']:.2f}x |")
        lines.append("")
    update_doc("s3", "S3 multipart against boto3 (Ceph RGW)", lines[:-1])


def mixed_of_size(base, path, size):
    """`size` bytes of `base` (mixed data) repeated: repeats lie further
    apart than any zstd window ferry uses, so they compress as the base."""
    with open(path, "wb") as out, open(base, "rb") as f:
        while out.tell() < size:
            f.seek(0)
            for block in iter(lambda: f.read(1 << 20), b""):
                out.write(block[:size - out.tell()])
                if out.tell() >= size:
                    break
    return path


def stored_tus_sha256(store):
    """SHA-256 of the one upload in a @tus/server store (decoded when
    ferry sent it as zstd), then removed."""
    (data,) = [f for f in store.iterdir() if not f.name.endswith(".json")]
    meta = json.loads((store / (data.name + ".json")).read_text())
    h = hashlib.sha256()
    zstd = meta.get("metadata", {}).get("encoding") == "zstd"
    cat = ["zstd", "-dc", str(data)] if zstd else ["cat", str(data)]
    with subprocess.Popen(cat, stdout=subprocess.PIPE) as proc:
        for block in iter(lambda: proc.stdout.read(1 << 20), b""):
            h.update(block)
    for f in store.iterdir():
        f.unlink()
    return h.hexdigest()


def bench_memory(args):
    """Peak RSS of ferry's CLI (its process, from wait4) by protocol,
    --compress off and auto, and file size, with the default 64 MiB memory
    budget: issue 22 bounds it by the budget + 16 MiB whatever the size.
    Mixed data (so that auto compresses); every upload's stored bytes
    checked against the source's SHA-256."""
    work = pathlib.Path(tempfile.mkdtemp(prefix="ferry-bench-mem-"))
    sizes = [int(x) for x in args.sizes_mib.split(",")]
    os.environ["FERRY_RGW_STORE_BYTES"] = str(
        max(6 << 30, 3 * (min(max(sizes), args.s3_max_mib) << 20)))
    vals = start_rgw(work / "rgw", 7497)
    server = Server(work / "store")
    rows = []
    try:
        base = make_inputs(work, 1 << 30)["mixed"]
        (work / "random.bin").unlink()
        for mib in sizes:
            src = mixed_of_size(base, work / "src.bin", mib << 20)
            want = digest(src)
            for proto in ("tus", "s3"):
                if proto == "s3" and mib > args.s3_max_mib:
                    continue
                for mode in ("off", "auto"):
                    cmd = [str(CLI), "--compress", mode, "--quiet",
                           "--state-dir", str(work / "state")]
                    if proto == "tus":
                        cmd += ["--endpoint", server.endpoint, str(src)]
                    else:
                        cmd += ["--protocol", "s3", "--endpoint",
                                vals["FERRY_S3_ENDPOINT"], "--bucket",
                                "bench", "--key", "m.bin", str(src)]
                    r = run_client(cmd, "lo")
                    if proto == "tus":
                        got = stored_tus_sha256(work / "store")
                    else:
                        got = subprocess.run(
                            [PY3, "-c", S3_READ_BACK,
                             vals["FERRY_S3_ENDPOINT"], "m.bin"], check=True,
                            capture_output=True, text=True).stdout.strip()
                    if got != want:
                        raise RuntimeError(f"{proto} {mode} {mib} MiB: "
                                           f"stored {got}, source {want}")
                    rows.append({"proto": proto, "mode": mode, "mib": mib,
                                 "rss_mib": r["rss_mib"], "wall": r["wall"]})
                    print(f"{proto} {mode} {mib} MiB: {r['rss_mib']:.1f} "
                          f"MiB peak RSS, {r['wall']:.1f} s", flush=True)
            src.unlink()
        return rows
    finally:
        server.stop()
        sh(str(ROOT / "tests/support/rgw_server.sh"), "stop",
           str(work / "rgw"))
        shutil.rmtree(work, ignore_errors=True)


def write_memory_doc(rows, args):
    sizes = [int(x) for x in args.sizes_mib.split(",")]
    label = {m: f"{m / 1024:g} GiB" if m >= 1024 else f"{m} MiB"
             for m in sizes}
    lines = [f"Command: `tests/bench/bench.py memory --sizes-mib "
             f"{args.sizes_mib} --s3-max-mib {args.s3_max_mib}` (peak RSS "
             f"of the CLI's process from wait4, default 64 MiB memory "
             f"budget, 4 MiB chunks, S3 8 MiB parts 4 at once; mixed data "
             f"repeated to size; the local @tus/server and a local Ceph RGW "
             f"(S3 up to {args.s3_max_mib} MiB: its store is RAM); every "
             f"stored object checked against the source's SHA-256; measured "
             f"{time.strftime('%Y-%m-%d')}). Bound: budget + 16 MiB = 80 "
             f"MiB.", "",
             "| protocol | --compress | " +
             " | ".join(label[m] for m in sizes) + " |",
             "|---|---|" + "---:|" * len(sizes)]
    for proto in ("tus", "s3"):
        for mode in ("off", "auto"):
            cells = []
            for m in sizes:
                hit = [r for r in rows if (r["proto"], r["mode"], r["mib"]) ==
                       (proto, mode, m)]
                cells.append(f"{hit[0]['rss_mib']:.1f}" if hit else "—")
            lines.append(f"| {proto} | {mode} | " + " | ".join(cells) + " |")
    update_doc("memory", "Memory: peak RSS by protocol, mode and size", lines)


@contextlib.contextmanager
def delayed_server(work, rtt_ms):
    """A stock @tus/server (no checksum extension) in work/store behind
    tests/support/delay_proxy.py adding rtt_ms to every round trip; yields
    (server, endpoint through the proxy). Removes `work` afterwards."""
    sys.path.insert(0, str(ROOT / "tests/support"))
    from delay_proxy import DelayProxy
    server = proxy = None
    try:
        server = Server(work / "store", None, ["--no-checksum"])
        target = server.endpoint.split("//", 1)[1].split("/", 1)[0]
        proxy = DelayProxy(target, rtt_ms / 2)
        yield server, proxy.url + "/" + server.endpoint.split("/", 3)[3]
    finally:
        if proxy:
            proxy.stop()
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def bench_latency(args):
    """--small-files x 64 KiB through a delay proxy (tests/support/
    delay_proxy.py, --rtt-ms round trip) to a stock @tus/server (no
    checksum extension): ferry with its defaults and at fixed --parallel,
    against tus-js-client 4 uploads at a time, interleaved runs; files per
    second against the one-request-per-file limit (concurrency / RTT).
    Every run's uploads are counted in the store and the store emptied."""
    install_peers()
    work = pathlib.Path(tempfile.mkdtemp(prefix="ferry-bench-rtt-"))
    folder = work / "small"
    folder.mkdir()
    for i in range(args.small_files):
        (folder / f"s{i:04}.bin").write_bytes(os.urandom(64 << 10))
    files = sorted(str(f) for f in folder.iterdir())
    with delayed_server(work, args.rtt_ms) as (server, endpoint):
        ferry = [str(CLI), "--endpoint", endpoint, "--state-dir",
                 str(work / "state"), "--compress", "off", "--quiet", "-r",
                 str(folder)]
        cmds = {"ferry (defaults)": (ferry, None)}
        for n in (1, 4, 8, 16):
            cmds[f"ferry --parallel {n}"] = (ferry + ["--parallel", str(n)],
                                             n)
        cmds["tus-js-client, 4 at a time"] = (
            ["env", "TUSJS_PARALLEL=4", "node", str(PEERS / "tusjs_upload.js"),
             endpoint, *files], 4)
        results = {name: [] for name in cmds}
        for run in range(args.runs):
            for name, (cmd, _) in cmds.items():
                r = run_client(cmd, "lo")
                stored = [f for f in server.store.iterdir()
                          if not f.name.endswith(".json")]
                if len(stored) != len(files):
                    raise RuntimeError(f"{name}: {len(stored)} uploads "
                                       f"stored, {len(files)} sent")
                for f in server.store.iterdir():
                    f.unlink()
                results[name].append(r)
                print(f"run {run + 1} {name}: {r['wall']:.2f} s", flush=True)
    rows = []
    for name, (_, n) in cmds.items():
        wall = statistics.median(x["wall"] for x in results[name])
        rows.append({"name": name, "n": n, "wall": wall,
                     "cpu": statistics.median(x["cpu"]
                                              for x in results[name])})
        print(f"{name}: {wall:.2f} s (median)")
    return rows


def bench_latency_big(args):
    """One --big-mib file of mixed data through the same delay proxy to a
    stock @tus/server: ferry with its defaults (compression auto) and with
    --compress off, tus-js-client and tuspy (8 MiB chunks), interleaved
    runs; every stored upload decoded and compared with the source's
    SHA-256. The same again through the proxy with no delay, in the same
    run: what the round trip adds, apart from how the clients, the proxy
    and the server share the cores."""
    install_peers()
    work = pathlib.Path(tempfile.mkdtemp(prefix="ferry-bench-rtt-big-"))
    try:
        src = make_inputs(work, args.big_mib << 20)["mixed"]
        (work / "random.bin").unlink()
        want = digest(src)
        results = {}
        for rtt in (0.0, args.rtt_ms):
            with delayed_server(work / f"rtt{rtt:g}", rtt) as (server,
                                                               endpoint):
                ferry = [str(CLI), "--endpoint", endpoint, "--state-dir",
                         str(work / "state"), "--quiet", str(src)]
                cmds = {
                    "ferry (defaults: auto)": ferry,
                    "ferry --compress off": ferry + ["--compress", "off"],
                    "tus-js-client": ["node", str(PEERS / "tusjs_upload.js"),
                                      endpoint, str(src)],
                    "tuspy (8 MiB chunks)": [
                        PY3, str(PEERS / "tuspy_upload.py"), endpoint,
                        str(8 << 20), str(src)],
                }
                for run in range(args.runs):
                    for name, cmd in cmds.items():
                        wait_until_idle()
                        r = run_client(cmd, "lo")
                        if stored_tus_sha256(server.store) != want:
                            raise RuntimeError(f"{name}: stored bytes differ")
                        results.setdefault(name, {}).setdefault(
                            rtt, []).append(r)
                        print(f"rtt {rtt:g} ms run {run + 1} {name}: "
                              f"{r['wall']:.2f} s", flush=True)
        return {name: {rtt: {k: statistics.median(x[k] for x in v)
                             for k in ("wall", "cpu")}
                       for rtt, v in by_rtt.items()}
                for name, by_rtt in results.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_latency_big_doc(med, args):
    rtt = args.rtt_ms
    lines = [f"Command: `tests/bench/bench.py latency-big --rtt-ms "
             f"{rtt:g} --big-mib {args.big_mib} --runs {args.runs}` "
             f"({args.big_mib} MiB of the mixed data through "
             f"tests/support/delay_proxy.py to a stock @tus/server, once with "
             f"{rtt:g} ms added to every round trip and once with none, in "
             f"the same run; medians of {args.runs} interleaved runs, each on "
             f"an idle machine; every stored upload decoded and compared with "
             f"the source's SHA-256; measured {time.strftime('%Y-%m-%d')}). "
             f"No peak RSS: the proxy runs in the benchmark's own process, "
             f"whose size the clients' wait4 figures include from before "
             f"their exec.", "",
             f"| client | wall s, {rtt:g} ms | client CPU s | ferry's speed "
             f"vs this | wall s, 0 ms | ferry's speed vs this, 0 ms | "
             f"added by the round trip, s |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    ferry = med["ferry (defaults: auto)"]
    for name, m in med.items():
        lines.append(
            f"| {name} | {m[rtt]['wall']:.2f} | {m[rtt]['cpu']:.2f} | "
            f"{m[rtt]['wall'] / ferry[rtt]['wall']:.2f}x | "
            f"{m[0.0]['wall']:.2f} | "
            f"{m[0.0]['wall'] / ferry[0.0]['wall']:.2f}x | "
            f"{m[rtt]['wall'] - m[0.0]['wall']:.2f} |")
    update_doc("latency-big", "Latency: one big file over a 50 ms round trip",
               lines)


def write_latency_doc(rows, args):
    lines = [f"Command: `tests/bench/bench.py latency --rtt-ms {args.rtt_ms} "
             f"--small-files {args.small_files} --runs {args.runs}` "
             f"({args.small_files:,} files of 64 KiB through "
             f"tests/support/delay_proxy.py, {args.rtt_ms:g} ms added to "
             f"every round trip, to a stock @tus/server; medians of "
             f"{args.runs} interleaved runs; measured "
             f"{time.strftime('%Y-%m-%d')} on this 2-core machine). ferry: "
             f"one request a file (creation-with-upload), `--compress off`. "
             f"Limit: concurrency ÷ RTT, the most files a second one "
             f"request a file allows.", "",
             "| client | wall s | files/s | of the limit | client CPU s | "
             "ferry's speed vs this |", "|---|---:|---:|---:|---:|---:|"]
    ferry_default = rows[0]["wall"]
    for r in rows:
        rate = args.small_files / r["wall"]
        limit = (f"{rate / (r['n'] * 1000 / args.rtt_ms):.0%}"
                 if r["n"] else "—")
        lines.append(f"| {r['name']} | {r['wall']:.2f} | {rate:.0f} | "
                     f"{limit} | {r['cpu']:.2f} | "
                     f"{r['wall'] / ferry_default:.2f}x |")
    update_doc("latency", "Latency: small files over a 50 ms round trip",
               lines)


def state_bytes_written(cmd, state, env):
    """Runs cmd under strace (write calls only, through seccomp: the rest
    runs at full speed) and sums the bytes it wrote to files in `state`."""
    import re
    log = pathlib.Path(state).parent / "strace.log"
    subprocess.run(["strace", "-f", "-qq", "--seccomp-bpf", "-y", "-e",
                    "trace=write,pwrite64", "-e", "signal=none", "-o",
                    str(log), *cmd], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    total, saves = 0, 0
    pattern = re.compile(r"write(?:64)?\(\d+<([^>]*)>.*\)\s+=\s+(\d+)$")
    for line in log.read_text(errors="replace").splitlines():
        m = pattern.search(line)
        if m and m.group(1).startswith(str(state) + "/"):
            total += int(m.group(2))
            saves += 1
    log.unlink()
    return total, saves


def bench_journal(args):
    """Bytes ferry writes to its state directory per GiB uploaded (the
    journal), with deltas (the default) and with every save written whole
    (FERRY_JOURNAL_WHOLE_RECORDS=1, as before deltas), for each size in
    --sizes-mib, 4 MiB chunks, zstd level 1 (a frame journaled per chunk,
    the largest record), to the local @tus/server."""
    work = pathlib.Path(tempfile.mkdtemp(prefix="ferry-bench-journal-"))
    rows = []
    server = Server(work / "store")
    try:
        for mib in [int(x) for x in args.sizes_mib.split(",")]:
            src = work / "src.bin"
            with open(src, "wb") as f:
                for _ in range(mib):
                    f.write(os.urandom(1 << 20))
            for mode in ("deltas", "whole records"):
                state = work / "state"
                shutil.rmtree(state, ignore_errors=True)
                env = dict(os.environ)
                if mode != "deltas":
                    env["FERRY_JOURNAL_WHOLE_RECORDS"] = "1"
                cmd = [str(CLI), "--endpoint", server.endpoint,
                       "--state-dir", str(state), "--compress", "1",
                       "--quiet", str(src)]
                written, writes = state_bytes_written(cmd, state, env)
                rows.append({"mib": mib, "mode": mode, "bytes": written,
                             "writes": writes})
                print(f"{mib} MiB, {mode}: {written:,} bytes in {writes:,} "
                      f"writes", flush=True)
                for f in (work / "store").iterdir():
                    f.unlink()
            src.unlink()
        return rows
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def write_journal_doc(rows, args):
    lines = [f"Command: `tests/bench/bench.py journal --sizes-mib "
             f"{args.sizes_mib}` (random data to the local @tus/server, 4 MiB "
             f"chunks, `--compress 1` so that every chunk journals its "
             f"fingerprint and its zstd frame; bytes written to files in the "
             f"state directory, summed from strace's record of write calls; "
             f"measured {time.strftime('%Y-%m-%d')}). \"whole records\" is "
             f"the same build with FERRY_JOURNAL_WHOLE_RECORDS=1: every save "
             f"rewrites the record, as ferry did before deltas.", "",
             "| upload | journal | bytes written | writes | bytes per GiB "
             "uploaded |", "|---:|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['mib'] / 1024:g} GiB | {r['mode']} | "
                     f"{r['bytes']:,} | {r['writes']:,} | "
                     f"{r['bytes'] / (r['mib'] / 1024):,.0f} |")
    update_doc("journal", "Resume state: bytes written", lines)


def write_s3_small_doc(med, args):
    nbytes = args.small_files * (64 << 10)
    lines = [f"Command: `tests/bench/bench.py s3-small --runs {args.runs}` "
             f"({args.small_files:,} files of 64 KiB of random bytes to a "
             f"local Ceph RGW started by tests/support/rgw_server.sh, memstore "
             f"OSD; medians of {args.runs} interleaved runs, client order "
             f"rotated; every object read back and compared with its file's "
             f"SHA-256, then deleted; each run starts once the machine is "
             f"idle, RGW's GC done; measured {time.strftime('%Y-%m-%d')} on "
             f"this 2-core machine). Every client with its defaults: ferry "
             f"uploads the folder with `-r` (8 files at once: as many as "
             f"the 64 MiB memory budget holds, at most 8; compression "
             f"`off` as `auto` finds random data incompressible); "
             f"\"multipart\" is the same with `--multipart-threshold 0` "
             f"(create, one part, complete per file); boto3 is `upload_file` "
             f"on 10 threads; `aws s3 cp --recursive` (Debian's awscli) runs "
             f"10 requests at a time; `rclone copy` (Debian's) 4 transfers. "
             f"Wire: bytes sent to RGW's port (requests with their TCP/IP "
             f"headers, an nftables counter) per byte of the files.", "",
             "| client | wall s | client CPU s | peak RSS MiB | wire/data | "
             "speed vs fastest peer |", "|---|---:|---:|---:|---:|---:|"]
    ref = min(m["wall"] for n, m in med.items() if not n.startswith("ferry"))
    for name, m in med.items():
        lines.append(f"| {name} | {m['wall']:.2f} | {m['cpu']:.2f} | "
                     f"{m['rss_mib']:.1f} | {m['wire'] / nbytes:.3f} | "
                     f"{ref / m['wall']:.2f}x |")
    update_doc("s3-small", "S3 small objects: one PutObject against "
               "multipart, boto3, aws-cli and rclone (Ceph RGW)", lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("suite", choices=["compression", "oracle", "loopback",
                                      "latency-big", "peers",
                                      "micro", "s3",
                                      "s3-small", "sources", "journal",
                                      "memory", "latency", "ietf"])
    ap.add_argument("--small-files", type=int, default=1000)
    ap.add_argument("--shaped-runs", type=int, default=2)
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mbit", type=int, default=100)
    ap.add_argument("--links", default="loopback,shaped")
    ap.add_argument("--data", default="random,mixed")
    ap.add_argument("--modes", default="off,auto,1,3")
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--big-mib", type=int, default=1024,
                    help="latency-big: the mixed file's size")
    ap.add_argument("--oracle-links", default="100:1024,20:256",
                    help="oracle: shaped links as Mbit/s:MiB of mixed data")
    ap.add_argument("--sizes-mib", default="1024,10240",
                    help="journal, memory: the upload sizes")
    ap.add_argument("--rtt-ms", type=float, default=50.0,
                    help="latency: the round trip the delay proxy adds")
    ap.add_argument("--s3-max-mib", type=int, default=4096,
                    help="memory: the largest S3 upload (RGW's store is RAM)")
    ap.add_argument("--clients", default="",
                    help="s3, s3-small: only clients whose names start with "
                         "one of these (comma-separated); implies --no-doc")
    args = ap.parse_args()
    if args.clients:
        args.no_doc = True
    # suite: (measure, write the results into docs/benchmarks.md, needs
    # root for a network namespace and tc)
    suites = {
        "micro": (bench_micro, None, False),
        "sources": (bench_sources, write_sources_doc, False),
        "ietf": (bench_ietf, write_ietf_doc, False),
        "latency-big": (bench_latency_big, write_latency_big_doc, False),
        "loopback": (bench_loopback, write_loopback_doc, False),
        "latency": (bench_latency, write_latency_doc, False),
        "memory": (bench_memory, write_memory_doc, False),
        "journal": (bench_journal, write_journal_doc, False),
        "s3-small": (bench_s3_small, write_s3_small_doc, False),
        "s3": (bench_s3, write_s3_doc, False),
        "oracle": (bench_oracle, write_oracle_doc, True),
        "peers": (bench_peers, write_peers_doc, True),
        "compression": (bench_compression, write_doc, True),
    }
    measure, write, needs_root = suites[args.suite]
    if needs_root and os.geteuid() != 0:
        sys.exit("bench.py needs root (network namespace and tc)")
    results = measure(args)
    if write and not args.no_doc:
        write(results, args)

if __name__ == "__main__":
    main()
