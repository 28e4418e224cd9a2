package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"strongroom/configs"
	"strongroom/vfs/blob"
	"strongroom/vfs/blob/cryptblob"
	"strongroom/vfs/blob/diskblob"
	"strongroom/vfs/blob/s3blob"
	"strongroom/vfs/meta"
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
func openBlobs(ctx context.Context, cfg *configs.Config, env []string, m meta.Store, log *slog.Logger) (*blobStores, error) {
	var base blob.Store
	var err error
	url := cfg.Blobs.URL
	switch {
	case url == "":
		base, err = diskblob.Open(filepath.Join(cfg.Data, "blobs"), &diskblob.Options{Create: true, DirectIO: cfg.Blobs.DirectIO})
	case strings.HasPrefix(url, "s3://"):
		creds := s3blob.CredentialsFromEnv(func(name string) string { return envValue(env, name, "") })
		base, err = s3blob.OpenURL(ctx, url, &s3blob.Options{PartSize: cfg.Blobs.PartSize,
			UploadMemory: cfg.Blobs.UploadMemory, Credentials: creds})
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
	key, err := masterKey(ctx, cfg, m, log)
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
	if err := checkKey(ctx, m, store, log); err != nil {
		store.Close()
		return nil, err
	}
	return &blobStores{Store: store, base: base, keyID: key.ID()}, nil
}

// keyProbes is how many of the newest encrypted versions checkKey tries.
const keyProbes = 5

// checkKey confirms that the master key opens what is stored, so that a
// server given the wrong key fails at start, with one clear error, rather
// than at every download. It tries the newest versions the database
// records as encrypted (their content was sealed by this server, whatever
// the user uploaded: a file that merely looks like an encrypted object
// proves nothing) and is satisfied by the first that opens. It fails if
// none opens and one names a key the keyring lacks, or if two or more
// all fail to unwrap with a key of the right id (one alone may just be
// damaged there). Otherwise what did not open is logged and left to fail
// when read, so that one damaged object cannot keep the server down.
func checkKey(ctx context.Context, m meta.Store, store *cryptblob.Store, log *slog.Logger) error {
	var versions []*meta.Version
	sealed := map[string][]byte{}
	err := m.View(ctx, func(tx meta.Tx) error {
		var err error
		if versions, err = tx.EncryptedVersions(keyProbes); err != nil {
			return err
		}
		for _, v := range versions {
			if v.Inline {
				if sealed[v.BlobKey], err = tx.Inline(v.BlobKey); err != nil && !errors.Is(err, meta.ErrNotFound) {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("check the master key: %w", err)
	}

	var noKey, wrongKey error
	wrong := 0
	for _, v := range versions {
		var r io.ReadCloser
		if v.Inline {
			r, err = store.OpenSealed(v.BlobKey, sealed[v.BlobKey], 0, 1)
		} else {
			r, err = store.NewRangeReader(ctx, v.BlobKey, 0, 1)
		}
		if err == nil {
			_, err = io.ReadAll(r)
			r.Close()
		}
		switch {
		case err == nil:
			return nil
		case errors.Is(err, cryptblob.ErrNoKey):
			noKey = cmp.Or(noKey, err)
		case errors.Is(err, cryptblob.ErrWrongKey):
			wrongKey, wrong = cmp.Or(wrongKey, err), wrong+1
		case ctx.Err() != nil:
			return ctx.Err()
		}
		log.Warn("content of a version could not be read while checking the master key", "version", v.ID, "err", err)
	}
	refused := noKey
	if refused == nil && wrong >= 2 && wrong == len(versions) {
		refused = wrongKey
	}
	if refused != nil {
		return fmt.Errorf("the configured master key cannot open the stored content: %w; configure the key the store was written with", refused)
	}
	return nil
}

// masterKey reads the master key from the configuration (as "ID:BASE64"),
// or from its file. On the embedded default the file is made on first
// start; with shared stores a missing key is an error, since a node that
// made its own would write blobs no other node can read.
func masterKey(ctx context.Context, cfg *configs.Config, m meta.Store, log *slog.Logger) (*cryptblob.MasterKey, error) {
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
	// A new key is made only while nothing is stored encrypted: content
	// already encrypted was sealed with a key that is now missing, and a
	// new one would not open it. (Content stored while encryption was off
	// needs no key.)
	var encrypted []*meta.Version
	err = m.View(ctx, func(tx meta.Tx) error {
		var err error
		encrypted, err = tx.EncryptedVersions(1)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("look for encrypted content: %w", err)
	}
	if len(encrypted) > 0 {
		return nil, fmt.Errorf("master key file %s is missing but content encrypted with key %s is stored: restore the key file from your backup", path, encrypted[0].KeyID)
	}
	k, err = cryptblob.CreateKeyFile(path)
	if err != nil {
		return nil, err
	}
	log.Info("master key created; back it up, the blobs cannot be read without it", "file", path, "key_id", k.ID())
	return k, nil
}
