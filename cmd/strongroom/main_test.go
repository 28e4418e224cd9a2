package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// cli runs one command line in-process and returns its exit code and
// output.
func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &stdio{in: strings.NewReader(stdin), out: &out, err: &errb}, []string{"USER=tester"})
	return code, out.String(), errb.String()
}

func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errs := cli(t, stdin, args...)
	if code != 0 {
		t.Fatalf("strongroom %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{[]string{"user", "add"}, exitUsage, "want 1 argument"},
		{[]string{"grant", "user:a", "/x", "fly"}, exitUsage, "unknown action"},
		{[]string{"audit", "export", "--format", "xml"}, exitUsage, "use jsonl or csv"},
		{[]string{"audit", "list", "--since", "yesterday-ish"}, exitUsage, "--since"},
		{[]string{"user", "add", "bob"}, exitUsage, "password"},
		{[]string{"user", "add", "bob", "--quota", "-5", "--password-stdin"}, exitUsage, "--quota"},
		{[]string{"audit", "list", "--limit", "-1"}, exitUsage, "--limit"},
		{[]string{"version"}, exitOK, ""},
		{[]string{"help"}, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errs := cli(t, "", append(tt.args, "--data", t.TempDir())...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tt.code, tt.want)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") > 1 {
				t.Errorf("error is more than a line and its usage: %q", errs)
			}
		})
	}
}

// strongroom alone is a usage error, with the list of commands.
func TestNoCommand(t *testing.T) {
	code, out, errs := cli(t, "")
	if code != exitUsage || out != "" || !strings.Contains(errs, "serve") {
		t.Errorf("no command: exit %d, stdout %q, stderr %q; want %d and the commands on stderr", code, out, errs, exitUsage)
	}
}

// An admin command pointed at a folder that does not exist says so, and
// does not start an empty store there.
func TestAdminNeedsDataFolder(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-folder")
	code, _, errs := cli(t, "", "user", "list", "--data", missing)
	if code != exitFail || !strings.Contains(errs, "no data folder") || !strings.Contains(errs, "--data") {
		t.Errorf("user list on a missing data folder: exit %d %q; want %d and a message naming --data", code, errs, exitFail)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the missing data folder was created: %v", err)
	}
}

