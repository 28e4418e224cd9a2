#!/usr/bin/env bash
# Compares Strongroom's SFTP server with OpenSSH's sshd (internal-sftp),
# both on loopback, driven by the same OpenSSH sftp client with the same
# cipher:
#
#   1 GiB upload and download (MiB/s), 1000 files of 4 KiB uploaded
#   (files/s), "ls -l" of a folder of 10,000 entries (s), and each
#   server's peak RSS.
#
# Each figure is the median of RUNS timed runs (min and max beside it),
# after an untimed warm-up; the two servers take turns run by run, the
# previous copy is deleted before each timed upload, and the page cache is
# synced between runs.
#
#   bench/sftp.sh                      embedded stores (SQLite + a folder)
#   MODE=production bench/sftp.sh      PostgreSQL + S3, from scripts/services.sh
#   CIPHERS="aes128-gcm@openssh.com" RUNS=3 bench/sftp.sh
#   TESTS="small list" bench/sftp.sh   only some of upload download small list
#   PROFILE=cpu.pprof bench/sftp.sh    also write the Strongroom server's CPU profile
#   DIRECT_IO=0 bench/sftp.sh          blobs through the page cache (blobs.direct_io = false)
#   FSYNC=1 bench/sftp.sh              the client asks for each uploaded file to be made
#                                      durable (sftp -f, fsync@openssh.com), so that sshd
#                                      fsyncs as Strongroom always does
#
# Both servers run as children of this script and are stopped by PID at
# the end. Nothing leaves 127.0.0.1.
set -euo pipefail

RUNS=${RUNS:-5}
CIPHERS=${CIPHERS:-"aes128-gcm@openssh.com chacha20-poly1305@openssh.com"}
MODE=${MODE:-embedded}
BIG_MIB=${BIG_MIB:-1024}
SMALL_FILES=${SMALL_FILES:-1000}
LIST_ENTRIES=${LIST_ENTRIES:-10000}
TESTS=${TESTS:-"upload download small list"}
PROFILE=${PROFILE:-}
FSYNC=${FSYNC:-0}

[ -x /usr/sbin/sshd ] || { echo "bench: needs OpenSSH's server to compare with: apt-get install openssh-server" >&2; exit 1; }
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sftp-bench.XXXXXX")
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

