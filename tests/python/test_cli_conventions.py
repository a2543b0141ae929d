# SPDX-License-Identifier: Apache-2.0
"""The command line's conventions (issue: ready to adopt): exit statuses,
short flags, headers from a file or the environment, durations, --version,
--recursive, progress without a terminal and on one, ferry-doctor's help,
and shell completion that offers every option."""

import json
import os
import pty
import re
import select
import signal
import subprocess
import time

import pytest

from conftest import BUILD_DIR, SOURCE_DIR, sha256_file, write_random


def run(cli, *args, env=None, timeout=120):
    return subprocess.run([cli, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def events(stdout):
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def project_version():
    text = (SOURCE_DIR / "CMakeLists.txt").read_text()
    return re.search(r"project\(ferry VERSION ([0-9.]+)", text).group(1)


def doctor():
    return str(BUILD_DIR / "samples" / "ferry-doctor")


def long_options(help_text):
    return set(re.findall(r"(--[a-z0-9][a-z0-9-]*)", help_text))


def test_version_is_the_one_project_version(cli):
    v = project_version()
    for exe in (cli, doctor()):
        for flag in ("--version", "-V"):
            p = run(exe, flag)
            assert p.returncode == 0 and p.stdout.split() == [
                os.path.basename(exe), v], p.stdout


def test_doctor_help_is_full_and_on_stdout():
    for flag in ("--help", "-h"):
        p = run(doctor(), flag)
        assert p.returncode == 0 and p.stderr == ""
        assert p.stdout.startswith("Usage: ferry-doctor")
        for opt in ("--protocol", "--header", "--ca-file", "--json",
                    "--version", "Exit status"):
            assert opt in p.stdout
    assert run(doctor(), "--bogus", "http://x").returncode == 2
    assert run(doctor()).returncode == 2


def test_usage_errors_exit_2_and_durations_take_units(cli, tus_server,
                                                      tmp_path):
    f = write_random(tmp_path / "d.bin", 10, 1)
    base = ["--endpoint", tus_server.endpoint, "--state-dir",
            str(tmp_path / "st")]
    for bad in (["--stall-timeout", "5x"], ["--retry-base", "2d"],
                ["--max-clock-skew", "0"], ["-o", "yaml"],
                ["--retry-base", "61s"]):
        p = run(cli, *base, *bad, f)
        assert p.returncode == 2, (bad, p.stderr)
        assert "Try 'ferry-upload --help'" in p.stderr
    # A directory without --recursive is a usage error too.
    assert run(cli, *base, str(tmp_path)).returncode == 2
    p = run(cli, *base, "--stall-timeout", "1500ms", "--retry-base", "10ms",
            "--max-clock-skew", "2m", "-o", "json", "-q", f)
    assert p.returncode == 0, p.stderr
    done = events(p.stdout)[-1]
    assert done["event"] == "done"
    assert tus_server.stored_sha256(done["url"]) == sha256_file(f)


def test_retryable_failure_exits_3_and_refusal_exits_1(cli, tus_server_factory,
                                                       tmp_path):
    f = write_random(tmp_path / "r.bin", 5001, 2)
    p = run(cli, "--endpoint", "http://127.0.0.1:9/files/", "--state-dir",
            str(tmp_path / "st"), "--max-retries", "1", "--retry-base",
            "5ms", "-o", "json", f)
    assert p.returncode == 3, p.stdout + p.stderr
    assert events(p.stdout)[-1]["error"]["retryable"] is True
    server = tus_server_factory("--max-size", "5000")
    p = run(cli, "--endpoint", server.endpoint, "--state-dir",
            str(tmp_path / "st2"), "--json", f)
    assert p.returncode == 1
    assert events(p.stdout)[-1]["error"]["code"] == "file_too_large"


def test_sigint_exits_130_and_keeps_the_resume_state(cli, tus_server,
                                                     tmp_path):
    f = write_random(tmp_path / "big.bin", 8 << 20, 3)
    state = str(tmp_path / "st")
    proc = subprocess.Popen(
        [cli, "--endpoint", tus_server.endpoint, "--state-dir", state,
         "--chunk-size", "256K", "--max-send-rate", "1M", "--compress", "off",
         "--json", f], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    for line in proc.stdout:
        e = json.loads(line)
        if e["event"] == "progress" and e["acked"] > 0:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (proc.returncode, err)
    assert events(out)[-1]["error"]["code"] == "cancelled"
    p = run(cli, "--endpoint", tus_server.endpoint, "--state-dir", state,
            "--pending", "--json")
    (entry,) = events(p.stdout)
    assert entry["path"] == f and entry["bytes_on_server"] > 0
    p = run(cli, "--endpoint", tus_server.endpoint, "--state-dir", state,
            "--chunk-size", "256K", "--compress", "off", "--json", f)
    assert p.returncode == 0, p.stderr
    done = events(p.stdout)[-1]
    assert done["resumed_from"] > 0
    assert tus_server.stored_sha256(done["url"]) == sha256_file(f)


TOKENS = {"tokens": {"tok-a": {"user": "ann", "ttl_ms": 600000}}}


def test_header_from_flag_file_and_environment(cli, policy_server, tmp_path):
    server = policy_server(TOKENS)
    f = write_random(tmp_path / "h.bin", 3000, 4)
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("FERRY_HEADER_") and k != "FERRY_TOKEN"}

    def upload(*args, env=clean):
        p = run(cli, "--endpoint", server.endpoint, "--state-dir",
                str(tmp_path / "st"), "--json", *args, f, env=env)
        return p, events(p.stdout)[-1]

    # Without the token the server refuses: the header is what lets it in.
    p, last = upload()
    assert p.returncode == 1 and last["error"]["code"] == "unauthenticated"
    headers = tmp_path / "headers.txt"
    headers.write_text("# the token, kept off the command line\n"
                       "Authorization: Bearer tok-a\n")
    os.chmod(headers, 0o600)
    for args, env in (
            (["-H", "Authorization: Bearer tok-a"], clean),
            (["--header", "@" + str(headers)], clean),
            ([], dict(clean, FERRY_TOKEN="tok-a")),
            ([], dict(clean, FERRY_HEADER_AUTHORIZATION="Bearer tok-a"))):
        p, last = upload(*args, env=env)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
        assert server.stored_sha256(last["url"]) == sha256_file(f)
        assert "tok-a" not in p.stdout + p.stderr
    p = run(cli, "--endpoint", server.endpoint, "-H",
            "@" + str(tmp_path / "none"), f)
    assert p.returncode == 2


def test_recursive_uploads_a_tree_with_relative_names(cli, tus_server,
                                                      tmp_path):
    root = tmp_path / "tree"
    files = {}
    for i, rel in enumerate(["a.bin", "sub/b.bin", "sub/deeper/c.bin",
                             "empty.bin"]):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        size = 0 if rel == "empty.bin" else 70000 + i
        files[rel] = write_random(root / rel, size, 10 + i)
    os.symlink(files["a.bin"], root / "link.bin")  # not followed
    for parallel in ("1", "4"):
        p = run(cli, "--endpoint", tus_server.endpoint, "--state-dir",
                str(tmp_path / ("st" + parallel)), "-r", "--parallel",
                parallel, "--json", str(root))
        assert p.returncode == 0, p.stdout + p.stderr
        done = [e for e in events(p.stdout) if e["event"] == "done"]
        assert len(done) == len(files)
        for d in done:
            name = json.loads((tus_server.store / (
                d["url"].rsplit("/", 1)[1] + ".json")).read_text()
            )["metadata"]["filename"]
            assert tus_server.stored_sha256(d["url"]) == sha256_file(
                files[name]), name
            assert d["file"] == files[name]


def test_verbose_without_a_terminal_prints_progress_lines(cli, tus_server,
                                                          tmp_path):
    f = write_random(tmp_path / "v.bin", 6 << 20, 5)
    p = run(cli, "--endpoint", tus_server.endpoint, "--state-dir",
            str(tmp_path / "st"), "--max-send-rate", "1M", "--compress",
            "off", "-v", f)
    assert p.returncode == 0, p.stderr
    lines = [x for x in p.stderr.splitlines() if "ETA" in x]
    assert len(lines) >= 1, p.stderr  # one every 5 s of a ~6 s upload
    assert "uploaded" in p.stdout
    q = run(cli, "--endpoint", tus_server.endpoint, "--state-dir",
            str(tmp_path / "st2"), "-q", f)
    assert q.returncode == 0 and q.stdout == "" and q.stderr == ""


def test_progress_bar_on_a_terminal_is_never_broken(cli, tus_server,
                                                    tmp_path):
    f = write_random(tmp_path / "t.bin", 3 << 20, 6)
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(cli, [cli, "--endpoint", tus_server.endpoint, "--state-dir",
                       str(tmp_path / "st"), "--max-send-rate", "1M",
                       "--compress", "off", "-v", f])
    out = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    text = out.decode(errors="replace")
    draws = [d for d in text.split("\r") if "ETA" in d]
    assert draws, text
    # A rate and an ETA from the first second, not "0 B/s" until the end.
    assert any(re.search(r"[1-9][0-9.]* [KM]iB/s ETA [0-9]", d)
               for d in draws), draws
    # What the terminal shows: on each line, what follows the last carriage
    # return (the bar is redrawn in place, cleared with ESC [K). A note
    # (created, with -v) must never share a visible line with the bar.
    shown = [line.rstrip("\r").split("\r")[-1].replace("\x1b[K", "")
             for line in text.split("\n")]
    assert any("created" in line for line in shown), shown
    for line in shown:
        if "ETA" in line and "ferry-upload:" in line:
            pytest.fail("a note was written into the bar: " + repr(line))


def test_completion_offers_every_option(cli):
    completion = SOURCE_DIR / "samples" / "completion"
    for exe, bash_file, zsh_file in (
            (cli, "ferry-upload.bash", "_ferry-upload"),
            (doctor(), "ferry-doctor.bash", "_ferry-doctor")):
        options = long_options(run(exe, "--help").stdout)
        assert "--version" in options
        bash = (completion / bash_file).read_text()
        zsh = (completion / zsh_file).read_text()
        assert options <= long_options(bash), options - long_options(bash)
        assert options <= long_options(zsh), options - long_options(zsh)
    # bash really completes with it.
    script = (f"source {completion / 'ferry-upload.bash'}; "
              "COMP_WORDS=(ferry-upload --rec); COMP_CWORD=1; "
              "_ferry_upload; echo ${COMPREPLY[@]}")
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert p.stdout.split() == ["--recursive"], p.stdout + p.stderr


@pytest.mark.parametrize("exe", ["ferry-upload", "ferry-doctor"])
def test_man_pages_are_made_from_the_help(exe):
    page = BUILD_DIR / "samples" / "man" / (exe + ".1")
    assert page.exists(), "help2man makes it at build time"
    text = page.read_text()
    assert project_version() in text
    help_text = run(str(BUILD_DIR / "samples" / exe), "--help").stdout
    for opt in long_options(help_text):
        assert opt.replace("-", r"\-") in text or opt in text, opt
    # man's own helpers (nroff, preconv) run without the sanitizer runtime
    # the sanitizer stages preload for Python.
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "TSAN_OPTIONS")}
    p = subprocess.run(["man", "-l", "-P", "cat", str(page)],
                       capture_output=True, text=True,
                       env=dict(env, MANWIDTH="100"))
    assert p.returncode == 0 and "--version" in p.stdout


def test_cpp_sample_uploads_and_types_its_errors(tus_server, tmp_path):
    exe = str(BUILD_DIR / "samples" / "ferry-upload-cpp")
    f = write_random(tmp_path / "cpp.bin", 1 << 20, 9)
    p = subprocess.run([exe, tus_server.endpoint, f, str(tmp_path / "st")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    ok, digest, size = p.stdout.split()
    assert ok == "ok" and digest == sha256_file(f) and int(size) == 1 << 20
    (url,) = tus_server.uploads()
    assert tus_server.stored_sha256(url.name) == digest
    p = subprocess.run([exe, tus_server.endpoint, str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and p.stderr.strip().startswith("file_not_found")
