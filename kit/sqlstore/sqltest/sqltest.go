// Package sqltest gives tests a fresh, migrated database of each dialect, so
// that one test body runs against SQLite and PostgreSQL alike.
// spec: conventions.md, "Tests": each service is tested on SQLite and on
// PostgreSQL.
//
// SQLite always runs (a file in the test's temporary directory). PostgreSQL
// runs when BPO_TEST_POSTGRES_DSN names a server on which the tests may
// create and drop databases, e.g.
//
//	BPO_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//
// Each test gets its own database there, dropped when the test ends. When
// the variable is unset the PostgreSQL variant is skipped, except on CI
// (CI set), where a missing DSN fails the test rather than silently testing
// less.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/acme/bpo/kit/sqlstore"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgresDSNEnv names the variable holding the PostgreSQL server to test on.
const PostgresDSNEnv = "BPO_TEST_POSTGRES_DSN"

// The dialect names Open accepts, as sqlstore.Dialect.String spells them.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Dialects returns the dialects to run a store test on: always SQLite, and
// PostgreSQL when BPO_TEST_POSTGRES_DSN is set. Without it the test logs how
// to enable PostgreSQL, or fails when CI is set.
//
// Run the same body for each:
//
//	for _, dialect := range sqltest.Dialects(t) {
//		t.Run(dialect, func(t *testing.T) { db := sqltest.Open(t, dialect, schema, migrations); … })
//	}
func Dialects(t testing.TB) []string {
	t.Helper()
	if os.Getenv(PostgresDSNEnv) != "" {
		return []string{SQLite, Postgres}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not set: CI must run the store tests against PostgreSQL as well as SQLite", PostgresDSNEnv)
	}
	t.Logf("PostgreSQL variant skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) to run it", PostgresDSNEnv)
	return []string{SQLite}
}

// Open returns a fresh database of dialect ("sqlite" or "postgres") with
// the kit's and the given migrations applied; it is closed (and on
// PostgreSQL dropped) when the test ends. schema is the service's
// PostgreSQL schema; migrations are the service's own, nil when it keeps
// everything in the kit's tables.
func Open(t testing.TB, dialect, schema string, migrations fs.FS) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, DSN(t, dialect), schema)
	if err != nil {
		t.Fatalf("sqltest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("sqltest: close %s: %v", dialect, err)
		}
	})
	if err := db.Migrate(ctx, migrations); err != nil {
		t.Fatalf("sqltest: migrate %s: %v", dialect, err)
	}
	return db
}

// DSN returns the address of a fresh, empty database of dialect, for
// tests that open it as a service does (platform.Service.Open); on
// PostgreSQL it is dropped when the test ends, after what the test
// registered later (closing its connections) has run.
func DSN(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case SQLite:
		return filepath.Join(t.TempDir(), "test.db")
	case Postgres:
		return createPostgresDatabase(t)
	}
	t.Fatalf("sqltest: unknown dialect %q (want %q or %q)", dialect, SQLite, Postgres)
	return ""
}

// createPostgresDatabase creates a database named t_<random> on the server
// of BPO_TEST_POSTGRES_DSN, drops it when the test ends, and returns its DSN.
func createPostgresDatabase(t testing.TB) string {
	t.Helper()
	server := os.Getenv(PostgresDSNEnv)
	if server == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run the store tests against PostgreSQL", PostgresDSNEnv)
		}
		t.Skipf("set %s to run the PostgreSQL variant", PostgresDSNEnv)
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("sqltest: %s is not a URL: %v", PostgresDSNEnv, err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)

	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatalf("sqltest: connect to %s: %v", sqlstore.Redact(server), err)
	}
	ctx := context.Background()
	// The name is ours (hex), so building the statement is safe.
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("sqltest: create database on %s: %v", sqlstore.Redact(server), err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		// FORCE: a connection the test leaked must not keep the database alive.
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("sqltest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
