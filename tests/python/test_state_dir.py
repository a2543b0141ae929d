# SPDX-License-Identifier: Apache-2.0
"""The resume state directory cannot be steered by someone else, one process
at a time uploads a source to an endpoint, and a full disk stops an upload
with a typed error before it goes on."""

import json
import os
import subprocess

from conftest import sha256_file, write_random


def upload(cli, endpoint, f, *extra, env=None):
    return subprocess.run(
        [cli, "--endpoint", endpoint, "--json", *extra, f],
        capture_output=True, text=True, timeout=120, env=env)


def last_error(p):
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    return [x for x in lines if x["event"] == "error"][-1]["error"]


def test_a_state_directory_others_can_write_is_refused_before_any_byte(
        cli, tus_server, tmp_path):
    f = write_random(tmp_path / "a.bin", 100_000, 1)
    state = tmp_path / "st"
    state.mkdir(mode=0o700)
    os.chmod(state, 0o777)  # anyone could plant an entry here
    p = upload(cli, tus_server.endpoint, f, "--state-dir", str(state))
    assert p.returncode == 1, p.stderr
    e = last_error(p)
    assert e["code"] == "state_untrusted" and e["origin"] == "client"
    assert tus_server.uploads() == []  # nothing reached the server
    link = tmp_path / "link"
    os.chmod(state, 0o700)
    os.symlink(state, link)
    p = upload(cli, tus_server.endpoint, f, "--state-dir", str(link))
    assert p.returncode == 1 and last_error(p)["code"] == "state_untrusted"
    p = upload(cli, tus_server.endpoint, f, "--state-dir", str(state))
    assert p.returncode == 0, p.stderr


def test_without_home_there_is_no_shared_fallback(cli, tus_server, tmp_path):
    f = write_random(tmp_path / "b.bin", 1000, 2)
    env = {k: v for k, v in os.environ.items()
           if k not in ("HOME", "XDG_STATE_HOME")}
    before = set(os.listdir("/tmp"))
    p = upload(cli, tus_server.endpoint, f, env=env)
    assert p.returncode == 1, p.stderr
    e = last_error(p)
    assert e["code"] == "state_unwritable" and "HOME" in e["message"]
    assert not [n for n in set(os.listdir("/tmp")) - before
                if n.startswith("ferry")]
    assert tus_server.uploads() == []


def test_two_processes_never_upload_one_file_to_one_endpoint_at_once(
        cli, tus_server, tmp_path):
    f = write_random(tmp_path / "c.bin", 6 << 20, 3)
    state = str(tmp_path / "st")
    first = subprocess.Popen(
        [cli, "--endpoint", tus_server.endpoint, "--state-dir", state,
         "--json", "--chunk-size", "256K", "--max-send-rate", "2M", f],
        stdout=subprocess.PIPE, text=True)
    for line in first.stdout:
        if json.loads(line)["event"] == "progress":
            break
    second = upload(cli, tus_server.endpoint, f, "--state-dir", state)
    assert second.returncode == 3, second.stderr  # retryable: try later
    e = last_error(second)
    assert e["code"] == "upload_in_progress" and e["retryable"] is True
    out, _ = first.communicate(timeout=60)
    assert first.returncode == 0
    done = json.loads(out.splitlines()[-1])
    assert tus_server.stored_sha256(done["url"]) == sha256_file(f)
    assert len(tus_server.uploads()) == 1  # the second created nothing
    assert os.listdir(state) == []  # entry and lock removed when done


def test_a_full_disk_stops_the_upload_with_a_typed_error(cli, tus_server,
                                                         tmp_path):
    assert os.geteuid() == 0, "mounting a small tmpfs needs root"
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k,mode=0700",
                    "tmpfs", str(disk)], check=True)
    try:
        (disk / "st").mkdir(mode=0o700)
        fill = os.open(disk / "fill", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fill, b"\0" * 4096)
        except OSError:
            pass  # full
        finally:
            os.close(fill)
        chunk = 256 << 10
        f = write_random(tmp_path / "d.bin", 40 * chunk, 4)
        p = upload(cli, tus_server.endpoint, f, "--state-dir",
                   str(disk / "st"), "--chunk-size", "256K", "--compress",
                   "off")
        assert p.returncode == 1, p.stderr
        e = last_error(p)
        assert e["code"] == "state_unwritable", e
        assert "No space left" in e["message"]
        # It stopped at the first save: at most the first request's chunk
        # reached the server, not the file.
        stored = sum(x.stat().st_size for x in tus_server.uploads())
        assert stored <= chunk, stored
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_commands_run_without_a_shell_inherited_descriptors_or_env(
        cli, policy_server, tmp_path):
    """--refresh-command runs by posix_spawn: no shell parses it, it sees
    only descriptors 0-2 (not ferry's sockets) and a minimal environment."""
    server = policy_server({"tokens": {"old": {"user": "ann", "ttl_ms": 300},
                                       "new": {"user": "ann"}}})
    f = write_random(tmp_path / "r.bin", 30 * 65536, 5)
    seen = tmp_path / "seen.json"
    script = tmp_path / "refresh.py"
    script.write_text(
        "import json, os, sys\n"
        f"json.dump({{'fds': sorted(os.listdir('/proc/self/fd')),\n"
        "           'targets': [os.readlink('/proc/self/fd/' + n)\n"
        "                       for n in os.listdir('/proc/self/fd')\n"
        "                       if os.path.exists('/proc/self/fd/' + n)],\n"
        "           'env': sorted(os.environ), 'argv': sys.argv[1:]},\n"
        f"          open({str(seen)!r}, 'w'))\n"
        "print('Authorization: Bearer new')\n")
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    env.update(SOME_SECRET="not-for-commands", FERRY_APP_SETTING="passed")
    p = subprocess.run(
        [cli, "--endpoint", server.endpoint, "--state-dir",
         str(tmp_path / "st"), "--json", "--chunk-size", "64K",
         "--max-send-rate", "2M", "-H", "Authorization: Bearer old",
         "--refresh-command",
         f"/usr/bin/python3 {script} 'one arg' $(touch {tmp_path}/ran)", f],
        capture_output=True, text=True, timeout=60, env=env)
    # Command substitution is refused when the options are read.
    assert p.returncode == 2 and not (tmp_path / "ran").exists()
    p = subprocess.run(
        [cli, "--endpoint", server.endpoint, "--state-dir",
         str(tmp_path / "st"), "--json", "--chunk-size", "64K",
         "--max-send-rate", "2M", "-H", "Authorization: Bearer old",
         "--refresh-command", f"/usr/bin/python3 {script} 'one arg' ';'", f],
        capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    done = json.loads(p.stdout.splitlines()[-1])
    assert server.stored_sha256(done["url"]) == sha256_file(f)
    got = json.loads(seen.read_text())
    assert got["argv"] == ["one arg", ";"]  # words, no shell
    assert not [t for t in got["targets"] if t.startswith("socket:")], got
    assert "SOME_SECRET" not in got["env"]
    assert "FERRY_APP_SETTING" in got["env"] and "PATH" in got["env"]
