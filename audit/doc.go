// Package audit defines Strongroom's audit records: who did what, to which
// path, when, from where, and with what outcome. Records are product data,
// kept in the metadata database beside the change they describe and in
// the same transaction; they are not the diagnostic log.
//
// # The hash chain
//
// Records are sealed into chains. Each record carries its chain number and
// its position in that chain, the hash of the record before it, and its
// own hash: SHA-256 over the previous hash and a fixed binary encoding of
// every field. A store keeps the head (last position and hash) of every
// chain in a row of its own. Verify walks every chain from its start and
// reports the first record whose hash does not match its content, whose
// link does not match its predecessor, or whose position skips, and any
// chain whose head does not match its last record. So an edited, deleted,
// inserted or reordered record is found.
//
// Several chains exist so that writers do not all queue on one lock: a
// record's chain is chosen from its session, so one session's records stay
// in order in one chain while other sessions write to other chains. One
// gateway node or many may share the chains; a writer locks only the head
// of the chain it appends to, for the length of its transaction.
//
// # Limits
//
// The chain makes tampering evident to whoever checks it; it does not
// prevent it. Someone who can write the database may rewrite a whole chain
// and its head consistently. Exporting the chain heads (audit verify
// prints them) to a place that writer cannot reach closes that gap.
package audit
