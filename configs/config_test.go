package configs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The example file documents every default; parsing it must give exactly
// the defaults, so the two cannot drift apart.
func TestExampleIsDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "strongroom.toml")
	if err := os.WriteFile(path, []byte(Example), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.SFTP.HostKeys = []string{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("example file parses to\n%+v\nwant the defaults\n%+v", got, want)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	env := []string{
		"STRONGROOM_SFTP_ADDR=:2222",
		"STRONGROOM_DATA=/srv/strongroom",
		"STRONGROOM_LIMITS_LOGIN_BAN=1h",
		"STRONGROOM_ENCRYPTION_ENABLED=false",
		"STRONGROOM_SFTP_HOST_KEYS=a,b",
		"STRONGROOM_TEST_POSTGRES=ignored",
		"PATH=/bin",
	}
	c, err := Load("", env)
	if err != nil {
		t.Fatal(err)
	}
	if c.SFTP.Addr != ":2222" || c.Data != "/srv/strongroom" || c.Limits.LoginBan.Duration != time.Hour ||
		c.Encryption.Enabled || !reflect.DeepEqual(c.SFTP.HostKeys, []string{"a", "b"}) {
		t.Errorf("overrides not applied: %+v", c)
	}
}

func TestBadSettings(t *testing.T) {
	tests := []struct {
		name, file string
		env        []string
		want       string
	}{
		{"unknown env", "", []string{"STRONGROOM_SFTP_ADR=:1"}, "names no setting"},
		{"bad bool", "", []string{"STRONGROOM_ENCRYPTION_ENABLED=maybe"}, "not true or false"},
		{"bad duration", "", []string{"STRONGROOM_LIMITS_LOGIN_BAN=soon"}, "not a duration"},
		{"unknown key in file", "[sftp]\nadr = \":1\"\n", nil, "unknown setting"},
		{"syntax", "[sftp\n", nil, "config"},
		{"size with a unit", "", []string{"STRONGROOM_BLOBS_PART_SIZE=8MiB"}, "sizes are in bytes"},
		{"no failures allowed", "[limits]\nlogin_failures = 0\n", nil, "limits.login_failures must be more than zero"},
		{"negative ban", "", []string{"STRONGROOM_LIMITS_LOGIN_BAN=-1m"}, "limits.login_ban must be more than zero"},
		{"no handshakes", "", []string{"STRONGROOM_SFTP_MAX_HANDSHAKES=0"}, "sftp.max_handshakes must be more than zero"},
		{"macOS files policy", "", []string{"STRONGROOM_WEBDAV_MACOS_FILES=delete"}, "use keep, hide or refuse"},
		{"tiny part", "", []string{"STRONGROOM_BLOBS_PART_SIZE=1024"}, "blobs.part_size is 1024 bytes"},
		{"upload memory under a part", "", []string{"STRONGROOM_BLOBS_UPLOAD_MEMORY=1"}, "blobs.upload_memory (1 bytes) must hold at least one part"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = filepath.Join(t.TempDir(), "c.toml")
				os.WriteFile(path, []byte(tt.file), 0o600)
			}
			_, err := Load(path, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
