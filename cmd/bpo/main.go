// Command bpo runs the BPO lifecycle platform.
//
//	bpo serve                 every service and the REST gateway, on SQLite files
//	bpo serve --service catalog --db postgres://…   one service alone
//	bpo reindex               rebuild the filter facets of every stored document
//	bpo migrate               migrate the stores to this build (once per release)
//	bpo token --role approver  a token signed with the local key
//	bpo demo                  walk one engagement through the six steps against a running serve
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `bpo — the BPO lifecycle platform

Usage:
  bpo serve [flags]    run the services and the REST gateway (bpo serve -h)
  bpo reindex [flags]  rebuild the filter facets of the services' documents
                       (bpo reindex -h)
  bpo migrate [flags]  migrate the services' stores to this build and exit,
                       once per release before serving (bpo migrate -h)
  bpo token [flags]    print a token signed with the local key or
                       --jwt-secret-file (bpo token -h)
  bpo demo [flags]     walk one engagement through the six steps over REST
                       against a running bpo serve (bpo demo -h)

Every flag can also be set by an environment variable BPO_<FLAG>, e.g.
BPO_DATA_DIR for --data-dir; a flag given on the command line wins.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(ctx, os.Args[2:])
	case "reindex":
		err = reindex(ctx, os.Args[2:], os.Stdout)
	case "migrate":
		err = migrate(ctx, os.Args[2:], os.Stdout)
	case "token":
		err = token(os.Args[2:], os.Stdout, os.Stderr)
	case "demo":
		err = demo(ctx, os.Args[2:], os.Stdout)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "bpo: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bpo:", err)
		os.Exit(1)
	}
}
