// Package sqlstore is the store plumbing every service shares: it opens
// SQLite (the embedded default) or PostgreSQL (production) behind
// database/sql, runs versioned migrations at start, and runs each unit of
// work in one transaction.
//
// Queries are written once with `?` placeholders and portable types (TEXT,
// BIGINT); the store rewrites placeholders for PostgreSQL.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect is the SQL database behind a store.
type Dialect int

// The supported dialects.
const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is one service's database: a writer and a reader pool (the same pool on
// PostgreSQL; on SQLite one writer connection, since SQLite has one writer,
// and several readers, which WAL lets run beside it).
type DB struct {
	Dialect Dialect
	schema  string // PostgreSQL schema of the service's tables
	write   *sql.DB
	read    *sql.DB
	// Prepared statements of each pool, SQLite only (stmtcache.go).
	writeStmts, readStmts *stmtCache
}

// Open connects to dsn: a `postgres://` URL (the service's tables live in
// schema, created when missing), or a SQLite file path (optionally
// `sqlite:` prefixed), created when missing.
func Open(ctx context.Context, dsn, schema string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn, schema)
	}
	return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	// synchronous=FULL: an acknowledged commit survives power loss, not just a
	// crash of the process; money and contracts are worth the fsync.
	//
	// No mmap_size: a period's full recompute reads about a tenth faster
	// from a mapped file (5.7 against 5.1 million measurements/s,
	// services/monitoring/store BenchmarkPeriod), but every connection maps
	// the file anew and each mapping's pages count in the process's RSS,
	// which under ingest then went past a gigabyte. Mapping only for the
	// scan's duration was slower than not mapping: the page faults cost
	// what the copies save.
	pragmas := "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)"
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas)
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	db := &DB{Dialect: SQLite, write: w, read: r, writeStmts: newStmtCache(w), readStmts: newStmtCache(r)}
	if err := w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

func openPostgres(ctx context.Context, dsn, schema string) (*DB, error) {
	if !schemaName.MatchString(schema) {
		return nil, fmt.Errorf("bad schema name %q", schema)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse PostgreSQL DSN: %w", err)
	}
	boot := stdlib.OpenDB(*cfg)
	_, err = boot.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema)
	boot.Close()
	if err != nil && !IsUniqueViolation(err) { // two services racing to create it
		return nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	cfg.RuntimeParams["search_path"] = schema
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(20)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return &DB{Dialect: Postgres, schema: schema, write: pool, read: pool}, nil
}

// Close closes the pools.
func (db *DB) Close() error {
	db.writeStmts.close()
	db.readStmts.close()
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Migrate applies the kit's migrations (audit log, idempotency keys,
// documents) and then the service's own, if it has any, each tracked in
// its own version table.
func (db *DB) Migrate(ctx context.Context, service fs.FS) error {
	kit, err := fs.Sub(kitMigrations, "migrations/"+db.Dialect.String())
	if err != nil {
		return err
	}
	if err := db.migrate(ctx, kit, "kit_schema_version"); err != nil {
		return fmt.Errorf("kit migrations: %w", err)
	}
	if service == nil {
		return nil // the service keeps everything in the kit's tables
	}
	if err := db.migrate(ctx, service, "schema_version"); err != nil {
		return fmt.Errorf("service migrations: %w", err)
	}
	return nil
}

func (db *DB) migrate(ctx context.Context, fsys fs.FS, table string) error {
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithTableName(table), goose.WithDisableGlobalRegistry(true)}
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
		// Several replicas may start at once; one migrates, the others wait.
		// The lock is per schema, so different services do not wait for
		// each other.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(db.schema + "." + table)))
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.write, fsys, opts...)
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

func lockID(name string) int64 {
	var h int64 = 5887940537704921958 // goose's default, varied per table
	for _, c := range name {
		h = h*31 + int64(c)
	}
	return h
}

// Tx is a transaction with placeholder rewriting — or, in ReadOne, the
// one statement of a read that needs no transaction.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
	stmts   *stmtCache
	// one is the pool of a ReadOne, whose one statement runs on its own
	// (tx is nil); ran says it has run.
	one *sql.DB
	ran bool
}

// Dialect returns the database dialect of the transaction.
func (t *Tx) Dialect() Dialect { return t.dialect }

// Exec runs a statement.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.one != nil {
		return nil, fmt.Errorf("sqlstore: ReadOne runs one SELECT, not %s", firstWord(query))
	}
	if st := t.stmts.get(query); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, rebind(t.dialect, query), args...)
}

