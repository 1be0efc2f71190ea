package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
)

// ReadOne reads what was committed with one SELECT and nothing else: a
// second statement, a write, or a statement that is not a SELECT are
// refused, so that no read can lose the one snapshot its single statement
// had. Its statement is prepared on SQLite as Read's are, and still
// answers the same once it is (the loop runs past the second sight).
func TestReadOneRunsExactlyOneSelect(t *testing.T) {
	ctx := context.Background()
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "readone", nil)
			if err := db.Write(ctx, func(tx *sqlstore.Tx) error {
				if _, err := tx.Exec(ctx, `CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT NOT NULL)`); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO t (k, v) VALUES ('a', 1), ('b', 2)`)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				got, err := sqlstore.QueryOne(ctx, db, func(tx *sqlstore.Tx) (int64, error) {
					var v int64
					err := tx.QueryRow(ctx, `SELECT v FROM t WHERE k = ?`, "b").Scan(&v)
					return v, err
				})
				if err != nil || got != 2 {
					t.Fatalf("read %d: QueryOne = %d, %v; want 2", i, got, err)
				}
			}
			var sum int64
			err := db.ReadOne(ctx, func(tx *sqlstore.Tx) error {
				rows, err := tx.Query(ctx, `SELECT v FROM t ORDER BY k`)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var v int64
					if err := rows.Scan(&v); err != nil {
						return err
					}
					sum += v
				}
				return rows.Err()
			})
			if err != nil || sum != 3 {
				t.Fatalf("ReadOne with Query: sum %d, %v; want 3", sum, err)
			}

			// A second statement, by Query.
			err = db.ReadOne(ctx, func(tx *sqlstore.Tx) error {
				var v int64
				if err := tx.QueryRow(ctx, `SELECT v FROM t WHERE k = ?`, "a").Scan(&v); err != nil {
					return err
				}
				rows, err := tx.Query(ctx, `SELECT v FROM t`)
				if err == nil {
					rows.Close()
				}
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "second statement") {
				t.Fatalf("a second statement by Query: %v; want it refused", err)
			}
			// A second statement, by QueryRow: a panic, a *sql.Row having no
			// room for the error.
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.Contains(r.(error).Error(), "second statement") {
						t.Fatalf("a second statement by QueryRow: recovered %v; want a panic refusing it", r)
					}
				}()
				_ = db.ReadOne(ctx, func(tx *sqlstore.Tx) error {
					var v int64
					_ = tx.QueryRow(ctx, `SELECT v FROM t WHERE k = ?`, "a").Scan(&v)
					return tx.QueryRow(ctx, `SELECT v FROM t WHERE k = ?`, "b").Scan(&v)
				})
			}()
			// No write, whether by Exec or by a query.
			err = db.ReadOne(ctx, func(tx *sqlstore.Tx) error {
				_, err := tx.Exec(ctx, `DELETE FROM t`)
				return err
			})
			if err == nil {
				t.Fatal("Exec in ReadOne was not refused")
			}
			err = db.ReadOne(ctx, func(tx *sqlstore.Tx) error {
				rows, err := tx.Query(ctx, `DELETE FROM t RETURNING v`)
				if err == nil {
					rows.Close()
				}
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "not DELETE") {
				t.Fatalf("a DELETE through Query in ReadOne: %v; want it refused", err)
			}
			var n int64
			if err := db.Read(ctx, func(tx *sqlstore.Tx) error {
				return tx.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n)
			}); err != nil || n != 2 {
				t.Fatalf("rows left: %d, %v; want both", n, err)
			}
		})
	}
}
