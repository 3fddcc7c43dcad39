# SPDX-License-Identifier: ISC
# leasexec.mk: run make recipes under a lease (GNU make).
#
#   include /usr/share/leasexec/leasexec.mk
#
# Then either prefix the recipe lines that need it:
#
#   test:
#   	$(LX) ./run-tests
#
# or set LEASEXEC_SHELL = yes before the include, and every recipe line runs
# as `leasexec -q -l $(LEASE) -- /bin/sh -c 'LINE'` (the lease must allow
# /bin/sh with the arguments -c and "**").  Each line is then one run: its own
# sandbox, artifacts and audit records, and a use of the lease.  With
# LEASEXEC_SHELL, $(shell ...) goes through leasexec too: keep it out of such
# Makefiles or give it the lease as well.
#
# Variables (on the command line or in the environment):
#   LEASE           the lease id; required as soon as a recipe runs under it
#   LEASEXEC        the leasexec program (default: leasexec, from PATH)
#   LEASEXEC_FLAGS  flags before -l (default: -q, no summary line per run)

LEASEXEC ?= leasexec
LEASEXEC_FLAGS ?= -q
leasexec_lease = $(if $(LEASE),$(LEASE),$(error LEASE is not set: make LEASE=LEASE-...))

# One recipe line under the lease: $(LX) COMMAND [ARG]...
LX = $(LEASEXEC) $(LEASEXEC_FLAGS) -l $(leasexec_lease) --

ifeq ($(LEASEXEC_SHELL),yes)
SHELL := $(LEASEXEC)
.SHELLFLAGS = $(LEASEXEC_FLAGS) -l $(leasexec_lease) -- /bin/sh -c
endif