log() { echo "bench: $*" >&2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# --- set-up: keys, data, both servers ---------------------------------

ssh-keygen -q -t ed25519 -N "" -f "$work/id" -C bench
ssh-keygen -q -t ed25519 -N "" -f "$work/sshd_host_key" -C bench-sshd
mkdir -p "$work/local/small" "$work/local/many" "$work/sshd-root"
head -c $((BIG_MIB << 20)) /dev/urandom >"$work/local/big"
for i in $(seq 1 "$SMALL_FILES"); do head -c 4096 /dev/urandom >"$work/local/small/f$i"; done
for i in $(seq 1 "$LIST_ENTRIES"); do : >"$work/local/many/e$i"; done

log "building the Strongroom bench server"
(cd "$here" && go build -o "$work/strongroom-sftpd" ./bench/sftpd)
sr_port=$(free_port)
sr_args=(-data "$work/sr-data" -addr "127.0.0.1:$sr_port" -key "$work/id.pub")
[ -n "$PROFILE" ] && sr_args+=(-cpuprofile "$(realpath -m "$PROFILE")")
[ "${DIRECT_IO:-1}" = 0 ] && sr_args+=(-direct-io=false)
if [ "$MODE" = production ]; then
	eval "$(cd "$here" && scripts/services.sh)"
	sr_args+=(-database "$STRONGROOM_TEST_POSTGRES" -blobs "$STRONGROOM_TEST_S3")
fi
mkdir -p "$work/sr-data"
"$work/strongroom-sftpd" "${sr_args[@]}" >"$work/sr.out" 2>"$work/sr.log" &
sr_pid=$!
pids+=("$sr_pid")

sshd_port=$(free_port)
mkdir -p /run/sshd
cat >"$work/sshd_config" <<EOF
Port $sshd_port
ListenAddress 127.0.0.1
HostKey $work/sshd_host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/id.pub
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
ForceCommand internal-sftp -d $work/sshd-root
Ciphers aes128-gcm@openssh.com,chacha20-poly1305@openssh.com
EOF
/usr/sbin/sshd -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
sshd_pid=$!
pids+=("$sshd_pid")

for _ in $(seq 1 100); do
	grep -q ready "$work/sr.out" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$sshd_port") 2>/dev/null && break
	sleep 0.1
done
grep -q ready "$work/sr.out" || { log "Strongroom did not start:"; cat "$work/sr.log" >&2; exit 1; }

# --- measuring ---------------------------------------------------------

# run_sftp SERVER CIPHER: the sftp client, batch commands on standard in.
run_sftp() {
	local server=$1 cipher=$2 port user dir
	if [ "$server" = strongroom ]; then port=$sr_port user=bench dir=/; else port=$sshd_port user=$(id -un) dir=$work/sshd-root; fi
	local durable=()
	[ "$FSYNC" = 1 ] && durable=(-f)
	(cd "$work/local" && sftp -q "${durable[@]}" -F /dev/null -i "$work/id" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-c "$cipher" -P "$port" -b - "$user@127.0.0.1:$dir" >/dev/null)
}

now() { date +%s.%N; }

# tree_rss_kib PID: the resident size of PID, its children and theirs.
tree_rss_kib() {
	local total=0 p v
	for p in $1 $(pgrep -P "$1" 2>/dev/null) $(for c in $(pgrep -P "$1" 2>/dev/null); do pgrep -P "$c"; done); do
		v=$(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

# timed SERVER CIPHER SETUP CMDS: runs SETUP untimed, then CMDS timed,
# sampling the server's memory meanwhile; prints seconds and peak KiB.
timed() {
	local server=$1 cipher=$2 setup=$3 cmds=$4 pid peak=0 start end sampler
	[ -n "$setup" ] && printf "%s\n" "$setup" | run_sftp "$server" "$cipher" 2>/dev/null || true
	sync
	if [ "$server" = strongroom ]; then pid=$sr_pid; else pid=$sshd_pid; fi
	: >"$work/rss"
	(
		for _ in $(seq 1 20000); do
			kill -0 $$ 2>/dev/null || break # the script ended: stop sampling
			tree_rss_kib "$pid" >>"$work/rss"
			sleep 0.05
		done
	) &
	sampler=$!
	start=$(now)
	printf '%s\n' "$cmds" | run_sftp "$server" "$cipher"
	end=$(now)
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	peak=$(sort -n "$work/rss" | tail -n 1)
	echo "$(echo "$end - $start" | bc -l) ${peak:-0}"
}

# stats VALUES...: "median min max" of the values.
stats() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {printf "%.3f %.3f %.3f", v[int((NR+1)/2)], v[1], v[NR]}'
}

declare -A result rss
# measure CIPHER NAME SETUP CMDS UNIT AMOUNT: an untimed warm-up on each
# server, then RUNS timed runs that take turns between the two servers,
# so that a slow spell of this machine weighs on both alike.
measure() {
	local cipher=$1 name=$2 setup=$3 cmds=$4 unit=$5 amount=$6
	local server i out secs
	declare -A values peaks
	for server in strongroom sshd; do
		timed "$server" "$cipher" "$setup" "$cmds" >/dev/null
		values[$server]="" peaks[$server]=""
	done
	for i in $(seq 1 "$RUNS"); do
		for server in strongroom sshd; do
			out=$(timed "$server" "$cipher" "$setup" "$cmds")
			secs=${out% *}
			if [ "$unit" = s ]; then
				values[$server]+=" $secs"
			else
				values[$server]+=" $(echo "$amount / $secs" | bc -l)"
			fi
			peaks[$server]+=" ${out#* }"
		done
	done
	for server in strongroom sshd; do
		# shellcheck disable=SC2086 # the lists are meant to split
		result[$server,$cipher,$name]=$(stats ${values[$server]})
		# shellcheck disable=SC2086
		rss[$server,$cipher,$name]=$(printf '%s\n' ${peaks[$server]} | sort -n | tail -n 1)
		log "$server $cipher $name: ${result[$server,$cipher,$name]} $unit (median min max)"
	done
}

if [[ " $TESTS " == *" list "* ]]; then
	for server in strongroom sshd; do
		printf 'mkdir many\nput many/* many/\n' | run_sftp "$server" aes128-gcm@openssh.com
	done
fi

for cipher in $CIPHERS; do
	for name in $TESTS; do
		case $name in
		upload) measure "$cipher" upload "-rm big" "put big big" MiB/s "$BIG_MIB" ;;
		download)
			if [[ " $TESTS " != *" upload "* ]]; then
				for server in strongroom sshd; do printf 'put big big\n' | run_sftp "$server" "$cipher"; done
			fi
			measure "$cipher" download "" "get big /dev/null" MiB/s "$BIG_MIB"
			;;
		small) measure "$cipher" small "$(printf -- '-rm small/*\n-rmdir small\nmkdir small')" "put small/* small/" files/s "$SMALL_FILES" ;;
		list) measure "$cipher" list "" "ls -l many" s 1 ;;
		esac
	done
done

# --- report ------------------------------------------------------------

echo
echo "SFTP bench: $MODE stores, $RUNS runs each, median [min max]$([ "$FSYNC" = 1 ] && echo ", client asks for fsync of each upload")"
printf '%-32s %-10s %-28s %-28s %s\n' cipher test strongroom sshd ratio
for cipher in $CIPHERS; do
	for name in $TESTS; do
		read -r sm smin smax <<<"${result[strongroom,$cipher,$name]}"
		read -r om omin omax <<<"${result[sshd,$cipher,$name]}"
		if [ "$name" = list ]; then
			ratio=$(echo "$om / $sm" | bc -l) # a time: higher ratio is faster
		else
			ratio=$(echo "$sm / $om" | bc -l)
		fi
		printf '%-32s %-10s %-28s %-28s %.2f\n' "$cipher" "$name" \
			"$sm [$smin $smax]" "$om [$omin $omax]" "$ratio"
	done
done
echo
echo "peak RSS (MiB) during the timed runs: strongroom / sshd"
for cipher in $CIPHERS; do
	for name in $TESTS; do
		printf '%-32s %-10s %6.1f / %6.1f\n' "$cipher" "$name" \
			"$(echo "${rss[strongroom,$cipher,$name]} / 1024" | bc -l)" "$(echo "${rss[sshd,$cipher,$name]} / 1024" | bc -l)"
	done
done
echo "(units: upload and download MiB/s, small files/s, list seconds; ratio is strongroom's speed over sshd's)"
