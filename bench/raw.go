package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/monitoring"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver of the throwaway database
)

// rawLoop runs `bench raw` on the server core: the reference of the
// measurement paths. It answers rows per second, and the CPU seconds per
// row of the loop (on PostgreSQL, of the client side only).
func rawLoop(ctx context.Context, c config, sqlitePath, dsn string) (float64, float64, error) {
	args := []string{"raw", "-duration", c.duration.String(), "-batch", strconv.Itoa(c.batch), "-random-times=" + strconv.FormatBool(c.random)}
	if dsn != "" {
		args = append(args, "-db", dsn)
	} else {
		args = append(args, "-db", sqlitePath)
	}
	cmd := pinned(ctx, c.serverCPU, filepath.Join(c.bin, "bench"), args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, 0, err
	}
	var rps, cpu float64
	if _, err := fmt.Sscan(string(out), &rps, &cpu); err != nil {
		return 0, 0, fmt.Errorf("bench raw said %q: %w", out, err)
	}
	return rps, cpu, nil
}

// rawMain is `bench raw`: a raw batched insert loop into the measurements
// table of a store opened as the services open theirs (SQLite in WAL with
// synchronous=FULL; PostgreSQL in its own schema), each batch one
// multi-row INSERT committed on its own — durable when committed, with no
// server, no validation, no conflict handling and no audit. It prints the
// rows per second.
func rawMain(args []string) error {
	fs := flag.NewFlagSet("raw", flag.ContinueOnError)
	dsn := fs.String("db", "", "a SQLite file or a postgres:// URL")
	d := fs.Duration("duration", 10*time.Second, "how long")
	batch := fs.Int("batch", 1000, "rows per statement and commit")
	fs.BoolVar(&randomTimes, "random-times", false, "as bench -random-times")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, *dsn, "rawbench")
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, monitoring.Migrations()); err != nil {
		return err
	}
	q := `INSERT INTO measurements (contract, service_level_key, event_id, event_time, value, denominator, outage_start, outage_end, create_time) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?), ", *batch), ", ")
	// The same rows as the load of BatchCreateMeasurements sends (see
	// generator): three levels in turn, event ids of 16 sources, in
	// event-time order (or at random with -random-times).
	t0 := time.Now()
	month := t0.AddDate(0, -1, 0)
	created := sqlstore.Time(t0)
	gens := make([]*generator, 16)
	for i := range gens {
		gens[i] = newGenerator(&seed{commencement: month}, *batch, fmt.Sprintf("raw-w%d-", i))
	}
	// Only the writes are timed: the loop measures the store, not the
	// making of the rows.
	rows := make([][]any, 64)
	for i := range rows {
		for _, m := range gens[i%len(gens)].next() {
			rows[i] = append(rows[i], "contracts/raw", m.GetServiceLevelKey(), m.GetEventId(), m.GetEventTime().AsTime().UnixNano(),
				strconv.FormatFloat(m.GetValue(), 'f', -1, 64), nil, nil, nil, created)
		}
	}
	var n int
	var spent, cpu time.Duration
	for i := 0; spent < *d; i++ {
		if i == len(rows) { // more: new ids of the same sources
			for j := range rows {
				for k, m := range gens[j%len(gens)].next() {
					rows[j][k*9+1], rows[j][k*9+2], rows[j][k*9+3] = m.GetServiceLevelKey(), m.GetEventId(), m.GetEventTime().AsTime().UnixNano()
				}
			}
			i = 0
		}
		vals := rows[i]
		n += len(vals) / 9
		w0, c0 := time.Now(), cpuNow()
		if err := db.Write(ctx, func(tx *sqlstore.Tx) error {
			_, err := tx.Exec(ctx, q, vals...)
			return err
		}); err != nil {
			return err
		}
		spent += time.Since(w0)
		cpu += cpuNow() - c0
	}
	fmt.Println(float64(n)/spent.Seconds(), cpu.Seconds()/float64(n))
	return nil
}

// runPostgres measures bpo serve on a throwaway database of the
// PostgreSQL server at c.pg, dropped afterwards.
func runPostgres(ctx context.Context, c config, r *report, tmp string, health float64) error {
	admin, err := sql.Open("pgx", c.pg)
	if err != nil {
		return err
	}
	defer admin.Close()
	name := fmt.Sprintf("bpo_bench_%d", os.Getpid())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create throwaway database: %w", err)
	}
	defer func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "bench: drop", name, err)
		}
	}()
	var fsync, syncCommit, version string
	_ = admin.QueryRowContext(ctx, "SHOW fsync").Scan(&fsync)
	_ = admin.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&syncCommit)
	_ = admin.QueryRowContext(ctx, "SHOW server_version").Scan(&version)
	u, err := url.Parse(c.pg)
	if err != nil {
		return err
	}
	u.Path = "/" + name
	r.section(fmt.Sprintf("(PostgreSQL %s on this machine, not pinned; fsync=%s, synchronous_commit=%s)", version, fsync, syncCommit))
	return runStore(ctx, c, r, tmp, "postgres", u.String(), health)
}

// cpuNow is the CPU time this process has used.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
