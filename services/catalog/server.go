// Package catalog is the catalog service: steps 1–3 of an engagement
// (decide, scope, select). Its handlers translate between the API and the
// domain packages and write each change with its audit record in one
// transaction.
package catalog

import (
	"strings"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore"
)

// Server implements catalogv1.CatalogServiceServer.
type Server struct {
	catalogv1.UnimplementedCatalogServiceServer
	db  *sqlstore.DB
	now func() time.Time
}

// New returns the catalog service on db (migrated).
func New(db *sqlstore.DB) *Server {
	return &Server{db: db, now: time.Now}
}

// Policy says which roles may call each method (admins may call all).
var Policy = auth.Merge(providerPolicy, performancePolicy, invitationPolicy, changePolicy, proposalReadPolicy, fallbackPolicy, processPolicy, engagementPolicy, sourcingPolicy, moderationPolicy, auditPolicy)

// ownProviderOnly refuses a provider user access to any provider but its
// own. It does not look the provider up, so it reveals nothing about
// whether another provider exists.
func ownProviderOnly(caller *auth.Principal, name string) error {
	if caller.IsProviderOnly() && caller.Provider != name {
		return apperr.New(apperr.PermissionDenied, "a provider user may access only its own provider (%s)", caller.Provider)
	}
	return nil
}

func trimmed(s string) string { return strings.TrimSpace(s) }
