package audit

import (
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
	"time"
)

// record is the exported form of an Event: stable field names, times in
// RFC 3339 with nanoseconds, hashes in hexadecimal.
type record struct {
	ID         int64   `json:"id"`
	Chain      int     `json:"chain"`
	Seq        int64   `json:"seq"`
	Time       string  `json:"time"`
	Tenant     string  `json:"tenant,omitempty"`
	User       string  `json:"user"`
	Op         string  `json:"op"`
	Path       string  `json:"path,omitempty"`
	Target     string  `json:"target,omitempty"`
	Version    string  `json:"version,omitempty"`
	Bytes      int64   `json:"bytes,omitempty"`
	Protocol   string  `json:"protocol"`
	RemoteAddr string  `json:"remote_addr,omitempty"`
	SessionID  string  `json:"session_id,omitempty"`
	UserAgent  string  `json:"user_agent,omitempty"`
	Request    string  `json:"request,omitempty"`
	Outcome    Outcome `json:"outcome"`
	Reason     string  `json:"reason,omitempty"`
	PrevHash   string  `json:"prev_hash"`
	Hash       string  `json:"hash"`
}

func toRecord(e *Event) record {
	return record{
		ID: e.ID, Chain: e.Chain, Seq: e.Seq, Time: e.Time.UTC().Format(time.RFC3339Nano),
		Tenant: e.Tenant, User: e.User, Op: e.Op, Path: e.Path, Target: e.Target,
		Version: e.Version, Bytes: e.Bytes, Protocol: e.Protocol, RemoteAddr: e.RemoteAddr,
		SessionID: e.SessionID, UserAgent: e.UserAgent, Request: e.Request, Outcome: e.Outcome, Reason: e.Reason,
		PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash),
	}
}

// A Writer writes records in one export format. Call Close to flush.
type Writer interface {
	Write(e *Event) error
	Close() error
}

// NewJSONLWriter writes one JSON object per line.
func NewJSONLWriter(w io.Writer) Writer { return &jsonlWriter{enc: json.NewEncoder(w)} }

type jsonlWriter struct{ enc *json.Encoder }

func (w *jsonlWriter) Write(e *Event) error { return w.enc.Encode(toRecord(e)) }
func (w *jsonlWriter) Close() error         { return nil }

// csvHeader names the CSV columns, in order.
var csvHeader = []string{"id", "chain", "seq", "time", "tenant", "user", "op", "path", "target",
	"version", "bytes", "protocol", "remote_addr", "session_id", "user_agent", "request", "outcome", "reason", "prev_hash", "hash"}

// NewCSVWriter writes a header row, then one row per record.
func NewCSVWriter(w io.Writer) Writer { return &csvWriter{w: csv.NewWriter(w)} }

type csvWriter struct {
	w      *csv.Writer
	headed bool
}

func (w *csvWriter) Write(e *Event) error {
	if !w.headed {
		w.headed = true
		if err := w.w.Write(csvHeader); err != nil {
			return err
		}
	}
	r := toRecord(e)
	return w.w.Write([]string{
		strconv.FormatInt(r.ID, 10), strconv.Itoa(r.Chain), strconv.FormatInt(r.Seq, 10), r.Time,
		csvSafe(r.Tenant), csvSafe(r.User), r.Op, csvSafe(r.Path), csvSafe(r.Target), r.Version,
		strconv.FormatInt(r.Bytes, 10), r.Protocol, r.RemoteAddr, csvSafe(r.SessionID),
		csvSafe(r.UserAgent), csvSafe(r.Request), string(r.Outcome), csvSafe(r.Reason), r.PrevHash, r.Hash,
	})
}

func (w *csvWriter) Close() error {
	if !w.headed {
		w.headed = true
		w.w.Write(csvHeader)
	}
	w.w.Flush()
	return w.w.Error()
}

// csvSafe defuses a value a spreadsheet would run as a formula: file
// names are chosen by users, and an export is opened by staff.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
