package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// stmtCache keeps SQLite statements prepared, per pool: modernc's driver
// compiles a statement's SQL on every call, and for a GetProvider that
// was a tenth of the server's time (README, "Performance"). PostgreSQL
// needs none: pgx keeps each connection's statements prepared itself.
//
// A statement not prepared yet runs unprepared, and is prepared in the
// background: preparing on the pool needs a connection of its own, and a
// transaction waiting for one while it holds one (the writer pool has a
// single connection) would wait forever. database/sql then prepares the
// statement once on each connection that runs it, in that connection's
// transaction. A statement is prepared the second time it is seen, and
// at most stmtCacheSize are kept per pool: the SQL of lists and batches
// varies with their length, and a length seen once should not take the
// place of a statement that runs on every call. What is not kept runs
// unprepared, as before.
type stmtCache struct {
	pool *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt // nil while being prepared
	seen map[string]bool      // seen once; emptied when it reaches seenSize
}

const (
	stmtCacheSize = 256
	seenSize      = 1024
)

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, seen: map[string]bool{}}
}

// get returns query prepared, or nil when it is not (yet).
func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[query]
	if ok || len(c.m) >= stmtCacheSize {
		return st
	}
	if !c.seen[query] {
		if len(c.seen) >= seenSize {
			clear(c.seen)
		}
		c.seen[query] = true
		return nil
	}
	delete(c.seen, query)
	c.m[query] = nil
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		st, err := c.pool.PrepareContext(ctx, query)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			delete(c.m, query) // tried again next time
			return
		}
		c.m[query] = st
	}()
	return nil
}

// close closes the prepared statements; the pool closes after.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		if st != nil {
			_ = st.Close()
		}
		delete(c.m, q)
	}
}
