// Package configs holds Strongroom's configuration: its schema, its
// defaults, and the documented example file strongroom.toml, which lists
// every setting with its default value.
//
// Settings come from, in rising order of precedence: the defaults, the
// file, environment variables named STRONGROOM_<SECTION>_<KEY> (for
// example STRONGROOM_SFTP_ADDR), and the command line. Only package main
// calls Load; every other package gets the values it needs as arguments.
package configs

import (
	_ "embed"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Example is the documented example configuration, as shipped.
//
//go:embed strongroom.toml
var Example string

// Config is the whole configuration.
type Config struct {
	Data       string     `toml:"data"`
	Database   Database   `toml:"database"`
	Blobs      Blobs      `toml:"blobs"`
	Encryption Encryption `toml:"encryption"`
	SFTP       SFTP       `toml:"sftp"`
	HTTPS      HTTPS      `toml:"https"`
	WebDAV     WebDAV     `toml:"webdav"`
	Metrics    Metrics    `toml:"metrics"`
	Log        Log        `toml:"log"`
	Limits     Limits     `toml:"limits"`
	Node       Node       `toml:"node"`
}

// Database chooses the metadata store.
type Database struct {
	URL         string `toml:"url"`
	AuditChains int    `toml:"audit_chains"`
}

// Blobs chooses the blob store.
type Blobs struct {
	URL          string `toml:"url"`
	PartSize     int64  `toml:"part_size"`
	UploadMemory int64  `toml:"upload_memory"`
	DirectIO     bool   `toml:"direct_io"`
}

// Encryption configures encryption at rest.
type Encryption struct {
	Enabled bool   `toml:"enabled"`
	KeyFile string `toml:"key_file"`
	Key     string `toml:"key"`
}

// SFTP configures the SFTP listener.
type SFTP struct {
	Addr            string   `toml:"addr"`
	HostKeys        []string `toml:"host_keys"`
	PreferChaCha    bool     `toml:"prefer_chacha20"`
	MaxSessions     int      `toml:"max_sessions"`
	MaxUserSessions int      `toml:"max_user_sessions"`
	MaxTransfers    int      `toml:"max_transfers"`
	IdleTimeout     Duration `toml:"idle_timeout"`
	LoginTimeout    Duration `toml:"login_timeout"`
	MaxHandshakes   int      `toml:"max_handshakes"`
}

// HTTPS configures the listener for the web UI, WebDAV and the API.
type HTTPS struct {
	Addr      string `toml:"addr"`
	CertFile  string `toml:"cert_file"`
	KeyFile   string `toml:"key_file"`
	PlainHTTP bool   `toml:"plain_http"`
	// HTTP2 offers HTTP/2 besides HTTP/1.1. Off by default: WebDAV clients
	// speak HTTP/1.1, and Go's HTTP/2 server moves large files at half
	// the speed (it writes responses in 16 KiB frames through one loop
	// per connection).
	HTTP2 bool `toml:"http2"`
}

// WebDAV configures WebDAV.
type WebDAV struct {
	MacOSFiles    string `toml:"macos_files"`
	MaxDepthItems int    `toml:"max_depth_items"`
}

// Metrics configures the Prometheus listener.
type Metrics struct {
	Addr string `toml:"addr"`
}

// Log configures diagnostic logging.
type Log struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// Limits configures sign-in throttling and upload bounds.
type Limits struct {
	LoginFailures int      `toml:"login_failures"`
	LoginWindow   Duration `toml:"login_window"`
	LoginBan      Duration `toml:"login_ban"`
	ReorderBytes  int64    `toml:"reorder_bytes"`
	InlineBytes   int64    `toml:"inline_bytes"`
	OrphanGrace   Duration `toml:"orphan_grace"`
	// SuspendedUploadAge is how long an upload cut off by a dropped
	// connection is kept for its user to resume; 0 keeps none.
	SuspendedUploadAge Duration `toml:"suspended_upload_age"`
	DrainTimeout       Duration `toml:"drain_timeout"`
}

// Node names this gateway node among several sharing the stores.
type Node struct {
	Name string `toml:"name"`
}

// Duration is a time.Duration written as "15m" or "30s".
type Duration struct{ time.Duration }

// UnmarshalText reads a duration such as "90s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration: write it as 90s, 15m or 2h", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Default returns the configuration used when nothing is configured: the
// embedded default stores under ./data, every listener on its port.
func Default() *Config {
	return &Config{
		Data:       "./data",
		Database:   Database{AuditChains: 16},
		Blobs:      Blobs{PartSize: 8 << 20, UploadMemory: 256 << 20, DirectIO: true},
		Encryption: Encryption{Enabled: true},
		SFTP: SFTP{Addr: ":2022", MaxSessions: 1000, MaxUserSessions: 20, MaxTransfers: 64,
			IdleTimeout: Duration{15 * time.Minute}, LoginTimeout: Duration{2 * time.Minute}, MaxHandshakes: 100},
		HTTPS:   HTTPS{Addr: ":8443"},
		WebDAV:  WebDAV{MacOSFiles: "hide", MaxDepthItems: 10000},
		Metrics: Metrics{Addr: "127.0.0.1:9464"},
		Log:     Log{Level: "info", Format: "text"},
		Limits: Limits{LoginFailures: 10, LoginWindow: Duration{5 * time.Minute}, LoginBan: Duration{15 * time.Minute},
			ReorderBytes: 64 << 20, InlineBytes: 32 << 10, OrphanGrace: Duration{24 * time.Hour}, SuspendedUploadAge: Duration{24 * time.Hour}, DrainTimeout: Duration{30 * time.Second}},
	}
}

// Load reads the file at path over the defaults (no file if path is
// empty), then applies environment variables from env, given as
// os.Environ returns them.
func Load(path string, env []string) (*Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		md, err := toml.Decode(string(b), c)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		if undec := md.Undecoded(); len(undec) > 0 {
			return nil, fmt.Errorf("config %s: unknown setting %q: see configs/strongroom.toml for the settings there are", path, undec[0].String())
		}
	}
	if err := applyEnv(c, env); err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// check refuses values that cannot work, which the servers would
// otherwise replace by their defaults without a word.
func (c *Config) check() error {
	positive := []struct {
		name  string
		value int64
	}{
		{"sftp.max_sessions", int64(c.SFTP.MaxSessions)},
		{"sftp.max_user_sessions", int64(c.SFTP.MaxUserSessions)},
		{"sftp.max_transfers", int64(c.SFTP.MaxTransfers)},
		{"sftp.max_handshakes", int64(c.SFTP.MaxHandshakes)},
		{"sftp.login_timeout", int64(c.SFTP.LoginTimeout.Duration)},
		{"limits.login_failures", int64(c.Limits.LoginFailures)},
		{"limits.login_window", int64(c.Limits.LoginWindow.Duration)},
		{"limits.login_ban", int64(c.Limits.LoginBan.Duration)},
	}
	for _, p := range positive {
		if p.value <= 0 {
			return fmt.Errorf("config: %s must be more than zero", p.name)
		}
	}
	switch c.WebDAV.MacOSFiles {
	case "keep", "hide", "refuse":
	default:
		return fmt.Errorf("config: webdav.macos_files is %q: use keep, hide or refuse", c.WebDAV.MacOSFiles)
	}
	const minPart, maxPart = 5 << 20, 5 << 30
	if c.Blobs.PartSize < minPart || c.Blobs.PartSize > maxPart {
		return fmt.Errorf("config: blobs.part_size is %d bytes: it must be from %d (5 MiB) to %d (5 GiB)", c.Blobs.PartSize, int64(minPart), int64(maxPart))
	}
	if c.Blobs.UploadMemory < c.Blobs.PartSize {
		return fmt.Errorf("config: blobs.upload_memory (%d bytes) must hold at least one part, blobs.part_size (%d bytes)", c.Blobs.UploadMemory, c.Blobs.PartSize)
	}
	return nil
}

// applyEnv sets every field named by a STRONGROOM_<SECTION>_<KEY>
// variable, and refuses variables that name no setting, which are
// usually typing mistakes.
func applyEnv(c *Config, env []string) error {
	fields := map[string]reflect.Value{}
	collect(reflect.ValueOf(c).Elem(), "STRONGROOM", fields)
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "STRONGROOM_") || strings.HasPrefix(name, "STRONGROOM_TEST_") {
			continue
		}
		f, known := fields[name]
		if !known {
			return fmt.Errorf("environment variable %s names no setting: see configs/strongroom.toml", name)
		}
		if err := setField(f, value); err != nil {
			return fmt.Errorf("environment variable %s: %w", name, err)
		}
	}
	return nil
}

func collect(v reflect.Value, prefix string, out map[string]reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := prefix + "_" + strings.ToUpper(f.Tag.Get("toml"))
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(Duration{}) {
			collect(v.Field(i), name, out)
			continue
		}
		out[name] = v.Field(i)
	}
}

func setField(f reflect.Value, s string) error {
	if d, ok := f.Addr().Interface().(*Duration); ok {
		return d.UnmarshalText([]byte(s))
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number (sizes are in bytes: 8388608, not 8MiB)", s)
		}
		f.SetInt(n)
	case reflect.Slice:
		var parts []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		f.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
