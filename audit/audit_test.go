package audit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func chainOf(n int) []*Event {
	var out []*Event
	var prev []byte
	for i := range n {
		e := &Event{ID: int64(i + 1), Time: time.Unix(1700000000, int64(i)).UTC(), User: "alice", Op: "read",
			Path: "/acme/report.pdf", Protocol: "sftp", SessionID: "s1", Outcome: OK, Bytes: int64(i)}
		e.Seal(0, int64(i), prev)
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func verify(events []*Event, heads []Head) error {
	v := NewVerifier()
	for _, e := range events {
		if err := v.Add(e); err != nil {
			return err
		}
	}
	return v.Finish(heads)
}

func TestVerifier(t *testing.T) {
	head := func(evs []*Event) []Head {
		last := evs[len(evs)-1]
		return []Head{{Chain: 0, Seq: last.Seq, Hash: last.Hash}}
	}
	tests := []struct {
		name   string
		break_ func(evs []*Event) ([]*Event, []Head)
		want   string // empty: passes
	}{
		{"intact", func(evs []*Event) ([]*Event, []Head) { return evs, head(evs) }, ""},
		{"edited", func(evs []*Event) ([]*Event, []Head) {
			evs[2].Path = "/acme/other.pdf"
			return evs, head(evs)
		}, "record 3 (chain 0, position 3): content does not match"},
		{"deleted in the middle", func(evs []*Event) ([]*Event, []Head) {
			return append(evs[:2:2], evs[3:]...), head(evs)
		}, "records 3 to 3 of this chain are missing"},
		{"deleted at the end", func(evs []*Event) ([]*Event, []Head) {
			return evs[:4], head(evs)
		}, "chain head says 5 records, but 4"},
		{"swapped", func(evs []*Event) ([]*Event, []Head) {
			evs[1], evs[2] = evs[2], evs[1]
			return evs, head(evs)
		}, "missing"},
		{"resealed without its successor", func(evs []*Event) ([]*Event, []Head) {
			evs[1].Bytes = 99
			evs[1].Seal(0, 1, evs[0].Hash)
			return evs, head(evs)
		}, "record 3 (chain 0, position 3): link to the previous record does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(tt.break_(chainOf(5)))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
			var bad *BadRecordError
			if tt.want != "" && !errors.As(err, &bad) {
				t.Errorf("error %T is not a *BadRecordError", err)
			}
		})
	}
}

// The hash encoding is what every stored chain was sealed with: changing
// it breaks them all. The golden file pins it.
func TestHashGolden(t *testing.T) {
	e := &Event{Time: time.Date(2026, 12, 4, 9, 30, 0, 123, time.UTC), Tenant: "acme", User: "carol",
		Op: "write", Path: "/acme/carol/contract.pdf", Version: "42", Bytes: 1234, Protocol: "webdav",
		RemoteAddr: "192.0.2.7:5000", SessionID: "abc", UserAgent: "WinSCP/6.3", Request: "PUT", Outcome: OK}
	e.Seal(3, 9, bytes.Repeat([]byte{0xab}, 32))
	got := hex.EncodeToString(e.Hash) + "\n"
	const golden = "testdata/hash-v1.golden"
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("hash of the reference record: got %s want %s", got, want)
	}
}

func TestChainFor(t *testing.T) {
	if ChainFor("s", 1) != 0 || ChainFor("s", 0) != 0 {
		t.Error("one chain: every session must map to chain 0")
	}
	seen := map[int]bool{}
	for i := range 200 {
		c := ChainFor(strings.Repeat("x", i), 16)
		if c < 0 || c >= 16 {
			t.Fatalf("chain %d out of range", c)
		}
		seen[c] = true
	}
	if len(seen) < 12 {
		t.Errorf("200 sessions used only %d of 16 chains", len(seen))
	}
}

func TestExport(t *testing.T) {
	evs := chainOf(2)
	evs[1].Path = "=HYPERLINK(\"x\")"
	var csvOut, jsonOut bytes.Buffer
	cw, jw := NewCSVWriter(&csvOut), NewJSONLWriter(&jsonOut)
	for _, e := range evs {
		cw.Write(e)
		jw.Write(e)
	}
	cw.Close()
	lines := strings.Split(strings.TrimSpace(csvOut.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "id,chain,seq,time,") {
		t.Fatalf("csv:\n%s", csvOut.String())
	}
	if !strings.Contains(lines[2], "'=HYPERLINK") {
		t.Errorf("a formula in a path was not defused: %s", lines[2])
	}
	if n := strings.Count(jsonOut.String(), "\n"); n != 2 || !strings.Contains(jsonOut.String(), `"op":"read"`) {
		t.Errorf("jsonl:\n%s", jsonOut.String())
	}
}

func TestSealMakesFieldsStorable(t *testing.T) {
	e := &Event{User: "\x1b[31mevil\x00", Path: "/" + strings.Repeat("é", 5000) + "\xff", Reason: "ok"}
	e.Seal(0, 0, nil)
	if strings.ContainsRune(e.User, 0) || !utf8.ValidString(e.Path) || len(e.Path) > MaxField {
		t.Errorf("sealed fields not storable: user %q, path of %d bytes", e.User, len(e.Path))
	}
	if !strings.HasSuffix(e.Path, "bytes)") || !strings.Contains(e.User, "evil") {
		t.Errorf("sealed fields lost their sense: user %q, path ends %q", e.User, e.Path[len(e.Path)-20:])
	}
	if err := verify([]*Event{e}, []Head{{Chain: 0, Seq: 1, Hash: e.Hash}}); err != nil {
		t.Errorf("a cleaned record does not verify: %v", err)
	}
}
