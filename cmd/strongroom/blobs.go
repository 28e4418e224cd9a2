package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"strongroom/configs"
	"strongroom/vfs/blob"
	"strongroom/vfs/blob/cryptblob"
	"strongroom/vfs/blob/diskblob"
	"strongroom/vfs/blob/s3blob"
)

// blobStores are the blob store the filesystem uses and the back end
// below its encryption, which serve calls on to clear interrupted uploads.
type blobStores struct {
	blob.Store
	base  blob.Store
	keyID string
}

// clear is the store content stored in the clear is read from, when the
// blob store encrypts; nil when it does not.
func (b *blobStores) clear() blob.Store {
	if b.keyID == "" {
		return nil
	}
	return b.base
}

// openBlobs opens the blob store the configuration names, wrapped with
// encryption at rest unless that is turned off.
func openBlobs(ctx context.Context, cfg *configs.Config, env []string, log *slog.Logger) (*blobStores, error) {
	var base blob.Store
	var err error
	url := cfg.Blobs.URL
	switch {
	case url == "":
		base, err = diskblob.Open(filepath.Join(cfg.Data, "blobs"), &diskblob.Options{Create: true, DirectIO: cfg.Blobs.DirectIO})
	case strings.HasPrefix(url, "s3://"):
		creds := s3blob.CredentialsFromEnv(func(name string) string { return envValue(env, name, "") })
		base, err = s3blob.OpenURL(ctx, url, &s3blob.Options{PartSize: cfg.Blobs.PartSize, Credentials: creds})
	default:
		err = fmt.Errorf("blob store URL %q: use s3://BUCKET?endpoint=HOST:PORT, or leave it empty for a folder in the data folder", url)
	}
	if err != nil {
		return nil, err
	}
	if !cfg.Encryption.Enabled {
		log.Warn("encryption at rest is off: new content is stored in the clear")
		return &blobStores{Store: base, base: base}, nil
	}
	key, err := masterKey(ctx, cfg, base, log)
	if err != nil {
		base.Close()
		return nil, err
	}
	kr, err := cryptblob.NewKeyring(key)
	if err != nil {
		base.Close()
		return nil, err
	}
	store := cryptblob.New(base, kr)
	if err := store.CheckKeys(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return &blobStores{Store: store, base: base, keyID: key.ID()}, nil
}

// masterKey reads the master key from the configuration (as "ID:BASE64"),
// or from its file. On the embedded default the file is made on first
// start; with shared stores a missing key is an error, since a node that
// made its own would write blobs no other node can read.
func masterKey(ctx context.Context, cfg *configs.Config, base blob.Store, log *slog.Logger) (*cryptblob.MasterKey, error) {
	if cfg.Encryption.Key != "" {
		k, err := cryptblob.ParseKey(cfg.Encryption.Key)
		if err != nil {
			return nil, fmt.Errorf("encryption key (STRONGROOM_ENCRYPTION_KEY): %w", err)
		}
		return k, nil
	}
	path := cfg.Encryption.KeyFile
	if path == "" {
		path = filepath.Join(cfg.Data, "master.key")
	}
	k, err := cryptblob.LoadKeyFile(path)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if cfg.Blobs.URL != "" || cfg.Encryption.KeyFile != "" {
		return nil, fmt.Errorf("master key file %s does not exist: pass the key every node shares in STRONGROOM_ENCRYPTION_KEY (strongroom key new makes one)", path)
	}
	// A new key is made only for an empty store: blobs already there were
	// written with a key that is now missing, and a new one would not
	// open them.
	if hasBlobs, err := anyBlob(ctx, base); err != nil {
		return nil, err
	} else if hasBlobs {
		return nil, fmt.Errorf("master key file %s is missing but the blob folder holds content encrypted with it: restore the key file from your backup", path)
	}
	k, err = cryptblob.CreateKeyFile(path)
	if err != nil {
		return nil, err
	}
	log.Info("master key created; back it up, the blobs cannot be read without it", "file", path, "key_id", k.ID())
	return k, nil
}

// anyBlob reports whether the store holds at least one object.
func anyBlob(ctx context.Context, s blob.Store) (bool, error) {
	found := errors.New("found")
	err := s.Walk(ctx, func(string, time.Time) error { return found })
	if errors.Is(err, found) {
		return true, nil
	}
	return false, err
}
