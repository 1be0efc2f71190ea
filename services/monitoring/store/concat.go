package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/acme/bpo/kit/sqlstore"
)

// A full recompute reads every measurement of a period: millions of rows.
// Through database/sql each row costs a driver round (Next, Scan, a string
// copied per column), more than SQLite spends finding it. columns instead
// has the database join a stretch's values into one text per column
// (group_concat on SQLite, string_agg on PostgreSQL), a day at a time, and
// splits them in Go: one round per day. Measured in bench_test.go
// (BenchmarkPeriod, rows): about 170 ns of CPU a row against some 400
// for the row loop.
// Measurement texts are plain decimals, so a space never occurs in one.

// chunkOf is the stretch of event time joined into one text: a day of a
// busy contract's level is a few megabytes.
const chunkOf = 24 * time.Hour

// columns calls add, for each stored measurement of contract's level key
// whose event time is in [start, end), in no particular order, with the
// values of exprs (SQL expressions over the measurements table that give
// text without spaces) for that row.
func columns(ctx context.Context, tx *sqlstore.Tx, contract, key string, start, end time.Time, exprs []string, add func(cols []string) error) error {
	agg := "group_concat(%s, ' ')"
	if tx.Dialect() == sqlstore.Postgres {
		agg = "string_agg(%s, ' ')"
	}
	selects := make([]string, len(exprs))
	for i, e := range exprs {
		selects[i] = fmt.Sprintf(agg, e)
	}
	query := `SELECT ` + strings.Join(selects, ", ") + ` FROM measurements
		WHERE contract = ? AND service_level_key = ? AND event_time >= ? AND event_time < ?`
	texts := make([]sql.NullString, len(exprs))
	dest := make([]any, len(exprs))
	for i := range texts {
		dest[i] = &texts[i]
	}
	cols := make([]string, len(exprs))
	for from := start; from.Before(end); from = from.Add(chunkOf) {
		to := from.Add(chunkOf)
		if to.After(end) {
			to = end
		}
		if err := tx.QueryRow(ctx, query, contract, key, from.UnixNano(), to.UnixNano()).Scan(dest...); err != nil {
			return fmt.Errorf("read measurements of %s: %w", key, err)
		}
		if !texts[0].Valid {
			continue // none in this stretch
		}
		rest := make([]string, len(exprs))
		for i := range texts {
			rest[i] = texts[i].String
		}
		for rest[0] != "" {
			for i := range rest {
				cut := strings.IndexByte(rest[i], ' ')
				if cut < 0 {
					cols[i], rest[i] = rest[i], ""
				} else {
					cols[i], rest[i] = rest[i][:cut], rest[i][cut+1:]
				}
			}
			if err := add(cols); err != nil {
				return err
			}
		}
		for i := range rest {
			if rest[i] != "" {
				return fmt.Errorf("read measurements of %s: the joined columns of %s have different lengths", key, from)
			}
		}
	}
	return nil
}
