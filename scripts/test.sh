#!/usr/bin/env bash
# Runs the whole test suite, installing and starting what it needs first:
# the real clients the protocol tests drive (Debian packages), Versity's
# S3 gateway (go install), and PostgreSQL if none is running.
#
#   scripts/test.sh            # everything
#   scripts/test.sh -short     # quicker: skips the largest transfers
#   scripts/test.sh ./vfs/...  # one part (any go test arguments)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: real SSH/SFTP/WebDAV clients, an SSH
# server to compare against, and a browser for the web UI.
packages=(openssh-client openssh-server rclone lftp python3-paramiko ssh-audit litmus cadaver curl chromium sqlite3)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "test: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq "${missing[@]}" >&2
fi

eval "$(scripts/services.sh)"

args=("$@")
have_pkg=0
for a in "$@"; do case "$a" in ./* | strongroom*) have_pkg=1 ;; esac; done
[ $have_pkg = 1 ] || args+=(./...)
# -p 1 keeps package tests from competing for two cores and one
# PostgreSQL; the timeout is generous for the 2 GiB and 100 MiB transfers.
exec go test -p 1 -timeout 60m -count=1 "${args[@]}"
