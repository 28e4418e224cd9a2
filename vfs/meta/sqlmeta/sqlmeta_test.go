package sqlmeta

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		name     string
		numbered bool
		in, want string
	}{
		{"unchanged for ?", false, "SELECT ? WHERE a = ?", "SELECT ? WHERE a = ?"},
		{"numbered", true, "SELECT ? WHERE a = ? AND b IN (?, ?)", "SELECT $1 WHERE a = $2 AND b IN ($3, $4)"},
		{"none", true, "SELECT 1", "SELECT 1"},
		{"quoted string", true, "SELECT '?', ? WHERE a = 'it''s?'", "SELECT '?', $1 WHERE a = 'it''s?'"},
		{"quoted identifier", true, `SELECT "a?b" FROM t WHERE c = ?`, `SELECT "a?b" FROM t WHERE c = $1`},
		{"ten and more", true, strings.Repeat("?,", 11) + "?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Dialect{Numbered: tc.numbered}
			if got := d.rebind(tc.in); got != tc.want {
				t.Errorf("rebind(%q): got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"/acme", "/acmf", true},
		{"/a/", "/a0", true},
		{"/\x7f", "/\u0080", true},
		{"/\u00ff", "/\u0100", true},
		{"/\ud7ff", "/\ue000", true},
		{"/a\U0010FFFF", "/b", true},
		{"\U0010FFFF", "", false},
		{"/\xff\xff", "0", true}, // not UTF-8: raised by bytes
		{"", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := prefixEnd(tc.in)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("prefixEnd(%q): got %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.wantOK)
			}
			// Every string that begins with the prefix sorts below the end.
			if ok {
				for _, s := range []string{tc.in, tc.in + "\x00", tc.in + "\U0010FFFF", tc.in + "/zz"} {
					if s >= got {
						t.Errorf("prefixEnd(%q) = %q: %q does not sort below it", tc.in, got, s)
					}
				}
			}
		})
	}
}

func TestPathAncestors(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"/", nil},
		{"/a", []string{"/"}},
		{"/a/b/c", []string{"/", "/a", "/a/b"}},
		{"/a/b/", []string{"/", "/a"}},
	}
	for _, tc := range tests {
		if got := pathAncestors(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("pathAncestors(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		want    []int // versions, or nil for an error
		wantErr string
	}{
		{"in order", fstest.MapFS{"0002_b.sql": file("B"), "0001_a.sql": file("A")}, []int{1, 2}, ""},
		{"gap", fstest.MapFS{"0001_a.sql": file("A"), "0003_c.sql": file("C")}, nil, "want version 0002"},
		{"not from one", fstest.MapFS{"0002_b.sql": file("B")}, nil, "want version 0001"},
		{"duplicate", fstest.MapFS{"0001_a.sql": file("A"), "0001_b.sql": file("B")}, nil, "want version 0002"},
		{"bad name", fstest.MapFS{"0001_a.sql": file("A"), "notes.txt": file("")}, nil, "not named"},
		{"empty", fstest.MapFS{}, nil, "no migrations"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			migs, err := loadMigrations(tc.fsys)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("loadMigrations: got %v, want an error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadMigrations: %v", err)
			}
			var got []int
			for _, m := range migs {
				got = append(got, m.version)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("versions: got %v, want %v", got, tc.want)
			}
		})
	}
}
