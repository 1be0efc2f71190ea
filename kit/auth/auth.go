// Package auth authenticates callers by JWT and authorises them by role.
//
// A caller presents `Authorization: Bearer <token>` (gRPC metadata, or the
// HTTP header the gateway forwards). The token is a JWT with `sub`, `roles`
// (or the roles claim configured, e.g. Keycloak's `realm_access.roles`) and,
// for provider users, `provider` (the provider's resource name). Keys are
// configured: a shared secret for HS256, or for RS256/ES256 a JWKS file or
// an identity provider's JWKS URL, fetched again as its keys rotate.
// spec: conventions.md, "Identity, roles and tenancy of data".
package auth

import (
	"context"
	"slices"
)

// Role is one of the user roles of spec/README.md.
type Role string

// The roles.
const (
	SourcingManager   Role = "sourcing_manager"
	ProcessOwner      Role = "process_owner"
	Evaluator         Role = "evaluator"
	ContractManager   Role = "contract_manager"
	Approver          Role = "approver"
	TransitionManager Role = "transition_manager"
	GovernanceManager Role = "governance_manager"
	ProviderUser      Role = "provider"
	Auditor           Role = "auditor"
	Admin             Role = "admin"
)

// AllRoles lists every role, in the order of spec/README.md.
var AllRoles = []Role{
	SourcingManager, ProcessOwner, Evaluator, ContractManager, Approver,
	TransitionManager, GovernanceManager, ProviderUser, Auditor, Admin,
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(AllRoles, r) }

// Principal is the authenticated caller.
type Principal struct {
	Subject string
	Roles   []Role
	// Provider is the provider's resource name (`providers/…`) for users of
	// the provider role, empty otherwise.
	Provider string
	// Token is the caller's raw token, forwarded on downstream calls so that
	// authorisation is the same wherever a request enters.
	Token string
}

// Has reports whether the principal holds role r.
func (p *Principal) Has(r Role) bool { return p != nil && slices.Contains(p.Roles, r) }

// HasAny reports whether the principal holds any of the roles.
func (p *Principal) HasAny(roles ...Role) bool {
	for _, r := range roles {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// IsProviderOnly reports whether the principal acts for a provider and holds
// no role that reads across providers. Such a caller sees only what belongs
// to its own provider.
func (p *Principal) IsProviderOnly() bool {
	if !p.Has(ProviderUser) {
		return false
	}
	for _, r := range p.Roles {
		if r != ProviderUser {
			return false
		}
	}
	return true
}

// RoleNames returns the roles as strings.
func (p *Principal) RoleNames() []string {
	out := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		out[i] = string(r)
	}
	return out
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller, or nil for an unauthenticated context.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Subject returns the caller's subject, or "" for an unauthenticated context.
func Subject(ctx context.Context) string {
	if p := FromContext(ctx); p != nil {
		return p.Subject
	}
	return ""
}
