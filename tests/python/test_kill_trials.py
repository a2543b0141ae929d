# SPDX-License-Identifier: Apache-2.0
"""Kill-and-resume trials and journal crash safety.

Uploads are SIGKILLed at random (seeded) moments, then resumed; every
stored byte is compared with the source, and the bytes that reached the
server twice are counted at the wire by a pass-through proxy. Journal files
are killed mid-write, truncated, bit-flipped and replaced with garbage; they
are never trusted, and the upload still ends right.

FERRY_KILL_TRIALS (default 24) and FERRY_KILL_SEED change the trials.
"""

import glob
import json
import os
import random
import signal
import subprocess
import time
import urllib.parse
import urllib.request
import zlib

import pytest

from conftest import RELIABILITY, record_scenario, sha256_file, write_random

TRIALS = int(os.environ.get("FERRY_KILL_TRIALS", "24"))
SEED = int(os.environ.get("FERRY_KILL_SEED", "20261122"))
SIZES = {"64K": 64 << 10, "256K": 256 << 10, "1M": 1 << 20}


def write_text(path, size, seed):
    rng = random.Random(seed)
    words = [b"ferry", b"upload", b"resume", b"chunk", b"frame", b"byte",
             b"server", b"journal", b"%d" % seed]
    out = bytearray()
    while len(out) < size:
        out += b" ".join(rng.choice(words) for _ in range(12)) + b"\n"
    with open(path, "wb") as f:
        f.write(out[:size])
    return str(path)


def events(text):
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def run(cli, endpoint, state, f, *extra):
    return subprocess.run(
        [cli, "--endpoint", endpoint, "--state-dir", state, "--json", *extra,
         f], capture_output=True, text=True, timeout=120)


