package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/acme/bpo/kit/sqlstore"
	"modernc.org/sqlite"
)

// A full recompute reads every measurement of a period: millions of rows.
// Through database/sql each row costs a driver round (Next, Scan, a string
// copied per column) several times what SQLite spends finding it. On
// SQLite the rows are instead handed to Go inside the query, by an
// aggregate SQL function, bpo_fold(handle, columns…), that calls the
// function registered under handle with each row's columns as views into
// SQLite's own memory (VolatileArgs: nothing is copied; the callbacks
// here parse and drop them). Measured in bench_test.go
// (BenchmarkRecompute): about twice the rows a second of the Next/Scan
// loop.

var (
	folds    sync.Map // handle (int64) → func([]driver.Value) error
	foldNext atomic.Int64
)

func init() {
	sqlite.MustRegisterFunction("bpo_fold", &sqlite.FunctionImpl{
		NArgs:        -1,
		VolatileArgs: true,
		MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) {
			return &folding{}, nil
		},
	})
}

// fold runs query, whose one column is bpo_fold(?, …) with the handle as
// its first argument (and args after it), calling add with the other
// arguments of bpo_fold for each row.
func fold(ctx context.Context, tx *sqlstore.Tx, query string, add func(args []driver.Value) error, args ...any) error {
	handle := foldNext.Add(1)
	folds.Store(handle, add)
	defer folds.Delete(handle)
	var ignored any
	if err := tx.QueryRow(ctx, query, append([]any{handle}, args...)...).Scan(&ignored); err != nil {
		return fmt.Errorf("read measurements: %w", err)
	}
	return nil
}

// folding is one evaluation of bpo_fold.
type folding struct {
	add func([]driver.Value) error
}

func (f *folding) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	if f.add == nil {
		h, ok := args[0].(int64)
		if !ok {
			return errors.New("bpo_fold: the first argument is not a handle")
		}
		add, ok := folds.Load(h)
		if !ok {
			return fmt.Errorf("bpo_fold: no fold under handle %d", h)
		}
		f.add = add.(func([]driver.Value) error)
	}
	for _, a := range args[1:] {
		if _, ok := a.(string); !ok {
			return fmt.Errorf("bpo_fold: a column is %T, not text", a)
		}
	}
	return f.add(args[1:])
}

func (f *folding) WindowInverse(*sqlite.FunctionContext, []driver.Value) error {
	return errors.New("bpo_fold is not a window function")
}

func (f *folding) WindowValue(*sqlite.FunctionContext) (driver.Value, error) { return nil, nil }

func (f *folding) Final(*sqlite.FunctionContext) {}
