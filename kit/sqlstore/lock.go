package sqlstore

import (
	"context"
	"fmt"
)

// Lock holds a lock named key until tx ends, shared with other shared
// holders or exclusive, for writers whose rule spans rows a row lock cannot
// name: "no measurement enters a period while it is being closed" is a
// check on one table (closed periods) guarding inserts into another.
//
// On PostgreSQL it is a transaction-scoped advisory lock on a 64-bit hash
// of key; take it before the reads it guards, so that under READ COMMITTED
// those reads see everything committed by the holders before it. On SQLite
// it does nothing: a write transaction there already holds the database's
// one write lock from its start (_txlock=immediate).
func (t *Tx) Lock(ctx context.Context, key string, shared bool) error {
	if t.dialect != Postgres {
		return nil
	}
	fn := "pg_advisory_xact_lock"
	if shared {
		fn += "_shared"
	}
	if _, err := t.Exec(ctx, "SELECT "+fn+"(hashtextextended(?, 0))", key); err != nil {
		return fmt.Errorf("lock %q: %w", key, err)
	}
	return nil
}

// TryLock takes the exclusive lock named key until tx ends if no other
// transaction holds it, and reports whether it did, without waiting: for
// work any later transaction may do instead (compaction). On SQLite it
// always succeeds, as Lock does nothing there.
func (t *Tx) TryLock(ctx context.Context, key string) (bool, error) {
	if t.dialect != Postgres {
		return true, nil
	}
	var got bool
	if err := t.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock(hashtextextended(?, 0))", key).Scan(&got); err != nil {
		return false, fmt.Errorf("try lock %q: %w", key, err)
	}
	return got, nil
}
