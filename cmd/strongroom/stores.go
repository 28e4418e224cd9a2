package main

import (
	"context"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"

	"strongroom/configs"
	"strongroom/vfs/meta"
	"strongroom/vfs/meta/pgmeta"
	"strongroom/vfs/meta/sqlitemeta"
)

// embedded reports whether the configuration keeps metadata in SQLite in
// the data folder: one node, the embedded default.
func embedded(cfg *configs.Config) bool { return cfg.Database.URL == "" }

// openMeta opens the metadata store the configuration names. With create
// set, the data folder is made if missing (mode 0700); without it, a
// missing data folder is an error.
func openMeta(ctx context.Context, cfg *configs.Config, create bool) (meta.Store, error) {
	url := cfg.Database.URL
	switch {
	case url == "":
		if err := dataFolder(cfg.Data, create); err != nil {
			return nil, err
		}
		return sqlitemeta.Open(filepath.Join(cfg.Data, "strongroom.db"), nil)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return pgmeta.Open(ctx, url, &pgmeta.Options{AuditChains: cfg.Database.AuditChains})
	}
	return nil, fmt.Errorf("database URL %q: use postgres://USER@HOST:PORT/DB, or leave it empty for SQLite in the data folder", url)
}

// describeStore names the store rawURL configures for the log, without
// its password, or embedded if rawURL is empty.
func describeStore(rawURL, embedded string) string {
	if rawURL == "" {
		return embedded
	}
	u, err := neturl.Parse(rawURL)
	if err != nil {
		return "(an unreadable URL)"
	}
	return u.Redacted()
}

// dataFolder checks, or makes, the data folder.
func dataFolder(dir string, create bool) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && fi.IsDir():
		return nil
	case err == nil:
		return fmt.Errorf("data folder %s is a file: pass --data with a folder", dir)
	case os.IsNotExist(err) && create:
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create data folder: %w", err)
		}
		return nil
	case os.IsNotExist(err):
		// An admin command run from the wrong folder, or with a mistyped
		// --data, would otherwise start an empty store of its own.
		return fmt.Errorf("there is no data folder %s: pass the --data (or --database) your server runs with, or start `strongroom serve --data %s` once to create it", dir, dir)
	}
	return fmt.Errorf("data folder %s: %w", dir, err)
}
