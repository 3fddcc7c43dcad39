#!/bin/sh
# SPDX-License-Identifier: ISC
# One step of an automation agent in staging (README.md, "An agent with a
# network allow list").  Run by the agent's user in its work directory:
#
#   LEASE=LEASE-20261122-141503-7f3a agent.sh http://10.20.0.15:8080
#
# It fetches the next task from the staging API, runs the tests, and reports
# the result.  Every command runs under the lease, whose network mode is
# "allow": curl reaches the API's address and port and nothing else (the
# sentinel answers EPERM and logs the attempt), make runs with no other
# reach than the lease's paths.
set -eu
. "${LEASEXEC_SH:-/usr/share/leasexec/leasexec.sh}"

api=${1:?usage: agent.sh API-URL}

lx curl -fsS -o task.json "$api/task.json"
if lx make -s test > test.log 2>&1; then status=pass; else status=fail; fi
lx curl -fsS -o /dev/null --data-binary @test.log "$api/results?status=$status"
echo "$status"
