package sqlstore

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// A statement seen twice is prepared in the background and then used by
// the transactions of both pools — also by the writer pool's single
// connection, which a prepare in the foreground would wait for forever
// while its own transaction holds it — and answers as before.
func TestStatementsArePreparedOnSecondSightWithoutBlocking(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), "s")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	const insert, read = `INSERT INTO t (k, v) VALUES (?, ?)`, `SELECT v FROM t WHERE k = ?`
	prepared := func(c *stmtCache, q string) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.m[q] != nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; !prepared(db.writeStmts, insert) || !prepared(db.readStmts, read); i++ {
		if time.Now().After(deadline) {
			t.Fatal("the statements were not prepared within 10 s")
		}
		k := string(rune('a' + i%26))
		if err := db.Write(ctx, func(tx *Tx) error {
			_, err := tx.Exec(ctx, insert+` ON CONFLICT (k) DO UPDATE SET v = excluded.v`, k, i)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `DELETE FROM t WHERE k = ?`, k)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, insert, k, i)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var v int
		if err := db.Read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, read, k).Scan(&v) }); err != nil || v != i {
			t.Fatalf("read %s = %d, %v; want %d", k, v, err, i)
		}
		time.Sleep(time.Millisecond)
	}
	// Prepared now: used concurrently by both pools, with the same answers.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			k := "z" + string(rune('a'+i))
			if err := db.Write(ctx, func(tx *Tx) error { _, err := tx.Exec(ctx, insert, k, 100+i); return err }); err != nil {
				t.Error(err)
				return
			}
			var v int
			if err := db.Read(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, read, k).Scan(&v) }); err != nil || v != 100+i {
				t.Errorf("read %s = %d, %v; want %d", k, v, err, 100+i)
			}
		})
	}
	wg.Wait()
}

// The cache holds at most stmtCacheSize statements; a statement seen once
// takes no place.
func TestStatementCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), "s")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := db.readStmts
	c.get(`SELECT 0`)
	if len(c.m) != 0 {
		t.Fatalf("a statement seen once is kept")
	}
	for i := range stmtCacheSize + 10 {
		q := `SELECT ` + strconv.Itoa(i)
		c.get(q)
		c.get(q)
	}
	c.mu.Lock()
	n := len(c.m)
	c.mu.Unlock()
	if n != stmtCacheSize {
		t.Fatalf("the cache holds %d statements, want %d", n, stmtCacheSize)
	}
}