def kill_at(cli, endpoint, state, f, delay, *extra, env=None):
    proc = subprocess.Popen(
        [cli, "--endpoint", endpoint, "--state-dir", state, "--json", *extra,
         f], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    return proc.returncode, events(out)


def stored_size(server, url):
    return os.path.getsize(server.store / url.rstrip("/").rsplit("/", 1)[-1])


def kill_and_resume_trials(cli, tus_server, fault_proxy, tmp_path, trials,
                           seed, protocol=(), group="test_kill_trials"):
    """`trials` seeded SIGKILL-and-resume runs against `tus_server` (or the
    IETF draft server, with protocol=("--protocol", "ietf")); every stored
    file is checked and the bytes sent twice are bounded. Returns one
    result a trial."""
    rng = random.Random(seed)
    proxy = fault_proxy(tus_server.endpoint)  # counts bytes at the wire
    endpoint = proxy.url(urllib.parse.urlsplit(tus_server.endpoint).path)
    results = []
    for i in range(trials):
        # Mostly files that take a while; empty and tiny ones too.
        size = rng.choice([0, 1, rng.randint(2, 1 << 20)] +
                          [rng.randint(1 << 20, 8 << 20)] * 5)
        text = rng.random() < 0.5
        f = (write_text if text else write_random)(
            tmp_path / f"t{i}.bin", size, SEED + i)
        chunk = rng.choice(list(SIZES))
        compress = rng.choice(["off", "auto", "1", "3"])
        rate = 8 << 20
        delay = rng.uniform(0.0, 0.05 + size / rate)
        state = str(tmp_path / f"st{i}")
        opts = [*protocol, "--chunk-size", chunk, "--compress", compress]
        before = proxy.body_bytes
        rc, first = kill_at(cli, endpoint, state, f, delay, *opts,
                            "--max-send-rate", str(rate))
        killed = rc == -signal.SIGKILL
        kept = [n for n in os.listdir(state) if n.endswith(".fj")] \
            if os.path.isdir(state) else []
        made = [e for e in first if e["event"] == "created"]
        if killed and not kept and made:
            # An upload was created, yet no resume state is kept: it had
            # ended (state removed) and the kill came while the process was
            # exiting (slow under the sanitizers), when its upload is whole;
            # otherwise the usual bound below applies.
            first_url = tus_server.endpoint.rstrip("/") + "/" + \
                made[0]["message"].rstrip("/").rsplit("/", 1)[-1]
            if tus_server.stored_sha256(first_url) == sha256_file(f):
                killed = False
        second = run(cli, endpoint, state, f, *opts)
        assert second.returncode == 0, (i, [e for e in events(second.stdout)
                                            if e["event"] != "progress"])
        done = [e for e in events(second.stdout) if e["event"] == "done"]
        assert len(done) == 1
        url = tus_server.endpoint.rstrip("/") + "/" + \
            done[0]["url"].rstrip("/").rsplit("/", 1)[-1]
        assert done[0]["sha256"] == sha256_file(f)
        assert tus_server.stored_sha256(url) == sha256_file(f), i
        assert os.listdir(state) == []  # resume state removed when done
        wire = proxy.body_bytes - before
        twice = wire - stored_size(tus_server, url)
        if not killed:
            # It finished before the kill: the second run was a new upload
            # of the same file (and the first one is complete too, checked
            # above when the kill came during its exit).
            first_done = [e for e in first if e["event"] == "done"]
            if rc != -signal.SIGKILL:
                assert first_done and \
                    first_done[0]["sha256"] == sha256_file(f)
            twice = None
        else:
            # Only what was in flight when the process died goes twice: at
            # most one chunk (its compressed frame is never larger than a
            # stored frame of it, 3 bytes per 128 KiB block plus headers).
            limit = SIZES[chunk] + SIZES[chunk] // 4096 + 64
            # The server may still be taking in the killed run's request
            # when the resume asks for its offset: the resume's first
            # request is then refused (offset_mismatch, upload_locked) after
            # part of its body left, and retried from the server's offset.
            # That retry can send up to one more chunk twice; it says so.
            retried = [e for e in events(second.stdout)
                       if e["event"] == "retry"]
            if retried:
                limit += SIZES[chunk] + SIZES[chunk] // 4096 + 64
            assert 0 <= twice <= limit, (
                i, twice, limit, done[0]["resumed_from"],
                [(e["event"], e.get("code")) for e in events(second.stdout)
                 if e["event"] != "progress"])
        results.append({"trial": i, "size": size, "text": text,
                        "chunk": chunk, "compress": compress,
                        "killed_after_s": round(delay, 3), "killed": killed,
                        "resumed_from": done[0]["resumed_from"],
                        "bytes_sent_twice": twice})
        record_scenario(group, "SIGKILL + resume", 1, size)
    return results


def trials_summary(seed, results, **more):
    """What docs/reliability.md reports of a set of trials."""
    killed = [r for r in results if r["killed"]]
    return {"seed": seed, "trials": len(results), "killed": len(killed),
            "resumed_mid_file": sum(1 for r in results
                                    if r["resumed_from"] > 0),
            **more,
            "bytes_sent_twice_total": sum(r["bytes_sent_twice"]
                                          for r in killed),
            "bytes_sent_twice_max": max(r["bytes_sent_twice"]
                                        for r in killed),
            "trials_detail": results}


def test_seeded_kill_and_resume_trials(cli, tus_server, fault_proxy,
                                       tmp_path):
    results = kill_and_resume_trials(cli, tus_server, fault_proxy, tmp_path,
                                     TRIALS, SEED)
    killed = [r for r in results if r["killed"]]
    # The seed puts most kills inside the upload, not after it.
    assert len(killed) >= TRIALS // 2
    RELIABILITY["kill_trials"] = trials_summary(SEED, results)


def test_seeded_kill_and_resume_trials_on_the_streaming_path(
        cli, tus_server_factory, fault_proxy, tmp_path):
    """The same trials against @tus/server as users run it, without the
    sample's checksum buffering: each PATCH is streamed to the store, a
    killed one leaves what had arrived, and the resume starts there, in the
    middle of a chunk or of a compressed frame (a compressed PATCH of
    unknown length goes chunked)."""
    server = tus_server_factory("--no-checksum")
    req = urllib.request.Request(server.endpoint, method="OPTIONS",
                                 headers={"Tus-Resumable": "1.0.0"})
    with urllib.request.urlopen(req) as r:
        assert "checksum" not in r.headers["Tus-Extension"]  # streaming
    results = kill_and_resume_trials(cli, server, fault_proxy, tmp_path,
                                     TRIALS, SEED + 1)
    killed = [r for r in results if r["killed"]]
    assert len(killed) >= TRIALS // 2
    # Resumes from where a streamed PATCH was cut: not at a boundary of
    # the 64 KiB blocks every chunk size here is made of.
    cut = [r for r in killed if r["resumed_from"] % (64 << 10)]
    assert cut, results
    RELIABILITY["kill_trials_streaming"] = trials_summary(
        SEED + 1, results, resumed_off_boundary=len(cut))


def journal_blocks(data):
    """(start, end, complete) of each block of an entry's bytes: the whole
    record, then the deltas appended after it (sdk/src/journal/journal_log.h:
    a header line whose third field is the payload's length)."""
    blocks, at = [], 0
    while at < len(data):
        nl = data.find(b"\n", at)
        if nl < 0:
            blocks.append((at, len(data), False))
            break
        end = nl + 1 + int(data[at:nl].split(b" ")[2])
        blocks.append((at, min(end, len(data)), end <= len(data)))
        at = end
    return blocks


def test_sigkill_during_journal_writes(cli, tus_server, tmp_path):
    """Compressed frames are journaled before they are sent (one journal
    write, with fsyncs, per 64 KiB frame: a delta appended, or now and then
    the whole record replaced); a test-only pause inside each write (between
    a record's write and its rename, between a delta's header and its
    payload) makes the kills land inside writes, and the count of those that
    did (a temp file left behind, or a delta cut short) must not be 0."""
    rng = random.Random(SEED + 1)
    f = write_text(tmp_path / "j.txt", 3 << 20, 5)
    digest = sha256_file(f)
    outcomes = {"resumed": 0, "discarded": 0, "fresh": 0,
                "killed_inside_a_write": 0, "killed_inside_a_delta": 0}
    slow = dict(os.environ, FERRY_TEST_JOURNAL_PAUSE_MS="20")
    for i in range(30):
        state = str(tmp_path / f"js{i}")
        kill_at(cli, tus_server.endpoint, state, f, rng.uniform(0.01, 0.4),
                "--chunk-size", "64K", "--compress", "1", env=slow)
        names = os.listdir(state) if os.path.isdir(state) else []
        torn = any(not journal_blocks(open(os.path.join(state, n),
                                           "rb").read())[-1][2]
                   for n in names if n.endswith(".fj"))
        if torn or any(".fj.tmp." in n for n in names):
            outcomes["killed_inside_a_write"] += 1
        outcomes["killed_inside_a_delta"] += torn
        p = run(cli, tus_server.endpoint, state, f, "--chunk-size", "64K",
                "--compress", "1")
        assert p.returncode == 0, p.stderr
        ev = events(p.stdout)
        kinds = [e["event"] for e in ev]
        if "state_discarded" in kinds:
            outcomes["discarded"] += 1
        elif "resumed" in kinds:
            outcomes["resumed"] += 1
        else:
            outcomes["fresh"] += 1
        done = ev[-1]
        assert done["event"] == "done" and done["sha256"] == digest
        assert tus_server.stored_sha256(done["url"]) == digest
        # No temporary journal file outlives the next run.
        assert os.listdir(state) == []
        record_scenario("test_kill_trials", "SIGKILL during journal writes",
                        1, 3 << 20)
    assert outcomes["resumed"] > 0  # the kills did land mid-upload
    assert outcomes["killed_inside_a_write"] > 0, outcomes
    RELIABILITY["journal_kills"] = outcomes


def corrupt(path, how, rng):
    data = bytearray(open(path, "rb").read())
    blocks = journal_blocks(bytes(data))
    if how == "truncate":  # inside the whole record the entry starts with
        data = data[:rng.randint(0, blocks[0][1] - 1)]
    elif how == "truncate_last_delta":  # as a kill mid-append leaves it
        assert len(blocks) > 1, "no delta after the record"
        data = data[:rng.randint(blocks[-1][0] + 1, blocks[-1][1] - 1)]
    elif how == "bitflip":
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    elif how == "garbage":
        data = bytearray(rng.randbytes(len(data)))
    elif how == "empty":
        data = bytearray()
    elif how == "json_edit":
        # Valid-looking change to the record without fixing its checksum.
        text = data.decode("latin-1")
        data = bytearray(text.replace('"chunk_size":', '"chunk_size":1',
                                      1).encode("latin-1"))
    with open(path, "wb") as f:
        f.write(data)


@pytest.mark.parametrize("how", ["truncate", "truncate_last_delta", "bitflip",
                                 "garbage", "empty", "json_edit"])
def test_corrupt_journal_is_never_trusted(how, cli, tus_server, tmp_path):
    """Damage anywhere in an entry is detected and the upload starts over
    (state_discarded); the one exception is a last delta cut short (what a
    kill or a power cut mid-append leaves): it is dropped, and the state
    saved before it is used, which the server's answer then corrects."""
    rng = random.Random(zlib.crc32(how.encode()))  # stable across runs
    f = write_random(tmp_path / "c.bin", 3 << 20, 21)
    state = str(tmp_path / "st")
    opts = ("--chunk-size", "256K", "--compress", "off")
    proc = subprocess.Popen(
        [cli, "--endpoint", tus_server.endpoint, "--state-dir", state,
         "--json", "--max-send-rate", "4M", *opts, f],
        stdout=subprocess.PIPE, text=True)
    def has_delta():  # a delta saved after the record (not at once)
        entries = glob.glob(os.path.join(state, "*.fj"))
        return bool(entries) and \
            len(journal_blocks(open(entries[0], "rb").read())) > 1
    for line in proc.stdout:
        e = json.loads(line)
        if e["event"] == "progress" and e["acked"] >= 1 << 20 and \
                (how != "truncate_last_delta" or has_delta()):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # A kill can land mid-save and leave a temp file; ferry sweeps those.
    # ... and the lock file of the killed run (the next run takes it over).
    (name,) = [n for n in os.listdir(state) if n.endswith(".fj")]
    corrupt(os.path.join(state, name), how, rng)
    p = run(cli, tus_server.endpoint, state, f, *opts)
    assert p.returncode == 0, p.stderr
    ev = events(p.stdout)
    discarded = [e for e in ev if e["event"] == "state_discarded"]
    done = ev[-1]
    if how == "truncate_last_delta":
        # Read as the state before it, not as damage. The cut delta had
        # been whole (its chunks went out), so the server may hold bytes no
        # saved fingerprint vouches for: then the upload starts over on a
        # new URL (restarted), as after losing any save; otherwise it
        # resumes. Either way the stored bytes are the file's.
        assert not discarded
        kinds = {e["event"] for e in ev}
        assert kinds & {"resumed", "restarted"}, ev[:4]
        if "resumed" in kinds:
            assert done["resumed_from"] > 0
    else:
        assert len(discarded) == 1 and discarded[0]["message"]
        assert not any(e["event"] == "resumed" for e in ev)
        assert done["resumed_from"] == 0
    assert tus_server.stored_sha256(done["url"]) == sha256_file(f)
    record_scenario("test_kill_trials", f"journal {how}", 1, 3 << 20)
