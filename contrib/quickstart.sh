#!/bin/sh
# SPDX-License-Identifier: ISC
# From a fresh clone to a sandboxed, audited command, on Debian 12 or
# Ubuntu 22.04+:  sudo ./contrib/quickstart.sh
#
#  1. installs the build dependencies and what `make check` uses (apt-get),
#  2. builds leasexec, calyx and calyx-sentinel in ./build-quickstart,
#  3. installs them under $CALYX_PREFIX (default /usr/local), leasexec setuid root,
#  4. calyx init: directories, the default policy, the first issuer key,
#  5. issues a 10-minute lease for you (the user who ran sudo),
#  6. runs `uname -a` and `ls` under it, as you, in the sandbox,
#  7. shows the run's artifacts and its audit records.
#
# Environment: CALYX_PREFIX (install prefix), CALYX_QUICKSTART_NO_DEPS=1 (skip
# apt-get), CALYX_QUICKSTART_USER (who gets the lease; default $SUDO_USER, or
# a demo user "calyx-demo" when run by root directly).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${CALYX_PREFIX:-/usr/local}
B=$SRC/build-quickstart
step() { printf '\n== %s\n' "$*"; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run it with sudo: it installs a setuid-root program"

if [ "${CALYX_QUICKSTART_NO_DEPS:-}" != 1 ]; then
	step "installing build dependencies"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		build-essential autoconf automake libtool pkg-config libsodium-dev libcjson-dev \
		libseccomp-dev libbpf-dev libpam0g-dev check clang llvm bpftool jq util-linux \
		bsdutils procps psmisc iproute2 curl python3 python3-jsonschema logrotate \
		man-db groff-base \
		shellcheck python3-bandit chromium tmux asciinema strace git
fi

step "building in $B"
(cd "$SRC" && ./autogen.sh >/dev/null)
mkdir -p "$B"
cd "$B"
"$SRC/configure" -q --prefix="$PREFIX" --enable-setuid-install
make -s -j"$(nproc)"

step "installing under $PREFIX (leasexec setuid root)"
make -s install
PATH=$PREFIX/bin:$PREFIX/sbin:$PATH
ls -l "$PREFIX/bin/leasexec"

USERNAME=${CALYX_QUICKSTART_USER:-${SUDO_USER:-}}
if [ -z "$USERNAME" ] || [ "$USERNAME" = root ]; then
	USERNAME=calyx-demo
	id "$USERNAME" >/dev/null 2>&1 || useradd -m -s /bin/sh "$USERNAME"
fi
HOMEDIR=$(getent passwd "$USERNAME" | cut -d: -f6)

step "calyx init (invoker: $USERNAME)"
calyx init --invoker "$USERNAME"

step "issuing a 10-minute lease for $USERNAME: uname and ls, read access to $HOMEDIR"
ID=$(calyx -q lease issue --user "$USERNAME" --cmd /usr/bin/uname --cmd /bin/ls \
	--ro "$HOMEDIR" --ttl 10m --max-uses 5)
calyx lease show "$ID"

step "running: leasexec -l $ID -- uname -a   (as $USERNAME)"
cd "$HOMEDIR"
setpriv --reuid="$USERNAME" --regid="$USERNAME" --init-groups --reset-env -- \
	"$PREFIX/bin/leasexec" -l "$ID" -- uname -a
step "running: leasexec -l $ID -- ls /root   (no such directory: the run sees only what its lease names)"
setpriv --reuid="$USERNAME" --regid="$USERNAME" --init-groups --reset-env -- \
	"$PREFIX/bin/leasexec" -l "$ID" -- ls /root || true
step "running: leasexec -l $ID -- cat /etc/hostname   (not leased: refused)"
setpriv --reuid="$USERNAME" --regid="$USERNAME" --init-groups --reset-env -- \
	"$PREFIX/bin/leasexec" -l "$ID" -- cat /etc/hostname || true

RUN=$(calyx --json run list --lease "$ID" | jq -r '.[0].run')
step "the first run's artifacts: calyx run show $RUN"
calyx run show "$RUN"
step "its audit records: calyx audit show --run $RUN"
calyx audit show --run "$RUN"
ETC=$(calyx version | sed -n 's/^configuration: //p')
step "the whole trail verifies, seals included: calyx audit verify --key $ETC/keys/audit.key.initial"
calyx audit verify --key "$ETC/keys/audit.key.initial"

step "done"
printf '%s\n' "leasexec is installed in $PREFIX/bin (setuid root), calyx in $PREFIX/sbin." \
	"Runs are kept in $(calyx version | sed -n 's/^state: //p')/runs." \
	"The initial audit key is $ETC/keys/audit.key.initial: move it off this host." \
	"Run the test suite with: cd $B && sudo make check"
