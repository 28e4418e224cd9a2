package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"strongroom/policy"
	"strongroom/vfs"
	"strongroom/vfs/blob/cryptblob"
)

// openAdmin opens the metadata store named by the configuration and
// returns an Admin acting as the operator at this terminal. Admin commands
// never touch the blob store, so they need neither it nor the master key.
func (c *cmdContext) openAdmin(ctx context.Context) (*vfs.Admin, func(), error) {
	cfg, err := c.config()
	if err != nil {
		return nil, nil, err
	}
	m, err := openMeta(ctx, cfg, false)
	if err != nil {
		return nil, nil, err
	}
	fs := vfs.New(m, nil, nil)
	actor := "cli:" + envValue(c.env, "USER", "operator")
	info := vfs.SessionInfo{Protocol: "cli", SessionID: fmt.Sprintf("cli-%d-%d", os.Getpid(), time.Now().UnixNano())}
	return fs.Admin(actor, 0, info), func() { m.Close() }, nil
}

// withAdmin parses the arguments (between min and max of them besides
// flags), opens the metadata store, and runs fn with an Admin over it.
func (c *cmdContext) withAdmin(ctx context.Context, args []string, min, max int, fn func(a *vfs.Admin, pos []string) error) error {
	pos, err := c.parse(args, min, max)
	if err != nil {
		return err
	}
	a, done, err := c.openAdmin(ctx)
	if err != nil {
		return err
	}
	defer done()
	return fn(a, pos)
}

func envValue(env []string, name, def string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name && v != "" {
			return v
		}
	}
	return def
}

func cmdTenantAdd(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 1, 1, func(a *vfs.Admin, pos []string) error {
		t, err := a.AddTenant(ctx, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(c.io.out, "tenant %s added, folder /%s\n", t.Name, t.Name)
		return nil
	})
}

func cmdTenantList(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 0, 0, func(a *vfs.Admin, _ []string) error {
		ts, err := a.Tenants(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			fmt.Fprintf(c.io.out, "%s\t/%s\n", t.Name, t.Name)
		}
		return nil
	})
}

func cmdUserAdd(ctx context.Context, c *cmdContext, args []string) error {
	var opts vfs.UserOptions
	var pwStdin, requireBoth bool
	var keyFile string
	c.fs.StringVar(&opts.Tenant, "tenant", "", "tenant the user belongs to")
	c.fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of standard input")
	c.fs.StringVar(&keyFile, "ssh-key", "", "file of SSH public keys in authorized_keys form")
	c.fs.StringVar(&opts.Home, "home", "", "root the user's sessions at this existing folder; they get only what grants allow there\n(default: a new folder NAME in the tenant's folder, with every action)")
	c.fs.BoolVar(&opts.Admin, "admin", false, "make the user an administrator of their tenant (or of the portal, without --tenant), rooted at its folder")
	c.fs.Int64Var(&opts.QuotaBytes, "quota", 0, "bytes the user may store, counting old versions (0: no limit)")
	c.fs.BoolVar(&requireBoth, "require-key-and-password", false, "SSH sign-in needs both a key and the password")
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	if opts.QuotaBytes < 0 {
		return usagef("--quota is a number of bytes, or 0 for no limit")
	}
	if pwStdin {
		if opts.Password, err = readLine(c.io.in); err != nil {
			return fmt.Errorf("read password from standard input: %w", err)
		}
	}
	if keyFile != "" {
		if opts.SSHKeys, err = readKeys(c.io.in, keyFile); err != nil {
			return err
		}
	}
	if opts.Password == "" && len(opts.SSHKeys) == 0 {
		return usagef("give the user a password (--password-stdin) or a key (--ssh-key), or they cannot sign in")
	}
	if requireBoth && (opts.Password == "" || len(opts.SSHKeys) == 0) {
		return usagef("--require-key-and-password needs both --password-stdin and --ssh-key")
	}

	a, done, err := c.openAdmin(ctx)
	if err != nil {
		return err
	}
	defer done()
	u, err := a.AddUser(ctx, pos[0], opts)
	if err != nil {
		return err
	}
	if requireBoth {
		if err := a.UpdateUser(ctx, u.Name, func(u *policy.User) { u.RequireBoth = true }); err != nil {
			return err
		}
	}
	d, err := a.User(ctx, u.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "user %s added, home %s\n", u.Name, d.Home)
	return nil
}

// readLine reads one line, without its line ending.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("standard input is empty")
	}
	return line, nil
}