// The admin commands build a real history; audit verify passes on it and
// names the first bad record after one is edited in the database by hand.
func TestAdminAndAuditVerify(t *testing.T) {
	dir := t.TempDir()
	d := []string{"--data", dir}
	mustRun(t, "", append([]string{"tenant", "add", "acme"}, d...)...)
	out := mustRun(t, "a long passphrase\n", append([]string{"user", "add", "carol", "--tenant", "acme", "--password-stdin"}, d...)...)
	if !strings.Contains(out, "home /acme/carol") {
		t.Errorf("user add said %q", out)
	}
	mustRun(t, "", append([]string{"group", "add", "accounts", "--tenant", "acme"}, d...)...)
	if code, _, errs := cli(t, "", append([]string{"mkdir", "/acme/invoices/2026"}, d...)...); code != exitFail || !strings.Contains(errs, "pass -p") {
		t.Errorf("mkdir without -p: exit %d %q", code, errs)
	}
	mustRun(t, "", append([]string{"mkdir", "-p", "/acme/invoices/2026"}, d...)...)
	mustRun(t, "", append([]string{"grant", "group:accounts", "/acme/invoices", "list,read,write"}, d...)...)
	if key := mustRun(t, "", "key", "new"); !regexp.MustCompile(`^[^:\s]+:\S+\n$`).MatchString(key) {
		t.Errorf("key new printed %q", key)
	}
	mustRun(t, "", append([]string{"group", "add-member", "accounts", "carol"}, d...)...)
	mustRun(t, "", append([]string{"grant", "group:accounts", "/acme", "list,read"}, d...)...)
	show := mustRun(t, "", append([]string{"user", "show", "carol"}, d...)...)
	for _, want := range []string{"tenant:    acme", "/acme/carol all (user:carol)", "/acme list,read (group:accounts)", "groups:    accounts"} {
		if !strings.Contains(show, want) {
			t.Errorf("user show lacks %q:\n%s", want, show)
		}
	}
	code, _, errs := cli(t, "", append([]string{"grant", "user:carol", "/acme/nowhere", "read"}, d...)...)
	if code != exitFail || !strings.Contains(errs, "/acme/nowhere") {
		t.Errorf("grant on a missing path: exit %d %q", code, errs)
	}

	tok := strings.TrimSpace(mustRun(t, "", append([]string{"user", "token", "carol", "laptop"}, d...)...))
	if !strings.HasPrefix(tok, "srt_") {
		t.Errorf("user token printed %q", tok)
	}
	if list := mustRun(t, "", append([]string{"user", "tokens", "carol"}, d...)...); !strings.Contains(list, "laptop") {
		t.Errorf("user tokens:\n%s", list)
	}
	mustRun(t, "", append([]string{"user", "revoke-token", "carol", "1"}, d...)...)
	if code, _, errs := cli(t, "", append([]string{"user", "revoke-token", "carol", "1"}, d...)...); code != exitFail || !strings.Contains(errs, "no app token 1") {
		t.Errorf("revoking twice: exit %d %q", code, errs)
	}
	// The message names the command once, not also the audit trail's name
	// for the operation (user.disable).
	if code, _, errs := cli(t, "", append([]string{"user", "disable", "nobody"}, d...)...); code != exitFail ||
		errs != "strongroom user disable: not found: no user \"nobody\"\n" {
		t.Errorf("disabling a missing user: exit %d %q", code, errs)
	}
	if code, _, errs := cli(t, "", append([]string{"user", "show", "nobody"}, d...)...); code != exitFail ||
		errs != "strongroom user show: nobody: not found: no user \"nobody\"\n" {
		t.Errorf("showing a missing user: exit %d %q", code, errs)
	}
	if groups := mustRun(t, "", append([]string{"group", "list"}, d...)...); strings.TrimSpace(groups) != "accounts" {
		t.Errorf("group list: %q", groups)
	}

	out = mustRun(t, "", append([]string{"audit", "verify"}, d...)...)
	if !strings.Contains(out, "audit chain intact") {
		t.Fatalf("verify: %s", out)
	}
	csv := mustRun(t, "", append([]string{"audit", "export", "--format", "csv"}, d...)...)
	if !strings.HasPrefix(csv, "id,chain,seq,time") || !strings.Contains(csv, "group.member.add") {
		t.Errorf("csv export:\n%s", csv)
	}
	list := mustRun(t, "", append([]string{"audit", "list", "--user", "cli:tester"}, d...)...)
	if !strings.Contains(list, "tenant.add") || !strings.Contains(list, "denied") && !strings.Contains(list, "error") {
		t.Errorf("audit list:\n%s", list)
	}

	db, err := sql.Open("sqlite", filepath.Join(dir, "strongroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_events SET path = '/acme/other' WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, _, errs = cli(t, "", append([]string{"audit", "verify"}, d...)...)
	if code != exitFail || !strings.Contains(errs, "audit record 3 ") || !strings.Contains(errs, "edited") {
		t.Errorf("verify after tampering: exit %d, %q; want exit 1 naming record 3", code, errs)
	}
}

func TestBadStores(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"database scheme", []string{"user", "list", "--database", "mysql://x"}, "use postgres://"},
		{"unreachable postgres", []string{"user", "list", "--database", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"}, "127.0.0.1:1"},
		{"data is a file", []string{"user", "list", "--data", "main_test.go"}, "is a file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := cli(t, "", tt.args...)
			if code != exitFail || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, %q; want exit 1 and %q", code, errs, tt.want)
			}
		})
	}
}

// TestDescribeStore checks that the log names a store without its
// password.
func TestDescribeStore(t *testing.T) {
	got := describeStore("postgres://strongroom:s3cret@db:5432/strongroom", "embedded")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "db:5432/strongroom") {
		t.Errorf("database URL described as %q: want the host and database, no password", got)
	}
	if got := describeStore("", "SQLite data/strongroom.db"); got != "SQLite data/strongroom.db" {
		t.Errorf("embedded store described as %q", got)
	}
}
