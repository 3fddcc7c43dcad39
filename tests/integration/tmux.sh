# SPDX-License-Identifier: ISC
# A real terminal for the interactive tests (pty.sh, auth.sh): a private tmux
# server (its own socket, killed on exit) whose one pane runs an interactive
# shell as alice in her work directory.  Sourced after common.sh.
#
#   term_type 'leasexec -t -l ID -- python3'   type a line and Enter
#   term_keys C-c                              send keys (tmux key names)
#   term_wait 'pattern' [TENTHS]               until the screen shows it
#   term_screen                                the visible screen
#   term_done                                  wait for the shell's prompt marker

command -v tmux >/dev/null || skip_all "tmux is needed to drive a real terminal"

TMUX_SOCK=calyx-test-$$
tx() { tmux -L "$TMUX_SOCK" "$@"; }
term_stop() { tx kill-server 2>/dev/null; }

# The pane's shell: alice's, no rc files, a prompt we can find.
term_start() {
	local cols=${1:-100} rows=${2:-30}
	term_stop
	tx -f /dev/null new-session -d -s t -x "$cols" -y "$rows" \
		"cd '$WORK' && exec setpriv --reuid=$ALICE --regid=$ALICE --init-groups --reset-env -- \
		env TERM=xterm-256color PS1='PROMPT\$ ' LX='$LEASEXEC' CALYX='$CALYX' \
		HOME='$ALICE_HOME' /bin/bash --norc --noprofile -i" 9>&- || return 1
	tx set-option -t t window-size manual >/dev/null 2>&1
	term_wait 'PROMPT\$' 50
}

term_type() { tx send-keys -t t -l -- "$1" && tx send-keys -t t Enter; }
term_keys() { tx send-keys -t t "$@"; }
term_screen() { tx capture-pane -p -t t; }
term_clear() { term_type "clear" && sleep 0.2 && tx clear-history -t t; }

term_wait() {
	local n=${2:-50}
	while [ "$n" -gt 0 ]; do
		term_screen | grep -q -- "$1" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# ok, from what the screen shows; on failure the screen is the diagnostic.
term_ok() {
	local desc=$1
	shift
	if term_wait "$@"; then
		ok "$desc" true
	else
		not_ok "$desc" "wanted on the screen: $1" "the screen:" "$(term_screen)"
	fi
}

# Run a line in the pane's shell and wait until it is back at its prompt;
# the line's exit status is printed as "RC=n" and returned.
TERM_N=0
term_run() {
	TERM_N=$((TERM_N + 1))
	term_type "$1; echo \"RC-$TERM_N=\$?\""
	term_wait "RC-$TERM_N=[0-9]" "${2:-100}" || return 124
	return "$(term_screen | sed -n "s/.*RC-$TERM_N=\([0-9]*\).*/\1/p" | tail -n1)"
}

trap 'term_stop; cleanup' EXIT
