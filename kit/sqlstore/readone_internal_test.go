package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
)

// ReadOne runs a statement the read pool has prepared as the prepared
// statement, on the pool, with no transaction around it; and it answers
// as unprepared.
func TestReadOneUsesThePreparedStatement(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), "s")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO t (k, v) VALUES ('a', 7)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	const q = `SELECT v FROM t WHERE k = ?`
	st, err := db.read.PrepareContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	db.readStmts.mu.Lock()
	db.readStmts.m[q] = st // as the cache does on a statement's second sight
	db.readStmts.mu.Unlock()
	for range 3 {
		var v int
		if err := db.ReadOne(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, q, "a").Scan(&v) }); err != nil || v != 7 {
			t.Fatalf("ReadOne of a prepared statement = %d, %v; want 7", v, err)
		}
	}
	if got := db.read.Stats().InUse; got != 0 {
		t.Fatalf("%d read connections still in use after the reads; want none", got)
	}
}
