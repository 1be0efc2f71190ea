package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/platform"
)

// TestMigrateBringsEachSchemaToThisBuild: `bpo migrate` migrates every
// stored service's schema and exits; run again (the next pod of a
// rollout) it succeeds, and so does the migration `bpo serve` runs at
// start on a store it migrated.
func TestMigrateBringsEachSchemaToThisBuild(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			args := []string{"--data-dir", t.TempDir(), "--db", ""}
			if dialect == sqltest.Postgres {
				args = []string{"--db", sqltest.DSN(t, dialect)}
			}
			ctx := context.Background()
			for run := 1; run <= 2; run++ {
				var out bytes.Buffer
				if err := migrate(ctx, args, &out); err != nil {
					t.Fatalf("run %d: %v", run, err)
				}
				// Four stored services (the lifecycle view keeps none).
				if n := strings.Count(out.String(), " migrated "); n != 4 {
					t.Fatalf("run %d printed %q; want 4 services migrated", run, out.String())
				}
			}
			var st stores
			st.dataDir, st.db = args[1], ""
			if dialect == sqltest.Postgres {
				st.db = args[1]
			}
			for _, s := range platform.Services {
				if !s.Stored() {
					continue
				}
				db, err := sqlstore.Open(ctx, st.dsn(s.Name), s.Schema)
				if err != nil {
					t.Fatal(err)
				}
				// Migrated already: another Migrate has nothing to apply
				// and must not fail.
				if err := db.Migrate(ctx, s.Migrations); err != nil {
					t.Errorf("%s: migrate after bpo migrate: %v", s.Name, err)
				}
				_ = db.Close()
			}
		})
	}
	if err := migrate(context.Background(), []string{"--service", "nosuch"}, &bytes.Buffer{}); err == nil {
		t.Errorf("bpo migrate --service nosuch: no error")
	}
}