// readKeys reads the key lines of an authorized_keys file ("-" for stdin).
func readKeys(stdin io.Reader, file string) ([]string, error) {
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("read SSH keys: %w", err)
	}
	var keys []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			keys = append(keys, line)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no SSH public key in %s", file)
	}
	return keys, nil
}

func cmdUserList(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 0, 0, func(a *vfs.Admin, _ []string) error {
		us, err := a.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.io.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATE\tADMIN\tUSED\tQUOTA")
		for _, u := range us {
			state := "active"
			if u.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%v\t%d\t%d\n", u.Name, state, u.Admin, u.UsedBytes, u.QuotaBytes)
		}
		return tw.Flush()
	})
}

func cmdUserShow(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 1, 1, func(a *vfs.Admin, pos []string) error {
		d, err := a.User(ctx, pos[0])
		if err != nil {
			return err
		}
		u := d.User
		w := c.io.out
		fmt.Fprintf(w, "name:      %s\n", u.Name)
		fmt.Fprintf(w, "tenant:    %s\n", orNone(d.Tenant))
		fmt.Fprintf(w, "home:      %s\n", d.Home)
		fmt.Fprintf(w, "disabled:  %v\n", u.Disabled)
		fmt.Fprintf(w, "admin:     %v\n", u.Admin)
		fmt.Fprintf(w, "password:  %v\n", u.PasswordHash != "")
		fmt.Fprintf(w, "key+password required: %v\n", u.RequireBoth)
		fmt.Fprintf(w, "used:      %d bytes\n", u.UsedBytes)
		fmt.Fprintf(w, "quota:     %d bytes\n", u.QuotaBytes)
		fmt.Fprintf(w, "groups:    %s\n", orNone(strings.Join(d.Groups, ", ")))
		for _, k := range d.Keys {
			fmt.Fprintf(w, "ssh key:   %s %s\n", k.Fingerprint, k.Comment)
		}
		for _, g := range d.Grants {
			fmt.Fprintf(w, "grant:     %s %s (%s)\n", g.Path, g.Actions, g.Subject)
		}
		return nil
	})
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func cmdUserDisable(ctx context.Context, c *cmdContext, args []string) error {
	return setDisabled(ctx, c, args, true)
}

func cmdUserEnable(ctx context.Context, c *cmdContext, args []string) error {
	return setDisabled(ctx, c, args, false)
}

func setDisabled(ctx context.Context, c *cmdContext, args []string, disabled bool) error {
	return c.withAdmin(ctx, args, 1, 1, func(a *vfs.Admin, pos []string) error {
		if err := a.SetDisabled(ctx, pos[0], disabled); err != nil {
			return err
		}
		state := "enabled"
		if disabled {
			state = "disabled"
		}
		fmt.Fprintf(c.io.out, "user %s %s\n", pos[0], state)
		return nil
	})
}

func cmdUserRemove(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 1, 1, func(a *vfs.Admin, pos []string) error {
		if err := a.RemoveUser(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(c.io.out, "user %s removed; their files stay\n", pos[0])
		return nil
	})
}

func cmdUserPasswd(ctx context.Context, c *cmdContext, args []string) error {
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	pw, err := readLine(c.io.in)
	if err != nil {
		return fmt.Errorf("read password from standard input: %w", err)
	}
	a, done, err := c.openAdmin(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := a.SetPassword(ctx, pos[0], pw); err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "password of %s set\n", pos[0])
	return nil
}

func cmdUserAddKey(ctx context.Context, c *cmdContext, args []string) error {
	pos, err := c.parse(args, 2, 2)
	if err != nil {
		return err
	}
	keys, err := readKeys(c.io.in, pos[1])
	if err != nil {
		return err
	}
	a, done, err := c.openAdmin(ctx)
	if err != nil {
		return err
	}
	defer done()
	for _, line := range keys {
		k, err := a.AddSSHKey(ctx, pos[0], line)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.io.out, "key %s added to %s\n", k.Fingerprint, pos[0])
	}
	return nil
}

func cmdUserToken(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 2, 2, func(a *vfs.Admin, pos []string) error {
		secret, err := a.NewAppToken(ctx, pos[0], pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintln(c.io.out, secret)
		return nil
	})
}

