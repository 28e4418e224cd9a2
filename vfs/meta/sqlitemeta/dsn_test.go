package sqlitemeta

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// TestPragmas checks that the connections get the settings that make
// commits durable and writers wait for one another.
func TestPragmas(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "meta.db")
	tests := []struct {
		name   string
		dsn    string
		pragma string
		want   string
	}{
		{"write journal", writeDSN(abs, 10*time.Second), "journal_mode", "wal"},
		{"write synchronous", writeDSN(abs, 10*time.Second), "synchronous", "2"}, // FULL
		{"write foreign keys", writeDSN(abs, 10*time.Second), "foreign_keys", "1"},
		{"write busy timeout", writeDSN(abs, 10*time.Second), "busy_timeout", "10000"},
		{"read query only", readDSN(abs, time.Second), "query_only", "1"},
		{"read busy timeout", readDSN(abs, time.Second), "busy_timeout", "1000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sql.Open("sqlite", tc.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var got string
			if err := db.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s: got %q, want %q", tc.pragma, got, tc.want)
			}
		})
	}
}
