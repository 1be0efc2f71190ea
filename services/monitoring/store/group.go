package store

import (
	"context"
	"errors"
	"sync"

	"github.com/acme/bpo/kit/sqlstore"
)

// Writer runs the write transactions of measurement batches. On SQLite,
// which has one writer and syncs every commit to disk (synchronous=FULL),
// batches that arrive while another commits are committed together, in
// one transaction and one sync — a group commit — each inside its own
// savepoint, so that:
//   - each batch is still all or nothing: one whose function fails is
//     rolled back to its savepoint, answered its own error, and the
//     others commit;
//   - each is answered only once the commit holding it is on disk, so a
//     batch is durable when answered, as before;
//   - each writes its own audit record, chained in commit order.
//
// A group's transaction runs without the callers' cancellation (their
// values, such as the caller's identity for the audit, are kept): SQLite
// rolls back a whole transaction when one of its statements is
// interrupted, which would fail the other batches of the group. A batch
// whose caller is gone before the group starts is not run.
//
// PostgreSQL commits concurrent transactions in parallel and groups their
// WAL syncs itself; there each batch keeps its own transaction, and at
// most pgWriters of them run at once (see there).
type Writer struct {
	db      *sqlstore.DB
	mu      sync.Mutex
	queue   []*job
	leading bool
	// slots holds a token for each PostgreSQL transaction running.
	slots chan struct{}
}

// pgWriters is how many batches one process writes to PostgreSQL at once.
// Concurrent transactions inserting into the measurements table queue for
// the lock that extends its files and indexes, and the longer the more
// there are: with 16 batches at once in the ingest benchmark the sessions
// waited on it in 59 % of the samples, and BatchCreateMeasurements
// stored 28 500 measurements/s; with 2 or 4 at once, 38 900 and 38 700/s
// (README, "Performance"). One at a time leaves the database idle between a
// batch's statements. More replicas write more at once.
const pgWriters = 4

// maxGroup bounds the batches of one group (10 000 measurements at most
// each).
const maxGroup = 32

type job struct {
	ctx  context.Context
	fn   func(context.Context, *sqlstore.Tx) error
	done chan error
}

var writers sync.Map // *sqlstore.DB → *Writer

// WriterOf returns the writer of db's measurements, one per store.
func WriterOf(db *sqlstore.DB) *Writer {
	if w, ok := writers.Load(db); ok {
		return w.(*Writer)
	}
	w, _ := writers.LoadOrStore(db, &Writer{db: db, slots: make(chan struct{}, pgWriters)})
	return w.(*Writer)
}

// Write runs fn in a write transaction, maybe together with other
// batches', and returns when that transaction is committed (nil) or fn's
// work is rolled back (its error). fn must do its work with the context
// it is given.
func (w *Writer) Write(ctx context.Context, fn func(context.Context, *sqlstore.Tx) error) error {
	if w.db.Dialect != sqlstore.SQLite {
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-w.slots }()
		return w.db.Write(ctx, func(tx *sqlstore.Tx) error { return fn(ctx, tx) })
	}
	j := &job{ctx: ctx, fn: fn, done: make(chan error, 1)}
	w.mu.Lock()
	w.queue = append(w.queue, j)
	if !w.leading {
		w.leading = true
		go w.lead()
	}
	w.mu.Unlock()
	// Waited for even when ctx ends: once its group has started, the
	// batch may be committed, and the answer must say what happened.
	return <-j.done
}

// lead commits groups while batches wait.
func (w *Writer) lead() {
	for {
		w.mu.Lock()
		n := min(len(w.queue), maxGroup)
		if n == 0 {
			w.leading = false
			w.mu.Unlock()
			return
		}
		group := w.queue[:n:n]
		w.queue = w.queue[n:]
		w.mu.Unlock()
		w.commit(group)
	}
}

func (w *Writer) commit(group []*job) {
	live := group[:0:0]
	for _, j := range group {
		if err := j.ctx.Err(); err != nil {
			j.done <- err
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	errs := make([]error, len(live))
	err := w.db.Write(context.Background(), func(tx *sqlstore.Tx) error {
		if len(live) == 1 { // alone: as a transaction of its own
			errs[0] = live[0].fn(context.WithoutCancel(live[0].ctx), tx)
			return errs[0]
		}
		for i, j := range live {
			if _, err := tx.Exec(context.Background(), `SAVEPOINT batch`); err != nil {
				return err
			}
			if errs[i] = j.fn(context.WithoutCancel(j.ctx), tx); errs[i] != nil {
				if _, err := tx.Exec(context.Background(), `ROLLBACK TO SAVEPOINT batch`); err != nil {
					return errors.Join(errs[i], err)
				}
			}
			if _, err := tx.Exec(context.Background(), `RELEASE SAVEPOINT batch`); err != nil {
				return err
			}
		}
		return nil
	})
	for i, j := range live {
		switch {
		case errs[i] != nil:
			j.done <- errs[i]
		default:
			j.done <- err // the commit's: nil when on disk
		}
	}
}
