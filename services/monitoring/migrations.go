package monitoring

import (
	"embed"
	"io/fs"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the monitoring service's own schema migrations (portable
// SQL for SQLite and PostgreSQL); sqlstore.Migrate runs them after the
// kit's.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}
