package sqlitemeta_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"strongroom/vfs/meta"
	"strongroom/vfs/meta/sqlitemeta"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "strongroom-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := sqlitemeta.Open(filepath.Join(dir, "meta.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	ctx := context.Background()
	err = store.Update(ctx, func(tx meta.Tx) error {
		for _, name := range []string{"reports", "Invoices", "archive"} {
			if err := tx.CreateNode(&meta.Node{ParentID: meta.RootID, Name: name, IsDir: true}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	// Names list in byte order: capitals first.
	err = store.View(ctx, func(tx meta.Tx) error {
		kids, err := tx.Children(meta.RootID, "", 0)
		for _, n := range kids {
			fmt.Println(n.Name)
		}
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// Invoices
	// archive
	// reports
}
