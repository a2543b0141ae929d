# SPDX-License-Identifier: Apache-2.0
"""Writes the measured part of docs/reliability.md from the report the
Python tests leave in the build directory (build/reliability-report.json),
between the <!-- results --> markers.

    /usr/bin/python3 tests/support/reliability_report.py [BUILD_DIR]
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def render(report):
    lines = []
    scenarios = report["scenarios"]
    total = sum(sum(g.values()) for g in scenarios.values())
    lines.append(f"Scenarios run: **{total}**; uploads whose stored bytes were "
                 f"compared with the source's SHA-256: "
                 f"**{report['uploads_verified']}**, "
                 f"**{report['bytes_verified']:,} bytes** in all.")
    lines.append("")
    lines.append("| group | scenarios | runs |")
    lines.append("|---|---|---|")
    for group, names in sorted(scenarios.items()):
        lines.append(f"| {group} | {len(names)} | {sum(names.values())} |")
    kt = report.get("kill_trials")
    if kt:
        lines.append("")
        lines.append(
            f"Kill-and-resume trials (seed {kt['seed']}): {kt['trials']} "
            f"uploads, {kt['killed']} of them SIGKILLed before they "
            f"finished, {kt['resumed_mid_file']} resumed from a non-zero "
            f"offset; bytes that reached the server twice, counted at the "
            f"wire, over the killed ones: {kt['bytes_sent_twice_total']:,} "
            f"in all, at most "
            f"{kt['bytes_sent_twice_max']:,} in one trial (never more than "
            f"the chunk in flight).")
        lines.append("")
        lines.append("| trial | size | data | chunk | compress | killed after "
                     "| resumed from (object byte) | sent twice |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for t in kt["trials_detail"]:
            killed = f"{t['killed_after_s']} s" if t["killed"] else \
                "(finished first)"
            lines.append(
                f"| {t['trial']} | {t['size']:,} | "
                f"{'text' if t['text'] else 'random'} | {t['chunk']} | "
                f"{t['compress']} | {killed} | {t['resumed_from']:,} | "
                f"{'' if t['bytes_sent_twice'] is None else format(t['bytes_sent_twice'], ',')} |")
    jk = report.get("journal_kills")
    if jk:
        lines.append("")
        lines.append(
            f"SIGKILL during journal writes (30 kills of a 3 MiB compressed "
            f"upload journaling every 64 KiB frame): the next run resumed "
            f"{jk['resumed']} times, found the state unusable and said so "
            f"{jk['discarded']} times, and started fresh (killed before "
            f"creation) {jk['fresh']} times; every upload ended with the "
            f"right bytes and no temporary file left.")
    return "\n".join(lines)


def main():
    build = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build"
    report = json.loads((build / "reliability-report.json").read_text())
    doc = ROOT / "docs" / "reliability.md"
    text = doc.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(head + BEGIN + "\n" + render(report) + "\n" + END + tail)


if __name__ == "__main__":
    main()
