#!/usr/bin/env bash
# Peak memory of the server under many clients at once: CLIENTS curl
# processes each sign in over WebDAV (HTTPS) and PUT a file of SIZE_MIB
# MiB, all at the same time. Prints the HTTP statuses, the server's peak
# RSS (VmHWM), the largest heap the garbage collector found live, and the
# total throughput.
#
#   bench/memory.sh [CLIENTS] [SIZE_MIB]
#   MODE=production bench/memory.sh   PostgreSQL + S3, from scripts/services.sh,
#                                     in a scratch database and key prefix
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-64}
size_mib=${2:-48}
MODE=${MODE:-embedded}
work=$(mktemp -d)
pids=()
scratch_db=""
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	[ -n "$scratch_db" ] && psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $scratch_db" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/strongroom" ./cmd/strongroom
if [ "$MODE" = production ]; then
	eval "$(scripts/services.sh)"
	scratch_db="bench_memory_$$"
	psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $scratch_db" >/dev/null
	export STRONGROOM_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$scratch_db?sslmode=disable"
	export STRONGROOM_BLOBS_URL="$STRONGROOM_TEST_S3&prefix=bench-memory-$$/"
	STRONGROOM_ENCRYPTION_KEY="$("$work/strongroom" key new)"
	export STRONGROOM_ENCRYPTION_KEY
fi

GODEBUG=gctrace=1 "$work/strongroom" serve --data "$work/data" --sftp-addr 127.0.0.1:0 \
	--https-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 >"$work/serve.log" 2>&1 &
server=$!
pids+=("$server")
for _ in $(seq 1 100); do grep -q "strongroom started" "$work/serve.log" && break; sleep 0.1; done
addr=$(sed -n 's/.*protocol=https addr=\([^ ]*\).*/\1/p' "$work/serve.log")
[ -n "$addr" ] || { cat "$work/serve.log" >&2; exit 1; }
pass='bench passphrase'
echo "$pass" | "$work/strongroom" user add bench --password-stdin --data "$work/data" >/dev/null
head -c $((size_mib << 20)) /dev/urandom >"$work/file"

start=$(date +%s.%N)
curls=()
for i in $(seq 1 "$clients"); do
	curl -sSk -u "bench:$pass" -T "$work/file" "https://$addr/dav/f$i" -o /dev/null -w '%{http_code}\n' >>"$work/codes" &
	curls+=($!)
done
for p in "${curls[@]}"; do wait "$p"; done
end=$(date +%s.%N)

echo "$MODE stores, $clients clients each putting $size_mib MiB at once"
echo "HTTP statuses: $(sort "$work/codes" | uniq -c | tr -s ' \n' ' ')"
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$server/status")"
awk '/^gc / {split($11, a, "->"); if (a[3] + 0 > m) m = a[3] + 0} END {print "largest live heap: " m " MB"}' "$work/serve.log"
awk -v s="$start" -v e="$end" -v n="$clients" -v z="$size_mib" 'BEGIN {printf "%.1f s, %.1f MiB/s in all\n", e - s, n * z / (e - s)}'
