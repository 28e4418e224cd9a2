// Command strongroom is the Strongroom gateway: `strongroom serve` runs
// SFTP, WebDAV, the web UI and the API over one virtual filesystem, and
// the other subcommands administer it, while it runs or not.
//
// Run `strongroom help` for the subcommands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Environ())
	stop()
	os.Exit(code)
}
