package sqltest_test

import (
	"testing"

	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
)

func TestOpenGivesEachCallAFreshMigratedDatabase(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := t.Context()
			first := sqltest.Open(t, dialect, "sqltest", nil)
			second := sqltest.Open(t, dialect, "sqltest", nil)
			if got := first.Dialect.String(); got != dialect {
				t.Fatalf("Dialect = %s, want %s", got, dialect)
			}
			headSequence := func(db *sqlstore.DB) int64 {
				t.Helper()
				var seq int64
				err := db.Read(ctx, func(tx *sqlstore.Tx) error {
					return tx.QueryRow(ctx, `SELECT sequence FROM audit_head WHERE id = 1`).Scan(&seq)
				})
				if err != nil {
					t.Fatalf("read audit head: %v", err)
				}
				return seq
			}
			// The kit's migrations ran: the audit head exists at sequence 0.
			if got := headSequence(first); got != 0 {
				t.Fatalf("fresh audit head sequence = %d, want 0", got)
			}
			err := first.Write(ctx, func(tx *sqlstore.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE audit_head SET sequence = 5 WHERE id = 1`)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := headSequence(second); got != 0 {
				t.Fatalf("second database sees audit head sequence %d written to the first; want 0", got)
			}
		})
	}
}
