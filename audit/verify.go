package audit

import (
	"bytes"
	"fmt"
)

// A Head is the last position and hash of one chain, as a store keeps it.
type Head struct {
	Chain int
	Seq   int64
	Hash  []byte
}

// BadRecordError names the first record that fails verification.
type BadRecordError struct {
	ID     int64 // the record's id; zero when the problem is a missing record
	Chain  int
	Seq    int64
	Reason string
}

func (e *BadRecordError) Error() string {
	if e.ID == 0 {
		return fmt.Sprintf("audit chain %d at position %d: %s", e.Chain, e.Seq, e.Reason)
	}
	return fmt.Sprintf("audit record %d (chain %d, position %d): %s", e.ID, e.Chain, e.Seq, e.Reason)
}

// A Verifier checks records one at a time, in order of chain and then
// position, without holding them in memory.
type Verifier struct {
	last  map[int]*Event
	Count int64 // records checked so far
}

// NewVerifier returns a Verifier with no records seen.
func NewVerifier() *Verifier { return &Verifier{last: make(map[int]*Event)} }

// Add checks e against its predecessor in its chain. It returns a
// *BadRecordError for the first problem found.
func (v *Verifier) Add(e *Event) error {
	v.Count++
	prev := v.last[e.Chain]
	wantSeq, wantPrev := int64(1), []byte(nil)
	if prev != nil {
		wantSeq, wantPrev = prev.Seq+1, prev.Hash
	}
	switch {
	case e.Seq > wantSeq:
		return &BadRecordError{ID: e.ID, Chain: e.Chain, Seq: e.Seq,
			Reason: fmt.Sprintf("records %d to %d of this chain are missing", wantSeq, e.Seq-1)}
	case e.Seq < wantSeq:
		return &BadRecordError{ID: e.ID, Chain: e.Chain, Seq: e.Seq, Reason: "position repeats or goes backwards"}
	case !bytes.Equal(e.PrevHash, wantPrev):
		return &BadRecordError{ID: e.ID, Chain: e.Chain, Seq: e.Seq, Reason: "link to the previous record does not match"}
	case !bytes.Equal(e.Hash, e.computeHash()):
		return &BadRecordError{ID: e.ID, Chain: e.Chain, Seq: e.Seq, Reason: "content does not match its hash (record edited)"}
	}
	cp := *e
	v.last[e.Chain] = &cp
	return nil
}

// Finish checks the heads a store keeps against the last record seen of
// each chain, which finds records deleted from the end of a chain.
func (v *Verifier) Finish(heads []Head) error {
	for _, h := range heads {
		last := v.last[h.Chain]
		var seq int64
		var hash []byte
		if last != nil {
			seq, hash = last.Seq, last.Hash
		}
		switch {
		case seq != h.Seq:
			return &BadRecordError{Chain: h.Chain, Seq: seq + 1,
				Reason: fmt.Sprintf("chain head says %d records, but %d are present and match", h.Seq, seq)}
		case !bytes.Equal(hash, h.Hash):
			return &BadRecordError{Chain: h.Chain, Seq: seq,
				Reason: "chain head's hash does not match the chain's last record (head edited)"}
		}
		delete(v.last, h.Chain)
	}
	for chain, last := range v.last {
		return &BadRecordError{ID: last.ID, Chain: chain, Seq: last.Seq, Reason: "chain has records but no head"}
	}
	return nil
}