// Query runs a query.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if t.one != nil {
		if err := t.once(query); err != nil {
			return nil, err
		}
		if st := t.stmts.get(query); st != nil {
			return st.QueryContext(ctx, args...)
		}
		return t.one.QueryContext(ctx, rebind(t.dialect, query), args...)
	}
	if st := t.stmts.get(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, rebind(t.dialect, query), args...)
}

// QueryRow runs a query that returns at most one row.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if t.one != nil {
		if err := t.once(query); err != nil {
			panic(err) // a *sql.Row cannot carry it; a programming error
		}
		if st := t.stmts.get(query); st != nil {
			return st.QueryRowContext(ctx, args...)
		}
		return t.one.QueryRowContext(ctx, rebind(t.dialect, query), args...)
	}
	if st := t.stmts.get(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, rebind(t.dialect, query), args...)
}

// once admits the one statement of a ReadOne: a SELECT, the first.
func (t *Tx) once(query string) error {
	if w := firstWord(query); !strings.EqualFold(w, "SELECT") {
		return fmt.Errorf("sqlstore: ReadOne runs one SELECT, not %s", w)
	}
	if t.ran {
		return errors.New("sqlstore: ReadOne ran a second statement, which would see another snapshot: use Read")
	}
	t.ran = true
	return nil
}

func firstWord(query string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	return w
}

// Write runs fn in a read-write transaction and commits when fn returns nil.
// Everything fn writes — the change, its audit record, its idempotency key —
// becomes visible together or not at all.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.write, db.writeStmts, nil, fn)
}

// Read runs fn in a read-only transaction that sees one snapshot: on
// PostgreSQL at REPEATABLE READ (its default, READ COMMITTED, takes a new
// snapshot per statement, so two queries of one evaluation could see
// different moments); SQLite's read transactions are snapshots already.
func (db *DB) Read(ctx context.Context, fn func(*Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.Dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	return db.run(ctx, db.read, db.readStmts, opts, fn)
}

// ReadOne runs fn, a read of one SELECT statement, outside any
// transaction: a single statement sees one snapshot by itself on either
// database (SQLite holds a read transaction of its own for it; PostgreSQL
// takes one snapshot per statement), so a read whose whole work is one
// statement needs no BEGIN and COMMIT around it — on SQLite two more
// statements to run, on PostgreSQL two more round trips. The statement
// runs on the read pool, like Read's, prepared alike.
//
// fn must run exactly that one statement: Exec, anything but a SELECT, and
// a second statement (which would see another moment) are refused — by
// Query with an error, by QueryRow with a panic, since a *sql.Row cannot
// carry one: a programming error that any test of the read finds. Reads
// of more than one statement use Read.
func (db *DB) ReadOne(ctx context.Context, fn func(*Tx) error) error {
	return fn(&Tx{dialect: db.Dialect, stmts: db.readStmts, one: db.read})
}

// QueryOne runs fn as ReadOne does and returns what it read: the whole
// body of a Get handler that reads one row.
func QueryOne[T any](ctx context.Context, db *DB, fn func(*Tx) (T, error)) (T, error) {
	return collect(ctx, db.ReadOne, fn)
}

// Query runs fn in a read transaction (as Read) and returns what it read:
// a Get or List handler's whole body.
func Query[T any](ctx context.Context, db *DB, fn func(*Tx) (T, error)) (T, error) {
	return collect(ctx, db.Read, fn)
}

// collect runs fn through run (Read or ReadOne) and returns what fn
// returned, or only the error.
func collect[T any](ctx context.Context, run func(context.Context, func(*Tx) error) error, fn func(*Tx) (T, error)) (T, error) {
	var out T
	err := run(ctx, func(tx *Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

func (db *DB) run(ctx context.Context, pool *sql.DB, stmts *stmtCache, opts *sql.TxOptions, fn func(*Tx) error) error {
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&Tx{tx: tx, dialect: db.Dialect, stmts: stmts}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// Redact returns dsn without its password (in the user info or the
// `password` parameter), for logs. A SQLite path is returned as it is; a
// PostgreSQL URL that does not parse is hidden whole, since where its
// password is cannot be told.
func Redact(dsn string) string {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(a URL that does not parse; hidden)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Time formats t for storage: UTC, fixed width, so text order is time order.
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// ParseTime reads a time written by Time.
func ParseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
