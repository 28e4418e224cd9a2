#!/usr/bin/env bash
# Compares Strongroom's WebDAV (embedded default: SQLite, local blobs,
# encryption at rest) with `rclone serve webdav` over a local folder, both
# over HTTPS on loopback, in the same run:
#
#   - a PUT and a GET of SIZE_MIB MiB with curl;
#   - SMALL PUTs of 4 KiB over one keep-alive connection (one curl);
#   - a PROPFIND, Depth 1, of a folder of ENTRIES files.
#
# Each is run 5 times, the two servers taking turns; it prints medians
# with min and max, and the ratio Strongroom/rclone of the medians (for
# throughput above 1 is faster, for times below 1 is faster).
#
#   bench/webdav.sh [SIZE_MIB] [SMALL] [ENTRIES]
#   MODE=production bench/webdav.sh   PostgreSQL + S3, from scripts/services.sh,
#                                     in a scratch database and key prefix
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
small=${2:-1000}
entries=${3:-10000}
runs=${RUNS:-5}
. bench/serve.sh

# Strongroom, every listener on loopback.
start_strongroom webdav
sr="https://$addr/dav"

# rclone over a local folder, with a certificate of its own.
mkdir -p "$work/rclone-root"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-keyout "$work/key.pem" -out "$work/cert.pem" -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null
RCLONE_CONFIG=/dev/null rclone serve webdav --addr 127.0.0.1:0 --cert "$work/cert.pem" --key "$work/key.pem" \
	--user bench --pass "$pass" "$work/rclone-root" >"$work/rclone.log" 2>&1 &
pids+=($!)
wait_for "$work/rclone.log" "WebDav Server started"
rc=$(sed -n 's/.*started on \(https:[^ ]*\)\/.*/\1/p' "$work/rclone.log" | head -n 1)

dav() { curl -sSk -u "bench:$pass" "$@"; }
head -c $((size_mib << 20)) /dev/urandom >"$work/big"
head -c 4096 /dev/urandom >"$work/small"
printf x >"$work/one"

# puts BASE DIR N FILE: N PUTs of FILE into BASE/DIR over one connection.
puts() {
	local cfg="$work/puts.cfg"
	: >"$cfg"
	for i in $(seq 1 "$3"); do
		printf 'upload-file = "%s"\nurl = "%s/%s/f%05d"\noutput = "/dev/null"\n' "$4" "$1" "$2" "$i" >>"$cfg"
	done
	dav -X MKCOL "$1/$2/" -o /dev/null
	local start end
	start=$(date +%s.%N)
	dav -K "$cfg"
	end=$(date +%s.%N)
	awk -v s="$start" -v e="$end" 'BEGIN {printf "%.3f\n", e - s}'
}

propfind_body='<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/><d:getlastmodified/><d:getcontentlength/><d:resourcetype/><d:getcontenttype/><d:getetag/></d:prop></d:propfind>'
propfind() {
	dav -X PROPFIND -H "Depth: 1" -H "Content-Type: application/xml" --data "$propfind_body" "$1/" -o "$work/listing" -w '%{time_total}\n'
	local n
	n=$(grep -o '<[A-Za-z]*:response>' "$work/listing" | wc -l)
	[ "$n" -eq $((entries + 1)) ] || { echo "PROPFIND of $1 listed $n entries, want $((entries + 1))" >&2; exit 1; }
}

# The folder for PROPFIND: the same names on both servers, put the same way.
echo "preparing $entries entries on each server..." >&2
puts "$sr" many "$entries" "$work/one" >/dev/null
puts "$rc" many "$entries" "$work/one" >/dev/null

# Untimed warm-up of each server.
dav -T "$work/big" "$sr/warm" -o /dev/null
dav -T "$work/big" "$rc/warm" -o /dev/null

declare -A t
for r in $(seq 1 $runs); do
	for s in sr rc; do
		base=${!s}
		sync
		t[$s,put]+="$(dav -T "$work/big" "$base/big" -o /dev/null -w '%{time_total}') "
		t[$s,get]+="$(dav "$base/big" -o /dev/null -w '%{time_total}') "
		t[$s,small]+="$(puts "$base" "small$r" "$small" "$work/small") "
		t[$s,propfind]+="$(propfind "$base/many") "
	done
done

# stats VALUES...: median, min, max.
stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'; }
mibs() { awk -v s="$size_mib" -v t="$1" 'BEGIN {printf "%.1f", s / t}'; }

echo "Strongroom WebDAV ($MODE stores) vs rclone serve webdav, HTTPS on loopback, median (min-max) of $runs"
printf '%-34s %-26s %-26s %s\n' "" "Strongroom" "rclone" "Strongroom/rclone"
for k in put get; do
	read -r sm smin smax <<<"$(stats ${t[sr,$k]})"
	read -r rm rmin rmax <<<"$(stats ${t[rc,$k]})"
	label="$k $size_mib MiB, MiB/s"
	printf '%-34s %-26s %-26s %.2f\n' "$label" \
		"$(mibs "$sm") ($(mibs "$smax")-$(mibs "$smin"))" "$(mibs "$rm") ($(mibs "$rmax")-$(mibs "$rmin"))" \
		"$(awk -v a="$rm" -v b="$sm" 'BEGIN {print a / b}')"
done
for k in small propfind; do
	read -r sm smin smax <<<"$(stats ${t[sr,$k]})"
	read -r rm rmin rmax <<<"$(stats ${t[rc,$k]})"
	case $k in
	small) label="$small x 4 KiB PUT, s" ;;
	propfind) label="PROPFIND of $entries, s" ;;
	esac
	printf '%-34s %-26s %-26s %.2f\n' "$label" "$sm ($smin-$smax)" "$rm ($rmin-$rmax)" \
		"$(awk -v a="$sm" -v b="$rm" 'BEGIN {print a / b}')"
done
