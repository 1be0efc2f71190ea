package monitoring

import (
	"context"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"go.einride.tech/aip/resourcename"
)

// terms are what monitoring needs of a contract: the terms in force, read
// from the contract service with the caller's token (spec: README.md,
// monitoring calls contract for the service levels and credit terms).
// Contract amendments are not built, so the contract as it stands is the
// revision in force.
type terms struct {
	name         contractv1.ContractResourceName
	contract     *contractv1.Contract
	loc          *time.Location
	commencement time.Time
}

// readContract gets the contract for the caller. A provider user reads only
// its own provider's contracts: the contract service enforces that too, and
// this check keeps monitoring safe on its own.
func (s *Server) readContract(ctx context.Context, name contractv1.ContractResourceName) (*contractv1.Contract, error) {
	c, err := s.contract.GetContract(ctx, &contractv1.GetContractRequest{Name: name.String()})
	if err != nil {
		return nil, err
	}
	if caller := auth.FromContext(ctx); caller.IsProviderOnly() && c.GetProvider() != caller.Provider {
		return nil, apperr.New(apperr.PermissionDenied, "a provider user may access only its own provider's contracts (%s)", caller.Provider)
	}
	return c, nil
}

// measurementsOf is the name a contract's measurement batches are audited
// under: the measurements are rows of their own, not a resource.
func measurementsOf(contract contractv1.ContractResourceName) string {
	return resourcename.Sprint("contracts/{contract}/measurements", contract.Contract)
}

// commenced returns the terms of the contract name, read as c, whose
// service has commenced, or FAILED_PRECONDITION saying which step is
// missing. spec: README.md, each step's gate is enforced by the later step
// (measurements before cutover are refused).
func commenced(name contractv1.ContractResourceName, c *contractv1.Contract, what string) (*terms, error) {
	d := c.GetServiceCommencementDate()
	if d == nil || d.GetYear() == 0 {
		msg := "%s has no service commencement yet: %s from cutover"
		if st := c.GetState(); st != contractv1.ContractState_CONTRACT_STATE_SIGNED && st != contractv1.ContractState_CONTRACT_STATE_ACTIVE {
			return nil, apperr.New(apperr.FailedPrecondition, msg+" (the contract is %s; it must be signed and its transition cut over)", c.GetName(), what, protoenum.Short(st))
		}
		return nil, apperr.New(apperr.FailedPrecondition, msg+" (complete the transition plan's cutover first)", c.GetName(), what)
	}
	loc := time.UTC
	if z := c.GetServiceTimeZone(); z != "" {
		l, err := civil.Location(z)
		if err != nil {
			return nil, apperr.New(apperr.FailedPrecondition, "%s has service time zone %q, which is not an IANA time zone; amend the contract", c.GetName(), z)
		}
		loc = l
	}
	return &terms{
		name:         name,
		contract:     c,
		loc:          loc,
		commencement: evaluation.Commencement(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), loc),
	}, nil
}
