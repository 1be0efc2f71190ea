package contract_test

import (
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/contract"
	"github.com/acme/bpo/services/testenv"
)

// Each read about one contract brings it up to date with time by itself —
// the first read on or after its start date makes it ACTIVE, audited once
// under the clock's subject — and a read that finds nothing due changes
// nothing. The reads check and read in one go (readInTime, and GetContract
// in one statement); this holds them to the sweep on read as it was.
func TestReadsBringTheContractUpToDate(t *testing.T) {
	t.Parallel()
	clock := testenv.NewClock(time.Now())
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		gm := e.AsRole(t, auth.GovernanceManager)
		reads := []struct {
			name string
			read func(c *contractv1.Contract) error
		}{
			{"GetContract", func(c *contractv1.Contract) error {
				_, err := e.Contract.GetContract(gm, &contractv1.GetContractRequest{Name: c.GetName()})
				return err
			}},
			{"GetContract of revision 1", func(c *contractv1.Contract) error {
				_, err := e.Contract.GetContract(gm, &contractv1.GetContractRequest{Name: c.GetName(), RevisionId: "1"})
				return err
			}},
			{"GetEffectiveContract", func(c *contractv1.Contract) error {
				_, err := e.Contract.GetEffectiveContract(gm, &contractv1.GetEffectiveContractRequest{Name: c.GetName(), Date: c.GetStartDate()})
				return err
			}},
			{"ListContractRevisions", func(c *contractv1.Contract) error {
				_, err := e.Contract.ListContractRevisions(gm, &contractv1.ListContractRevisionsRequest{Name: c.GetName()})
				return err
			}},
			{"ListObligations", func(c *contractv1.Contract) error {
				_, err := e.Contract.ListObligations(gm, &contractv1.ListObligationsRequest{Parent: c.GetName(), PageSize: 1})
				return err
			}},
		}
		loc, err := time.LoadLocation(testenv.TimeZone)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reads {
			t.Run(r.name, func(t *testing.T) {
				c := e.SignedContract(t).Contract
				clockEvents := func() int {
					t.Helper()
					resp, err := e.Contract.ListAuditEvents(e.AsRole(t, auth.Auditor), &contractv1.ListAuditEventsRequest{
						Filter: `subject = "` + contract.ClockSubject + `" AND resource = "` + c.GetName() + `"`})
					if err != nil {
						t.Fatal(err)
					}
					return len(resp.GetAuditEvents())
				}
				// Before the start a read finds nothing due.
				if err := r.read(c); err != nil {
					t.Fatalf("%s before the start: %v", r.name, err)
				}
				if n := clockEvents(); n != 0 {
					t.Fatalf("%d changes in time before the start; want none", n)
				}
				// Noon on the start date in the service time zone.
				st := c.GetStartDate()
				clock.Advance(time.Date(int(st.GetYear()), time.Month(st.GetMonth()), int(st.GetDay()), 12, 0, 0, 0, loc).Sub(clock.Now()))
				defer func() { clock.Advance(time.Since(clock.Now())) }() // back to now for the next read
				for i := range 2 {
					if err := r.read(c); err != nil {
						t.Fatalf("%s on the start date (read %d): %v", r.name, i+1, err)
					}
					if n := clockEvents(); n != 1 {
						t.Fatalf("after read %d on the start date: %d changes in time audited; want 1", i+1, n)
					}
				}
				got, err := e.Contract.GetContract(gm, &contractv1.GetContractRequest{Name: c.GetName()})
				if err != nil || got.GetState() != contractv1.ContractState_CONTRACT_STATE_ACTIVE {
					t.Fatalf("GetContract after the reads: %v, %v; want ACTIVE", got.GetState(), err)
				}
			})
		}
	}, testenv.WithClock(clock.Now))
}
