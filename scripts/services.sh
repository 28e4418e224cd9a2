#!/usr/bin/env bash
# Starts what the test suite talks to, on loopback only, and prints the
# environment variables the tests read. Safe to run again: a service that
# already answers is left alone.
#
#   eval "$(scripts/services.sh)"
#
# PostgreSQL: uses the server at 127.0.0.1:5432 if one answers, else
# installs Debian's postgresql and starts a cluster with trust auth.
# S3: Versity's gateway (versitygw) over a scratch folder on 127.0.0.1:7070.
set -euo pipefail

S3_PORT=${STRONGROOM_TEST_S3_PORT:-7070}
S3_DIR=${STRONGROOM_TEST_S3_DIR:-${TMPDIR:-/tmp}/strongroom-versitygw}
S3_ACCESS=strongroomtest
S3_SECRET=strongroomtestsecret
VERSITYGW_VERSION=v1.8.0

log() { echo "services: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_postgres() {
	if port_open 5432; then return; fi
	if ! command -v pg_ctlcluster >/dev/null; then
		log "installing PostgreSQL from Debian's packages"
		apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
	fi
	local ver
	ver=$(ls /etc/postgresql | sort -n | tail -n 1)
	log "starting PostgreSQL $ver"
	pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 || true
	for _ in $(seq 1 50); do port_open 5432 && break; sleep 0.2; done
	port_open 5432 || { log "PostgreSQL did not start on 127.0.0.1:5432"; exit 1; }
	# A fresh Debian cluster asks for passwords over TCP; the tests use a
	# database of their own on loopback, with trust auth.
	if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
		local hba=/etc/postgresql/$ver/main/pg_hba.conf
		sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/' "$hba"
		pg_ctlcluster --skip-systemctl-redirect "$ver" main reload >&2
	fi
	psql -h 127.0.0.1 -U postgres -d postgres -Atc "select 1 from pg_database where datname='test'" | grep -q 1 ||
		psql -h 127.0.0.1 -U postgres -d postgres -c 'create database test' >&2
}

ensure_versitygw() {
	local bin
	bin=$(command -v versitygw || true)
	[ -n "$bin" ] || bin="$(go env GOPATH)/bin/versitygw"
	if [ ! -x "$bin" ]; then
		log "installing versitygw $VERSITYGW_VERSION with go install"
		go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" >&2
	fi
	if port_open "$S3_PORT"; then return; fi
	# Object metadata (ETags of the parts of a multipart upload, among
	# others) goes to sidecar files: it needs no extended attributes from
	# the file system, and without it (--nometa) every multipart upload
	# fails at completion with InvalidPart.
	mkdir -p "$S3_DIR/root" "$S3_DIR/meta"
	log "starting versitygw on 127.0.0.1:$S3_PORT over $S3_DIR/root"
	ROOT_ACCESS_KEY="$S3_ACCESS" ROOT_SECRET_KEY="$S3_SECRET" \
		nohup "$bin" --port "127.0.0.1:$S3_PORT" --quiet posix --sidecar "$S3_DIR/meta" "$S3_DIR/root" \
		>"$S3_DIR/versitygw.log" 2>&1 &
	echo $! >"$S3_DIR/versitygw.pid"
	for _ in $(seq 1 100); do port_open "$S3_PORT" && break; sleep 0.1; done
	port_open "$S3_PORT" || { log "versitygw did not start; see $S3_DIR/versitygw.log"; exit 1; }
}

ensure_postgres
ensure_versitygw

cat <<ENV
export STRONGROOM_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
export STRONGROOM_TEST_S3='s3://strongroom-test?endpoint=127.0.0.1:$S3_PORT&region=us-east-1&tls=false'
export AWS_ACCESS_KEY_ID='$S3_ACCESS'
export AWS_SECRET_ACCESS_KEY='$S3_SECRET'
ENV
