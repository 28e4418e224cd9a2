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
. bench/serve.sh

start_strongroom memory GODEBUG=gctrace=1
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
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$strongroom_pid/status")"
awk '/^gc / {split($11, a, "->"); if (a[3] + 0 > m) m = a[3] + 0} END {print "largest live heap: " m " MB"}' "$work/serve.log"
awk -v s="$start" -v e="$end" -v n="$clients" -v z="$size_mib" 'BEGIN {printf "%.1f s, %.1f MiB/s in all\n", e - s, n * z / (e - s)}'
