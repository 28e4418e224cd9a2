package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"strongroom/configs"
	"strongroom/vfs"
)

// Exit codes, as INTERFACE.md names them.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// A command is one subcommand: its usage line, what it does, and how it
// runs. run gets the arguments after the subcommand's name.
type command struct {
	usage string
	short string
	run   func(ctx context.Context, c *cmdContext, args []string) error
}

// cmdContext carries what every subcommand shares.
type cmdContext struct {
	io    *stdio
	env   []string
	fs    *flag.FlagSet
	usage func() // prints the command's usage and flags

	dataDir    string
	configFile string
	database   string
	blobs      string
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// commands are the subcommands by name, one or two words.
var commands = map[string]*command{
	"serve":             {"serve [--data DIR] [--config FILE] [--database URL] [--blobs URL] [--sftp-addr A] [--https-addr A] [--metrics-addr A]", "run the gateway", cmdServe},
	"tenant add":        {"tenant add NAME", "add a tenant and its folder /NAME", cmdTenantAdd},
	"tenant list":       {"tenant list", "list tenants", cmdTenantList},
	"user add":          {"user add NAME [--tenant T] [--password-stdin] [--ssh-key FILE] [--home PATH] [--admin] [--quota BYTES] [--require-key-and-password]", "add a user", cmdUserAdd},
	"user list":         {"user list", "list users", cmdUserList},
	"user show":         {"user show NAME", "show a user with groups, keys and grants", cmdUserShow},
	"user disable":      {"user disable NAME", "stop a user from signing in; their open sessions fail from their next request", cmdUserDisable},
	"user enable":       {"user enable NAME", "let a disabled user sign in again", cmdUserEnable},
	"user remove":       {"user remove NAME", "remove a user; their files stay", cmdUserRemove},
	"user passwd":       {"user passwd NAME", "set a user's password, read from standard input", cmdUserPasswd},
	"user add-key":      {"user add-key NAME FILE", "add an SSH public key (FILE in authorized_keys form, - for stdin)", cmdUserAddKey},
	"user token":        {"user token NAME LABEL", "create an app token for WebDAV and the API; printed once", cmdUserToken},
	"user tokens":       {"user tokens NAME", "list a user's app tokens", cmdUserTokens},
	"user revoke-token": {"user revoke-token NAME ID", "revoke an app token (ID from user tokens)", cmdUserRevokeToken},
	"group list":        {"group list", "list groups", cmdGroupList},
	"group add":         {"group add NAME [--tenant T]", "add a group", cmdGroupAdd},
	"group add-member":  {"group add-member GROUP USER", "put a user in a group", cmdGroupAddMember},
	"grant":             {"grant SUBJECT PATH ACTIONS", "grant ACTIONS (list,read,write,delete,share,admin or all) on PATH to user:NAME or group:NAME", cmdGrant},
	"revoke":            {"revoke SUBJECT PATH", "remove SUBJECT's grant on PATH", cmdRevoke},
	"grants":            {"grants PATH", "list the grants on PATH", cmdGrants},
	"mkdir":             {"mkdir [-p] PATH", "make a folder, to grant it before anyone uploads (-p: and missing parents)", cmdMkdir},
	"key new":           {"key new", "print a new master key, ID:BASE64, for STRONGROOM_ENCRYPTION_KEY", cmdKeyNew},
	"versions":          {"versions PATH", "list the versions of a file", cmdVersions},
	"restore":           {"restore PATH VERSION", "make an old version current", cmdRestore},
	"audit list":        {"audit list [--user U] [--path P] [--since T] [--json]", "show audit records", cmdAuditList},
	"audit verify":      {"audit verify", "check the hash chain end to end", cmdAuditVerify},
	"audit export":      {"audit export [--format jsonl|csv] [--since T]", "write audit records to standard output", cmdAuditExport},
	"version":           {"version", "print the version", cmdVersion},
	"config example":    {"config example", "print the example configuration with every default", cmdConfigExample},
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// run runs one command line and returns the exit code.
func run(ctx context.Context, args []string, std *stdio, env []string) int {
	cmd, name, rest := lookup(args)
	if cmd == nil {
		if len(args) == 0 {
			// No command is a usage error: a script that lost its
			// arguments should not go on as if something ran.
			printHelp(std.err)
			return exitUsage
		}
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			printHelp(std.out)
			return exitOK
		}
		if group := subcommands(args[0]); len(group) > 0 {
			w, code := std.err, exitUsage
			if len(args) > 1 && (args[1] == "-h" || args[1] == "--help" || args[1] == "help") {
				w, code = std.out, exitOK
			} else if len(args) > 1 {
				fmt.Fprintf(w, "strongroom: unknown command %q\n", strings.Join(args[:2], " "))
			}
			fmt.Fprintf(w, "strongroom %s commands:\n", args[0])
			for _, n := range group {
				fmt.Fprintf(w, "  %-22s %s\n", commands[n].usage, commands[n].short)
			}
			return code
		}
		fmt.Fprintf(std.err, "strongroom: unknown command %q: run `strongroom help` for the list\n", strings.Join(args[:min(len(args), 2)], " "))
		return exitUsage
	}

	c := &cmdContext{io: std, env: env, fs: flag.NewFlagSet("strongroom "+name, flag.ContinueOnError)}
	// The flag package's own report of a bad flag is replaced by run's
	// one line; -h prints the usage (see parse).
	c.fs.SetOutput(io.Discard)
	c.fs.Usage = func() {} // parse prints the usage for -h; run, a line for a mistake
	c.usage = func() {
		fmt.Fprintf(std.err, "usage: strongroom %s\n\n%s.\n\nflags:\n", cmd.usage, cmd.short)
		c.fs.SetOutput(std.err)
		c.fs.PrintDefaults()
	}
	c.fs.StringVar(&c.dataDir, "data", "", "data folder of the embedded default (default ./data, or the config's data)")
	c.fs.StringVar(&c.configFile, "config", "", "configuration file (strongroom config example prints one)")
	c.fs.StringVar(&c.database, "database", "", "metadata database URL: postgres://... (default: SQLite in the data folder)")
	c.fs.StringVar(&c.blobs, "blobs", "", "blob store URL: s3://BUCKET?endpoint=HOST:PORT&region=R&tls=false (default: a folder in the data folder)")

	err := cmd.run(ctx, c, rest)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(std.err, "strongroom %s: %s\nusage: strongroom %s\n", name, ue.msg, cmd.usage)
		return exitUsage
	default:
		fmt.Fprintf(std.err, "strongroom %s: %s\n", name, oneLine(err, name))
		return exitFail
	}
}

