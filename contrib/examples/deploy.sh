#!/bin/sh
# SPDX-License-Identifier: ISC
# An agent's deploy step with a credential pasted into it (README.md, "An
# agent's script with a token in it").  With an "assess" section in the
# policy, leasexec finds the token before anything runs and refuses (77);
# an operator whose lease allows it may run it anyway with --override, and
# the audit trail keeps the reason.  The token is made up.
set -eu
export REGISTRY_TOKEN=glpat-Zq4Rt9Lm2Qp7Xv1Wy8Nc
ls -l site > manifest.txt
echo "deploy: $(wc -l < manifest.txt) lines in the manifest"
