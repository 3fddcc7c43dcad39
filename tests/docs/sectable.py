# SPDX-License-Identifier: ISC
"""SECURITY.md names real tests: every file of its table exists, and every
test it names there (a quoted TAP description, or a Check test name after a
.c file) is in that file.  A name cut with an ellipsis is a prefix.

    sectable.py SRCDIR     prints what is missing; exit 1 if anything is
"""
import os
import re
import sys

src = sys.argv[1]
bad = []; n = 0
for line in open(os.path.join(src, "SECURITY.md"), encoding="utf-8"):
    if not line.startswith("| ") or line.startswith("| threat") or line.startswith("|---"):
        continue
    cell = line.rstrip().rstrip("|").split(" | ")[-1]
    for m in re.finditer(r"`(tests/[^`]+)`(?::\s*)?(.*?)(?=`tests/|$)", cell):
        path, rest = m.group(1), m.group(2)
        full = os.path.join(src, path)
        if os.path.isdir(full):
            continue
        if not os.path.exists(full):
            bad.append("no such file: " + path); continue
        text = open(full, encoding="utf-8", errors="replace").read()
        if path.endswith(".c"):
            for name in re.findall(r"\b([a-z][a-z0-9_]+)\b", re.sub(r'"[^"]*"|\([^)]*\)', "", rest)):
                n += 1
                if not re.search(r"(START_TEST\(%s\)|\b%s\b)" % (name, name), text):
                    bad.append("%s: no test %s" % (path, name))
        for name in re.findall(r'"([^"]+)"', rest):
            n += 1
            key = name.split("…")[0].rstrip()
            if key not in text:
                bad.append("%s: no test \"%s\"" % (path, key))
for b in bad:
    print(b)
print("checked %d" % n, file=sys.stderr)
sys.exit(1 if bad else 0)
