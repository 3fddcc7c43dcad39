# SPDX-License-Identifier: ISC
# leasexec.sh: shell functions for scripts that run commands under a lease
# (POSIX sh, bash, dash, zsh).
#
#   . /usr/share/leasexec/leasexec.sh
#   LEASE=LEASE-20261122-141503-7f3a
#   lx make test           # run under $LEASE: leasexec -q -l "$LEASE" -- make test
#   lx_plan make test      # what would be enforced; nothing runs (leasexec -n)
#   lx_leases              # the leases usable here and now (leasexec -L)
#   lx_denied $?           # true if that status was a refusal (77)
#
# LEASEXEC names another leasexec (default: leasexec, from PATH).  lx returns
# the command's status, or leasexec's own: 77 denied, 124 time limit or lease
# expiry, 125 leasexec failed, 126/127 cannot execute / not found.

lx() {
	"${LEASEXEC:-leasexec}" -q -l "${LEASE:?lx: set LEASE to a lease id}" -- "$@"
}

lx_plan() {
	"${LEASEXEC:-leasexec}" -n -l "${LEASE:?lx_plan: set LEASE to a lease id}" -- "$@"
}

lx_leases() {
	"${LEASEXEC:-leasexec}" -L "$@"
}

lx_denied() {
	[ "${1:-}" = 77 ]
}
