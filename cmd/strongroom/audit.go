package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"strongroom/audit"
	"strongroom/vfs/meta"
)

// parseSince reads a time as RFC 3339 ("2026-12-01T09:00:00Z"), a date
// ("2026-12-01", midnight UTC), or a duration back from now ("24h").
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, usagef("--since %q: give a time (2026-12-01T09:00:00Z), a date (2026-12-01) or a duration back from now (24h)", s)
}

func cmdAuditList(ctx context.Context, c *cmdContext, args []string) error {
	var f meta.AuditFilter
	var since string
	var asJSON bool
	c.fs.StringVar(&f.User, "user", "", "only records of this user")
	c.fs.StringVar(&f.PathPrefix, "path", "", "only records on this path or below it")
	c.fs.StringVar(&since, "since", "", "only records from this time on (RFC 3339, a date, or a duration such as 24h)")
	c.fs.IntVar(&f.Limit, "limit", 0, "at most this many records, the oldest first (0: all); with --since for the latest")
	c.fs.BoolVar(&asJSON, "json", false, "print JSON lines instead of a table")
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	if f.Limit < 0 {
		return usagef("--limit is a number of records, or 0 for all")
	}
	var err error
	if f.Since, err = parseSince(since, time.Now()); err != nil {
		return err
	}
	a, done, err := c.openAdmin(ctx)
	if err != nil {
		return err
	}
	defer done()

	if asJSON {
		w := audit.NewJSONLWriter(c.io.out)
		if err := a.AuditEvents(ctx, f, w.Write); err != nil {
			return err
		}
		return w.Close()
	}
	tw := tabwriter.NewWriter(c.io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tUSER\tPROTOCOL\tOP\tPATH\tOUTCOME\tDETAIL")
	err = a.AuditEvents(ctx, f, func(e *audit.Event) error {
		detail := e.Reason
		if e.Target != "" {
			detail = strings.TrimSpace("-> " + e.Target + " " + detail)
		}
		_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Time.UTC().Format(time.RFC3339),
			printable(e.User), e.Protocol, e.Op, printable(e.Path), e.Outcome, printable(detail))
		return err
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}

func cmdAuditExport(ctx context.Context, c *cmdContext, args []string) error {
	var format, since string
	c.fs.StringVar(&format, "format", "jsonl", "jsonl or csv")
	c.fs.StringVar(&since, "since", "", "only records from this time on")
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	var f meta.AuditFilter
	var err error
	if f.Since, err = parseSince(since, time.Now()); err != nil {
		return err
	}
	var w audit.Writer
	switch format {
	case "jsonl":
		w = audit.NewJSONLWriter(c.io.out)
	case "csv":
		w = audit.NewCSVWriter(c.io.out)
	default:
		return usagef("--format %q: use jsonl or csv", format)
	}
	a, done, err := c.openAdmin(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := a.AuditEvents(ctx, f, w.Write); err != nil {
		return err
	}
	return w.Close()
}

func cmdAuditVerify(ctx context.Context, c *cmdContext, args []string) error {
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	a, done, err := c.openAdmin(ctx)
	if err != nil {
		return err
	}
	defer done()
	n, heads, err := a.VerifyAudit(ctx)
	var bad *audit.BadRecordError
	if errors.As(err, &bad) {
		return fmt.Errorf("audit chain broken: %v (%d records read); the records from there on cannot be trusted", bad, n)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "audit chain intact: %d records in %d chains\n", n, len(heads))
	for _, h := range heads {
		if h.Seq > 0 {
			fmt.Fprintf(c.io.out, "chain %d: %d records, head %x\n", h.Chain, h.Seq, h.Hash)
		}
	}
	return nil
}

// printable escapes control characters, so that a name a client chose
// cannot move the cursor or clear the operator's terminal.
func printable(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
