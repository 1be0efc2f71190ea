package catalog

import (
	"time"

	"github.com/acme/bpo/kit/sqlstore"
)

// NewWithClock is New on the clock now, which tests move so that a
// proposal deadline passes without waiting for it (platform.Options.Now).
func NewWithClock(db *sqlstore.DB, now func() time.Time) *Server {
	s := New(db)
	s.now = now
	return s
}
