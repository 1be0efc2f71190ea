package catalog

import (
	"time"

	"github.com/acme/bpo/kit/sqlstore"
)

// NewWithClock is New with a clock the test moves, so that sourcing tests
// can pass a proposal deadline without waiting for it.
func NewWithClock(db *sqlstore.DB, now func() time.Time) *Server {
	s := New(db)
	s.now = now
	return s
}
