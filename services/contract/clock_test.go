package contract_test

import (
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/contract"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/grpc/codes"
)

// A contract is SIGNED until its start date, ACTIVE from it, and EXPIRED
// the day after its term ends; each change is stored (List filters find
// it), audited under the contract service's own subject, and an expired
// contract frees its engagement.
func TestStatesInTime(t *testing.T) {
	t.Parallel()
	clock := testenv.NewClock(time.Now())
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		s := e.SignedContract(t)
		c := s.Contract
		gm := e.AsRole(t, auth.GovernanceManager)
		list := func(state string) []string {
			t.Helper()
			resp, err := e.Contract.ListContracts(gm, &contractv1.ListContractsRequest{Filter: "state = " + state})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range resp.GetContracts() {
				out = append(out, c.GetName())
			}
			return out
		}
		if got := list("ACTIVE"); len(got) != 0 {
			t.Fatalf("active before the start: %v", got)
		}
		// The start S is the first of a month; noon UTC on S is S in New York.
		loc, _ := time.LoadLocation(testenv.TimeZone)
		at := func(y, m, d int32) time.Time { return time.Date(int(y), time.Month(m), int(d), 12, 0, 0, 0, loc) }
		st := c.GetStartDate()
		clock.Advance(at(st.GetYear(), st.GetMonth(), st.GetDay()).Sub(clock.Now()))
		if got := list("ACTIVE"); len(got) != 1 || got[0] != c.GetName() {
			t.Fatalf("active on the start: %v", got)
		}
		if got := list("SIGNED"); len(got) != 0 {
			t.Errorf("still signed: %v", got)
		}
		got, err := e.Contract.GetContract(gm, &contractv1.GetContractRequest{Name: c.GetName()})
		if err != nil || got.GetState() != contractv1.ContractState_CONTRACT_STATE_ACTIVE {
			t.Fatalf("GetContract: %v %v", got.GetState(), err)
		}
		events, err := e.Contract.ListAuditEvents(e.AsRole(t, auth.Auditor), &contractv1.ListAuditEventsRequest{Filter: `subject = "` + contract.ClockSubject + `"`})
		if err != nil || len(events.GetAuditEvents()) != 1 || events.GetAuditEvents()[0].GetResource() != c.GetName() {
			t.Fatalf("clock's audit events: %v %v", events, err)
		}
		// An ACTIVE contract is amended and terminated like a SIGNED one.
		if _, err := e.Contract.ListObligations(gm, &contractv1.ListObligationsRequest{Parent: c.GetName(), PageSize: 1}); err != nil {
			t.Errorf("obligations of an active contract: %v", err)
		}

		// The day after the end (S + 24 months − 1 day): EXPIRED.
		end := c.GetEndDate()
		clock.Advance(at(end.GetYear(), end.GetMonth(), end.GetDay()).AddDate(0, 0, 1).Sub(clock.Now()))
		got, err = e.Contract.GetContract(gm, &contractv1.GetContractRequest{Name: c.GetName()})
		if err != nil || got.GetState() != contractv1.ContractState_CONTRACT_STATE_EXPIRED {
			t.Fatalf("after the end: %v %v", got.GetState(), err)
		}
		if got := list("EXPIRED"); len(got) != 1 {
			t.Errorf("expired: %v", got)
		}
		_, err = e.Contract.CreateAmendment(e.AsRole(t, auth.ContractManager), &contractv1.CreateAmendmentRequest{Parent: c.GetName(), Amendment: &contractv1.Amendment{}})
		wantMessage(t, err, codes.FailedPrecondition, "is EXPIRED: an ended contract is not amended")
		// The engagement is free for a new contract.
		if _, err := e.Contract.CreateContract(e.AsRole(t, auth.ContractManager), &contractv1.CreateContractRequest{Contract: &contractv1.Contract{Engagement: s.Engagement.GetName()}}); err != nil {
			t.Errorf("a new contract for the engagement: %v", err)
		}
		clock.Advance(-clock.Now().Sub(time.Now())) // back to now for the other dialect
	}, testenv.WithClock(clock.Now))
}
