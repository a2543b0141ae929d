# SPDX-License-Identifier: Apache-2.0
"""The measured part of docs/reliability.md, between the <!-- results -->
markers, comes from the report the whole Python suite leaves in the build
directory (ctest's `pytest` writes build/reliability-report.json).

    reliability_report.py --write [BUILD_DIR]   keeps the report as
        docs/reliability-report.json and renders the results block from it
    reliability_report.py --check [BUILD_DIR]   (ctest reliability_doc_is_current)
        fails unless the block is exactly the rendering of the kept report,
        and the kept report ran the same scenarios, uploads, bytes and
        seeded trials as this run; timings and what they decide (when a
        kill landed, where the resume began, bytes sent twice, the outcome
        counts) are measurements and may differ from run to run.
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
    if report.get("kill_trials"):
        lines += render_trials(report["kill_trials"],
                               "Kill-and-resume trials")
    if report.get("kill_trials_streaming"):
        lines += render_trials(
            report["kill_trials_streaming"],
            "The same trials on the streaming path (`@tus/server` without "
            "the sample's checksum buffering)")
    if report.get("kill_trials_ietf"):
        lines += render_trials(
            report["kill_trials_ietf"],
            "The same trials with the IETF resumable-upload draft "
            "(`--protocol ietf`, the strict draft server)")
    jk = report.get("journal_kills")
    if jk:
        lines.append("")
        lines.append(
            f"SIGKILL during journal writes (30 kills of a 3 MiB compressed "
            f"upload journaling every 64 KiB frame, a test-only pause inside "
            f"each write): {jk['killed_inside_a_write']} kills landed inside "
            f"a write ({jk.get('killed_inside_a_delta', 0)} of them cutting "
            f"an appended delta short); the next run resumed "
            f"{jk['resumed']} times, found the state unusable and said so "
            f"{jk['discarded']} times, and started fresh (killed before "
            f"creation) {jk['fresh']} times; every upload ended with the "
            f"right bytes and no temporary file left.")
    return "\n".join(lines)


def render_trials(kt, title):
    lines = ["",
             f"{title} (seed {kt['seed']}): {kt['trials']} uploads, "
             f"{kt['killed']} of them SIGKILLed before they finished, "
             f"{kt['resumed_mid_file']} resumed from a non-zero offset"
             + (f" ({kt['resumed_off_boundary']} of them inside a 64 KiB "
                f"block: where a streamed request was cut)"
                if "resumed_off_boundary" in kt else "") +
             f"; bytes that reached the server twice, counted at the wire, "
             f"over the killed ones: {kt['bytes_sent_twice_total']:,} in all, "
             f"at most {kt['bytes_sent_twice_max']:,} in one trial (never "
             f"more than the chunk in flight, or two when the resume says "
             f"it retried).", "",
             "| trial | size | data | chunk | compress | killed after "
             "| resumed from (object byte) | sent twice |",
             "|---|---|---|---|---|---|---|---|"]
    for t in kt["trials_detail"]:
        killed = f"{t['killed_after_s']} s" if t["killed"] else \
            "(finished first)"
        twice = "" if t["bytes_sent_twice"] is None else \
            format(t["bytes_sent_twice"], ",")
        lines.append(
            f"| {t['trial']} | {t['size']:,} | "
            f"{'text' if t['text'] else 'random'} | {t['chunk']} | "
            f"{t['compress']} | {killed} | {t['resumed_from']:,} | "
            f"{twice} |")
    return lines


# What a run decides by itself, not by timing: the same code and tests
# give the same values.
TRIAL_INPUTS = ("trial", "size", "text", "chunk", "compress",
                "killed_after_s")


def inputs(report):
    out = {"scenarios": report["scenarios"],
           "uploads_verified": report["uploads_verified"],
           "bytes_verified": report["bytes_verified"]}
    for key in ("kill_trials", "kill_trials_streaming", "kill_trials_ietf"):
        if key in report:
            kt = report[key]
            out[key] = {"seed": kt["seed"], "trials": [
                {k: t[k] for k in TRIAL_INPUTS} for t in kt["trials_detail"]]}
    out["journal_kills"] = sorted(report.get("journal_kills", {}))
    return out


def block_of(text):
    head, rest = text.split(BEGIN, 1)
    body, tail = rest.split(END, 1)
    return head, body, tail


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("--write", "--check"):
        sys.exit(__doc__)
    build = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "build"
    fresh = build / "reliability-report.json"
    kept = ROOT / "docs" / "reliability-report.json"
    doc = ROOT / "docs" / "reliability.md"
    if not fresh.exists():
        sys.exit(f"{fresh} is missing: run the whole Python suite first "
                 f"(cd {build} && ctest -R '^pytest$')")
    report = json.loads(fresh.read_text())
    head, body, tail = block_of(doc.read_text())
    if mode == "--write":
        kept.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
        doc.write_text(head + BEGIN + "\n" + render(report) + "\n" + END +
                       tail)
        return
    refresh = (f"refresh it: /usr/bin/python3 {pathlib.Path(__file__)} "
               f"--write {build}")
    if not kept.exists():
        sys.exit(f"{kept} is missing; {refresh}")
    if body != "\n" + render(json.loads(kept.read_text())) + "\n":
        sys.exit(f"docs/reliability.md's results block is not the rendering "
                 f"of docs/reliability-report.json; {refresh}")
    old, new = inputs(json.loads(kept.read_text())), inputs(report)
    if old != new:
        changed = sorted(k for k in new if old.get(k) != new.get(k)) + \
            sorted(k for k in old if k not in new)
        sys.exit(f"docs/reliability.md is stale: this run differs in "
                 f"{', '.join(changed)}; {refresh}")
    print("docs/reliability.md's results are current")


if __name__ == "__main__":
    main()
