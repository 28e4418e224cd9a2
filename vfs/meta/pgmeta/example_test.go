package pgmeta_test

import (
	"context"
	"errors"
	"log"
	"time"

	"strongroom/audit"
	"strongroom/vfs/meta"
	"strongroom/vfs/meta/pgmeta"
)

// A change and the audit record of it commit together; a transaction
// that loses a race is run again.
func ExampleOpen() {
	ctx := context.Background()
	store, err := pgmeta.Open(ctx, "postgres://strongroom@localhost:5432/strongroom?sslmode=disable", nil)
	if err != nil {
		log.Fatal(err) // names the server and database, and what to check
	}
	defer store.Close()

	session := "sftp-7f3a"
	for range 5 {
		err = store.Update(ctx, func(tx meta.Tx) error {
			n := &meta.Node{ParentID: meta.RootID, Name: "incoming", IsDir: true}
			if err := tx.CreateNode(n); err != nil {
				return err
			}
			return tx.AppendAudit(audit.ChainFor(session, store.AuditChains()), &audit.Event{
				Time: time.Now(), User: "partner", Op: "mkdir", Path: "/incoming", SessionID: session, Outcome: audit.OK,
			})
		})
		if !errors.Is(err, meta.ErrConflict) {
			break
		}
	}
	if err != nil {
		log.Fatal(err)
	}
}
