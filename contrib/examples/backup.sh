#!/bin/sh
# SPDX-License-Identifier: ISC
# A shell script whose work runs under a lease (README.md, "A shell script").
#
#   LEASE=LEASE-20261122-141503-7f3a backup.sh /srv/www /var/backups/www
#
# The script runs as you; each `lx` line is one sandboxed, audited run of the
# lease: tar may read SRC and write DEST, nothing else, without a network.
# The lease it needs, issued by root:
#
#   calyx lease issue --user alice --cmd /usr/bin/tar --cmd /usr/bin/gzip \
#       --ro /srv/www --rw /var/backups/www --cwd /var/backups/www --ttl 10m
set -eu
. "${LEASEXEC_SH:-/usr/share/leasexec/leasexec.sh}"

src=${1:?usage: backup.sh SRC DEST}
dest=${2:?usage: backup.sh SRC DEST}
archive=$dest/backup-$(date -u +%Y%m%dT%H%M%SZ).tar.gz

cd "$dest"
lx tar -C "$src" -czf "$archive" .
lx gzip -t "$archive"
echo "$archive"
