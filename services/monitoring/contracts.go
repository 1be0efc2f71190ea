package monitoring

import (
	"context"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/monitoring/evaluation"
)

// terms are what monitoring needs of a contract: the terms in force, read
// from the contract service with the caller's token (spec: README.md,
// monitoring calls contract for the service levels and credit terms).
// Contract amendments are not built, so the contract as it stands is the
// revision in force.
type terms struct {
	contract     *contractv1.Contract
	loc          *time.Location
	commencement time.Time
}

// readContract gets the contract for the caller. A provider user reads only
// its own provider's contracts: the contract service enforces that too, and
// this check keeps monitoring safe on its own.
func (s *Server) readContract(ctx context.Context, name string) (*contractv1.Contract, error) {
	c, err := s.contract.GetContract(ctx, &contractv1.GetContractRequest{Name: name})
	if err != nil {
		return nil, err
	}
	if caller := auth.FromContext(ctx); caller.IsProviderOnly() && c.GetProvider() != caller.Provider {
		return nil, apperr.New(apperr.PermissionDenied, "a provider user may access only its own provider's contracts (%s)", caller.Provider)
	}
	return c, nil
}

// commenced returns the terms of a contract whose service has commenced,
// or FAILED_PRECONDITION saying which step is missing. spec: README.md,
// each step's gate is enforced by the later step (measurements before
// cutover are refused).
func commenced(c *contractv1.Contract, what string) (*terms, error) {
	d := c.GetServiceCommencementDate()
	if d == nil || d.GetYear() == 0 {
		msg := "%s has no service commencement yet: %s from cutover"
		if st := c.GetState(); st != contractv1.ContractState_CONTRACT_STATE_SIGNED {
			return nil, apperr.New(apperr.FailedPrecondition, msg+" (the contract is %s; it must be signed and its transition cut over)", c.GetName(), what, shortState(st))
		}
		return nil, apperr.New(apperr.FailedPrecondition, msg+" (complete the transition plan's cutover first)", c.GetName(), what)
	}
	loc := time.UTC
	if z := c.GetServiceTimeZone(); z != "" {
		l, err := time.LoadLocation(z)
		if err != nil {
			return nil, apperr.New(apperr.FailedPrecondition, "%s has service time zone %q, which is not an IANA time zone; amend the contract", c.GetName(), z)
		}
		loc = l
	}
	return &terms{
		contract:     c,
		loc:          loc,
		commencement: evaluation.Commencement(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), loc),
	}, nil
}

func shortState(s contractv1.ContractState) string {
	const prefix = "CONTRACT_STATE_"
	if n := s.String(); len(n) > len(prefix) {
		return n[len(prefix):]
	}
	return s.String()
}
