#!/usr/bin/env bash
# Compares a 1 GiB upload through the web portal's path (the JSON API's
# streaming PUT, which the browser's upload uses) with the same upload over
# WebDAV PUT, against one Strongroom server on the embedded default, on
# loopback. Prints medians of 5 with min and max, and the ratio.
#
#   bench/web.sh [SIZE_MIB]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=5
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/strongroom" ./cmd/strongroom
data="$work/data"
"$work/strongroom" serve --data "$data" --sftp-addr "" --https-addr 127.0.0.1:0 --metrics-addr "" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do grep -q "strongroom started" "$work/serve.log" && break; sleep 0.1; done
addr=$(sed -n 's/.*protocol=https addr=\([^ ]*\).*/\1/p' "$work/serve.log")
[ -n "$addr" ] || { cat "$work/serve.log"; exit 1; }
base="https://$addr"

pass='bench passphrase'
echo "$pass" | "$work/strongroom" user add bench --password-stdin --data "$data" >/dev/null
token=$("$work/strongroom" user token bench bench --data "$data")
head -c $((size_mib << 20)) /dev/urandom >"$work/file"

median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f (min %.1f, max %.1f)", a[int((NR+1)/2)], a[1], a[NR]}'; }
mibs() { awk -v s="$size_mib" '{printf "%.1f\n", s / $1}'; }

# An untimed warm-up of each path.
curl -sSk -u "bench:$pass" -T "$work/file" "$base/dav/warm" -o /dev/null
curl -sSk -H "Authorization: Bearer bench:$token" -T "$work/file" "$base/api/v1/files/warm" -o /dev/null

dav=() api=()
for _ in $(seq 1 $runs); do
	curl -sSk -u "bench:$pass" -X DELETE "$base/dav/big" -o /dev/null || true
	sync
	dav+=("$(curl -sSk -u "bench:$pass" -T "$work/file" "$base/dav/big" -o /dev/null -w '%{time_total}\n' | mibs)")
	curl -sSk -H "Authorization: Bearer bench:$token" -X DELETE "$base/api/v1/files/big2" -o /dev/null || true
	sync
	api+=("$(curl -sSk -H "Authorization: Bearer bench:$token" -T "$work/file" "$base/api/v1/files/big2" -o /dev/null -w '%{time_total}\n' | mibs)")
done
dav_med=$(printf '%s\n' "${dav[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
api_med=$(printf '%s\n' "${api[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
echo "upload of $size_mib MiB, MiB/s, median of $runs:"
echo "  WebDAV PUT:       $(printf '%s\n' "${dav[@]}" | median)"
echo "  API PUT (web UI): $(printf '%s\n' "${api[@]}" | median)"
awk -v a="$api_med" -v d="$dav_med" 'BEGIN {printf "  ratio API/WebDAV: %.2f (target at least 0.80)\n", a / d}'
