package auth

import "fmt"

// Policy maps each full gRPC method name to the roles that may call it. It
// is the one place where role checks happen; ownership (a provider user and
// its own data) is checked by the service, which has the data.
//
// A method missing from the policy is refused: new methods are closed until
// someone decides who may call them.
type Policy map[string][]Role

// Allows reports whether p may call method, and if not, why.
func (pol Policy) Allows(method string, p *Principal) error {
	roles, ok := pol[method]
	if !ok {
		return fmt.Errorf("method %s has no access policy", method)
	}
	if p.Has(Admin) {
		return nil
	}
	if p.HasAny(roles...) {
		return nil
	}
	return fmt.Errorf("%s needs one of the roles %v", method, roles)
}

// Merge returns a policy holding the entries of all given policies.
func Merge(policies ...Policy) Policy {
	out := Policy{}
	for _, p := range policies {
		for m, r := range p {
			out[m] = r
		}
	}
	return out
}

// Readers are the roles that may read the catalog's shared data; provider
// users among them are further restricted to their own provider by the
// service.
var Readers = []Role{
	SourcingManager, ProcessOwner, Evaluator, ContractManager, Approver,
	TransitionManager, GovernanceManager, ProviderUser, Auditor, Admin,
}
