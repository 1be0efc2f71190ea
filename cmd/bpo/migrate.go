package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/acme/bpo/kit/sqlstore"
)

// migrate brings the stores of the chosen services to this build's schema
// and exits: the step a deployment runs once per release (a Kubernetes
// init container, a Job) before the new build serves. Each schema's
// migrations run under goose's PostgreSQL advisory lock, so replicas
// starting together migrate once; `bpo serve` still migrates at start,
// which is then a check that finds nothing to do.
func migrate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var st stores
	st.flags(fs, "migrate")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: flags only (bpo migrate -h)", fs.Arg(0))
	}
	if err := envDefaults(fs); err != nil {
		return err
	}
	if err := st.check(); err != nil {
		return err
	}
	for _, s := range st.selected() {
		if !s.Stored() {
			continue
		}
		dsn := st.dsn(s.Name)
		db, err := sqlstore.Open(ctx, dsn, s.Schema)
		if err != nil {
			return fmt.Errorf("%s store: %w", s.Name, err)
		}
		err = db.Migrate(ctx, s.Migrations)
		_ = db.Close()
		if err != nil {
			return fmt.Errorf("%s store: %w", s.Name, err)
		}
		fmt.Fprintf(out, "%-10s  migrated (%s)\n", s.Name, sqlstore.Redact(dsn))
	}
	return nil
}
