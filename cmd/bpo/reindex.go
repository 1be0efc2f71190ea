package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// reindex rebuilds the facets of every document the chosen services store
// and prints how many each indexed. `bpo serve` already rebuilds, at
// start-up, a collection whose filter fields changed; reindex is for
// facets to be trusted again after a store was changed by hand or
// restored. It may run beside live services: a document changed between
// its read and its rewrite is skipped (its writer indexed it).
func reindex(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	var st stores
	st.flags(fs, "reindex")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: flags only (bpo reindex -h)", fs.Arg(0))
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
		n, err := s.Reindex(ctx, st.dsn(s.Name))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%-10s  %d documents reindexed\n", s.Name, n)
	}
	return nil
}