// lookup finds the command named by the first one or two words.
func lookup(args []string) (*command, string, []string) {
	if len(args) >= 2 {
		if c, ok := commands[args[0]+" "+args[1]]; ok {
			return c, args[0] + " " + args[1], args[2:]
		}
	}
	if len(args) >= 1 {
		if c, ok := commands[args[0]]; ok {
			return c, args[0], args[1:]
		}
	}
	return nil, "", nil
}

// subcommands lists the two-word commands whose first word is word.
func subcommands(word string) []string {
	var out []string
	for n := range commands {
		if strings.HasPrefix(n, word+" ") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "Strongroom: secure file transfer gateway and document portal.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: strongroom COMMAND [flags]")
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-18s %s\n", n, commands[n].short)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command takes --data DIR, --config FILE, --database URL and --blobs URL;")
	fmt.Fprintln(w, "`strongroom COMMAND --help` shows the rest. Exit codes: 0 ok, 1 failed, 2 usage error.")
}

// parse reads flags wherever they stand among the arguments (Go's flag
// package stops at the first non-flag) and checks the count of the rest.
func (c *cmdContext) parse(args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.usage()
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		if c.fs.NArg() == 0 {
			break
		}
		pos = append(pos, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
	if len(pos) < min || (max >= 0 && len(pos) > max) {
		if max == min {
			return nil, usagef("want %d argument(s), got %d", min, len(pos))
		}
		return nil, usagef("wrong number of arguments (%d)", len(pos))
	}
	return pos, nil
}

// config loads the configuration with the command line's overrides.
func (c *cmdContext) config() (*configs.Config, error) {
	cfg, err := configs.Load(c.configFile, c.env)
	if err != nil {
		return nil, err
	}
	if c.dataDir != "" {
		cfg.Data = c.dataDir
	}
	if c.database != "" {
		cfg.Database.URL = c.database
	}
	if c.blobs != "" {
		cfg.Blobs.URL = c.blobs
	}
	return cfg, nil
}

// oneLine keeps an error to one line, as INTERFACE.md promises. A vfs
// error is told once: its operation, path and kind, then the innermost
// cause, rather than every layer's wrapping of it. The operation is left
// out when it is the command, which the message already begins with, or
// the audit trail's name for it ("user.key.add").
func oneLine(err error, command string) string {
	msg := err.Error()
	var ve *vfs.Error
	if errors.As(err, &ve) {
		var parts []string
		if ve.Op != command && !strings.Contains(ve.Op, ".") {
			parts = append(parts, ve.Op)
		}
		if ve.Path != "" {
			parts = append(parts, ve.Path)
		}
		msg = strings.Join(parts, " ")
		if msg != "" {
			msg += ": "
		}
		msg += ve.Kind.String()
		if cause := innermost(ve); cause != "" && cause != ve.Kind.String() {
			msg += ": " + cause
		}
	}
	return strings.ReplaceAll(strings.TrimSpace(msg), "\n", "; ")
}

// innermost is the text of the deepest cause below the vfs errors in
// err's chain.
func innermost(err error) string {
	text := ""
	for e := err; e != nil; e = errors.Unwrap(e) {
		var ve *vfs.Error
		if errors.As(e, &ve) && ve == e {
			continue
		}
		text = e.Error()
		break
	}
	return text
}

func cmdVersion(ctx context.Context, c *cmdContext, args []string) error {
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "strongroom %s\n", version)
	return nil
}

func cmdConfigExample(ctx context.Context, c *cmdContext, args []string) error {
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	fmt.Fprint(c.io.out, configs.Example)
	return nil
}
