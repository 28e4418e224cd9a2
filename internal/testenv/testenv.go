// Package testenv tells tests where the real servers they need are:
// PostgreSQL and an S3 service, started by scripts/services.sh.
//
// A test that needs a server that is not configured is skipped on a
// developer's machine, and fails under CI (CI=true), where every server
// must be there.
package testenv

import (
	"os"
	"testing"
)

// Postgres returns the URL of a PostgreSQL database the test may fill.
func Postgres(t testing.TB) string {
	return need(t, "STRONGROOM_TEST_POSTGRES", "PostgreSQL")
}

// S3 returns an s3:// URL of a bucket on a real S3 server, with
// credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
func S3(t testing.TB) string {
	return need(t, "STRONGROOM_TEST_S3", "an S3 server")
}

func need(t testing.TB, env, what string) string {
	t.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	msg := what + " is not configured: run `eval \"$(scripts/services.sh)\"` first, or use scripts/test.sh (" + env + " is unset)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
