#!/bin/sh
# SPDX-License-Identifier: ISC
# The JSON Schemas of policies/ against leasexec's own readers: see schemas.py.
# Debian's python3-jsonschema (draft 2020-12) validates; no root needed.
. "$CALYX_SRCDIR/tests/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null ||
	skip_all "needs python3-jsonschema >= 4 (apt-get install python3-jsonschema)"
[ -x "$CALYX_BUILDDIR/tests/docs/docs-check" ] || skip_all "tests/docs/docs-check is not built"
exec "$PY" "$CALYX_SRCDIR/tests/docs/schemas.py"
