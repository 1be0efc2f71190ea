package sqlstore_test

import (
	"sync"
	"testing"
	"time"

	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
)

// An exclusive holder of a key keeps a shared taker of the same key waiting
// until it commits, while shared takers do not wait for each other and a
// different key is not held at all. On SQLite the write transactions are
// serial anyway, so only the order is asserted there.
func TestLockOrdersWritersOfOneKey(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "lock", nil)
			ctx := t.Context()
			var (
				mu    sync.Mutex
				order []string
			)
			note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
			held := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				<-held
				done <- db.Write(ctx, func(tx *sqlstore.Tx) error {
					if err := tx.Lock(ctx, "contracts/C1", true); err != nil {
						return err
					}
					note("shared acquired")
					return nil
				})
			}()
			err := db.Write(ctx, func(tx *sqlstore.Tx) error {
				if err := tx.Lock(ctx, "contracts/C1", false); err != nil {
					return err
				}
				close(held)
				// Give the shared taker time to reach its Lock and wait.
				time.Sleep(300 * time.Millisecond)
				note("exclusive released")
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if len(order) != 2 || order[0] != "exclusive released" {
				t.Fatalf("order %v; want the exclusive holder to finish before the shared taker acquires", order)
			}
			if dialect != "postgres" {
				return
			}
			// Two shared holders and another key's exclusive holder coexist:
			// each of these transactions takes its lock while the first is
			// still open, which would deadlock if they excluded each other.
			err = db.Write(ctx, func(tx *sqlstore.Tx) error {
				if err := tx.Lock(ctx, "contracts/C1", true); err != nil {
					return err
				}
				return db.Write(ctx, func(tx2 *sqlstore.Tx) error {
					if err := tx2.Lock(ctx, "contracts/C1", true); err != nil {
						return err
					}
					return tx2.Lock(ctx, "contracts/C2", false)
				})
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TryLock does not wait: on PostgreSQL, while one transaction holds a key,
// another's TryLock of it answers false at once, and true once the holder
// has committed. SQLite has one writer and TryLock always succeeds.
func TestTryLockDoesNotWait(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "trylock", nil)
			ctx := t.Context()
			if dialect == sqltest.SQLite {
				err := db.Write(ctx, func(tx *sqlstore.Tx) error {
					got, err := tx.TryLock(ctx, "k")
					if err == nil && !got {
						t.Error("TryLock on SQLite answered false")
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			go func() {
				done <- db.Write(ctx, func(tx *sqlstore.Tx) error {
					if err := tx.Lock(ctx, "k", false); err != nil {
						return err
					}
					close(held)
					<-release
					return nil
				})
			}()
			<-held
			try := func() bool {
				var got bool
				if err := db.Write(ctx, func(tx *sqlstore.Tx) (err error) {
					got, err = tx.TryLock(ctx, "k")
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return got
			}
			if try() {
				t.Error("TryLock took a key another transaction holds")
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if !try() {
				t.Error("TryLock did not take a key no one holds")
			}
		})
	}
}
