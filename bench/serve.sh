# Sourced by the bench scripts that drive `strongroom serve`: a work
# folder removed at exit with the processes started, and start_strongroom.
#
#   MODE=embedded (default)   SQLite and a blob folder in the work folder
#   MODE=production           PostgreSQL + S3 from scripts/services.sh, in a
#                             scratch database and key prefix of their own
#   DIRECT_IO=0               blobs through the page cache (blobs.direct_io = false)

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

# wait_for FILE PATTERN: up to 10 s for a server's log to say it started.
wait_for() {
	for _ in $(seq 1 100); do grep -q "$2" "$1" && return 0; sleep 0.1; done
	cat "$1" >&2
	return 1
}

# start_strongroom NAME [ENV=VALUE...]: builds Strongroom and serves it on
# loopback, with the given variables in the server's environment, and
# adds the user "bench" with password $pass. Sets strongroom_pid and addr
# (the HTTPS listener's HOST:PORT); the server's log is $work/serve.log.
pass='bench passphrase'
start_strongroom() {
	local name=$1
	shift
	[ "${DIRECT_IO:-1}" = 0 ] && export STRONGROOM_BLOBS_DIRECT_IO=false
	if [ "$MODE" = production ]; then
		eval "$(scripts/services.sh)"
		scratch_db="bench_${name}_$$"
		psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $scratch_db" >/dev/null
		export STRONGROOM_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$scratch_db?sslmode=disable"
		export STRONGROOM_BLOBS_URL="$STRONGROOM_TEST_S3&prefix=bench-$name-$$/"
	fi
	go build -o "$work/strongroom" ./cmd/strongroom
	if [ "$MODE" = production ]; then
		# Shared stores take the master key from the environment, as
		# every node of a production deployment does.
		STRONGROOM_ENCRYPTION_KEY="$("$work/strongroom" key new)"
		export STRONGROOM_ENCRYPTION_KEY
	fi
	env "$@" "$work/strongroom" serve --data "$work/data" --sftp-addr 127.0.0.1:0 \
		--https-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 >"$work/serve.log" 2>&1 &
	strongroom_pid=$!
	pids+=("$strongroom_pid")
	wait_for "$work/serve.log" "strongroom started"
	addr=$(sed -n 's/.*protocol=https addr=\([^ ]*\).*/\1/p' "$work/serve.log")
	echo "$pass" | "$work/strongroom" user add bench --password-stdin --data "$work/data" >/dev/null
}
