#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks (or with --fix adds) the SPDX licence line of every source file.

    spdx.py [--fix] REPO_ROOT

A source file is a tracked file of a kind we write by hand: C, C++, Python,
shell, JavaScript, CMake and pkg-config templates, and the scripts. The line
goes first, or second after a #! line. Exit 1 lists the files without it.
"""
import os
import subprocess
import sys

LINE = "SPDX-License-Identifier: Apache-2.0"
SLASH = (".cc", ".hpp", ".mjs")
C_STYLE = (".c", ".h")
HASH = (".py", ".sh", ".in", ".cmake", ".bash", ".zsh", ".toml", ".cfg")
HASH_NAMES = ("CMakeLists.txt", "Doxyfile.in")
SCRIPTS = ("scripts/", ".ci/")


def comment_for(path):
    name = os.path.basename(path)
    if path.endswith(SLASH):
        return "// " + LINE
    if path.endswith(C_STYLE):
        return "/* " + LINE + " */"
    if name in HASH_NAMES or path.endswith(HASH) or path.startswith(SCRIPTS):
        return "# " + LINE
    if name.startswith("_") and "completion" in path:
        return "# " + LINE
    return None


def tracked(root):
    out = subprocess.run(["git", "-C", root, "ls-files"], check=True,
                         capture_output=True, text=True).stdout
    return [p for p in out.splitlines()
            if "/corpus/" not in p and "node_modules/" not in p]


def main(argv):
    fix = "--fix" in argv
    root = [a for a in argv[1:] if a != "--fix"][0]
    missing = []
    for rel in tracked(root):
        line = comment_for(rel)
        path = os.path.join(root, rel)
        if line is None or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        head = text.splitlines()[:3]
        if any(LINE in h for h in head):
            continue
        if not fix:
            missing.append(rel)
            continue
        if text.startswith("#!"):
            first, _, rest = text.partition("\n")
            text = first + "\n" + line + "\n" + rest
        else:
            text = line + "\n" + text
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    for rel in missing:
        print("no SPDX line:", rel)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