func cmdUserTokens(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 1, 1, func(a *vfs.Admin, pos []string) error {
		ts, err := a.AppTokens(ctx, pos[0])
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.io.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tLABEL\tCREATED")
		for _, t := range ts {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", t.ID, t.Label, t.Created.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

func cmdUserRevokeToken(ctx context.Context, c *cmdContext, args []string) error {
	pos, err := c.parse(args, 2, 2)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(pos[1], 10, 64)
	if err != nil {
		return usagef("token id %q is not a number: `strongroom user tokens %s` lists them", pos[1], pos[0])
	}
	a, done, err := c.openAdmin(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := a.RevokeAppToken(ctx, pos[0], id); err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "token %d of %s revoked\n", id, pos[0])
	return nil
}

func cmdGroupList(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 0, 0, func(a *vfs.Admin, _ []string) error {
		gs, err := a.Groups(ctx)
		if err != nil {
			return err
		}
		for _, g := range gs {
			fmt.Fprintln(c.io.out, g.Name)
		}
		return nil
	})
}

func cmdGroupAdd(ctx context.Context, c *cmdContext, args []string) error {
	var tenant string
	c.fs.StringVar(&tenant, "tenant", "", "tenant the group belongs to")
	return c.withAdmin(ctx, args, 1, 1, func(a *vfs.Admin, pos []string) error {
		if _, err := a.AddGroup(ctx, pos[0], tenant); err != nil {
			return err
		}
		fmt.Fprintf(c.io.out, "group %s added\n", pos[0])
		return nil
	})
}

func cmdGroupAddMember(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 2, 2, func(a *vfs.Admin, pos []string) error {
		if err := a.AddMember(ctx, pos[0], pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(c.io.out, "user %s is in group %s\n", pos[1], pos[0])
		return nil
	})
}

func cmdGrant(ctx context.Context, c *cmdContext, args []string) error {
	pos, err := c.parse(args, 3, 3)
	if err != nil {
		return err
	}
	actions, err := policy.ParseActions(pos[2])
	if err != nil {
		return usagef("%v", err)
	}
	a, done, err := c.openAdmin(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := a.Grant(ctx, pos[0], pos[1], actions); err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "%s may %s on %s\n", pos[0], actions, pos[1])
	return nil
}

func cmdRevoke(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 2, 2, func(a *vfs.Admin, pos []string) error {
		if err := a.Revoke(ctx, pos[0], pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(c.io.out, "grant of %s on %s removed\n", pos[0], pos[1])
		return nil
	})
}

func cmdGrants(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 1, 1, func(a *vfs.Admin, pos []string) error {
		gs, err := a.Grants(ctx, pos[0])
		if err != nil {
			return err
		}
		for _, g := range gs {
			fmt.Fprintf(c.io.out, "%s\t%s\n", g.Subject, g.Actions)
		}
		return nil
	})
}

func cmdVersions(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 1, 1, func(a *vfs.Admin, pos []string) error {
		vs, err := a.Versions(ctx, pos[0])
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.io.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tCREATED\tBY\tSIZE\tSHA256\t")
		for _, v := range vs {
			mark := ""
			if v.Current {
				mark = "current"
			}
			if v.RestoredFrom != "" {
				mark = strings.TrimSpace(mark + " restores " + v.RestoredFrom)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%x\t%s\n", v.ID, v.Created.UTC().Format(time.RFC3339), v.CreatedBy, v.Size, v.SHA256, mark)
		}
		return tw.Flush()
	})
}

func cmdRestore(ctx context.Context, c *cmdContext, args []string) error {
	return c.withAdmin(ctx, args, 2, 2, func(a *vfs.Admin, pos []string) error {
		v, err := a.Restore(ctx, pos[0], pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(c.io.out, "%s: version %s restored as version %s\n", pos[0], pos[1], v.ID)
		return nil
	})
}

func cmdMkdir(ctx context.Context, c *cmdContext, args []string) error {
	var parents bool
	c.fs.BoolVar(&parents, "p", false, "make missing parent folders too")
	return c.withAdmin(ctx, args, 1, 1, func(a *vfs.Admin, pos []string) error {
		if err := a.Mkdir(ctx, pos[0], parents); err != nil {
			return err
		}
		fmt.Fprintf(c.io.out, "folder %s made\n", pos[0])
		return nil
	})
}

func cmdKeyNew(ctx context.Context, c *cmdContext, args []string) error {
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	k, err := cryptblob.GenerateKey()
	if err != nil {
		return err
	}
	fmt.Fprintln(c.io.out, k.Encode())
	return nil
}
