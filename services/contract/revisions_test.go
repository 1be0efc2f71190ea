package contract_test

import (
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// auditCount is how many audit records the contract service holds of name.
func auditCount(t *testing.T, e *testenv.Env, name string) int {
	t.Helper()
	resp, err := e.Contract.ListAuditEvents(e.AsRole(t, auth.Auditor), &contractv1.ListAuditEventsRequest{Filter: `resource = "` + name + `"`, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(resp.GetAuditEvents())
}

func TestFirstRevisionInForceFromTheStart(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		s := e.SignedContract(t)
		c := s.Contract
		gm := e.AsRole(t, auth.GovernanceManager)
		if c.GetRevisionId() != "1" || !proto.Equal(c.GetRevisionEffectiveDate(), c.GetStartDate()) {
			t.Fatalf("signed contract: revision %q from %v, want 1 from the start %v", c.GetRevisionId(), c.GetRevisionEffectiveDate(), c.GetStartDate())
		}
		// The start is the scope's go-live date; the day before it no
		// revision is in force, on it and after it revision 1 is.
		start := c.GetStartDate()
		eff, err := e.Contract.GetEffectiveContract(gm, &contractv1.GetEffectiveContractRequest{Name: c.GetName(), Date: start})
		if err != nil {
			t.Fatal(err)
		}
		if eff.GetRevisionId() != "1" || eff.GetName() != c.GetName() || eff.GetState() != c.GetState() {
			t.Errorf("in force on the start: %q %s %v", eff.GetRevisionId(), eff.GetName(), eff.GetState())
		}
		later := &date.Date{Year: start.GetYear() + 1, Month: start.GetMonth(), Day: 1}
		if eff, err := e.Contract.GetEffectiveContract(gm, &contractv1.GetEffectiveContractRequest{Name: c.GetName(), Date: later}); err != nil || eff.GetRevisionId() != "1" {
			t.Errorf("a year later: %v %v", eff.GetRevisionId(), err)
		}
		before := &date.Date{Year: start.GetYear() - 1, Month: 12, Day: 31}
		if start.GetMonth() > 1 {
			before = &date.Date{Year: start.GetYear(), Month: start.GetMonth() - 1, Day: 28}
		}
		_, err = e.Contract.GetEffectiveContract(gm, &contractv1.GetEffectiveContractRequest{Name: c.GetName(), Date: before})
		wantMessage(t, err, codes.NotFound, "revision 1 takes effect on")
		_, err = e.Contract.GetEffectiveContract(gm, &contractv1.GetEffectiveContractRequest{Name: c.GetName(), Date: &date.Date{Year: 2027, Month: 2, Day: 30}})
		wantViolations(t, err, "date")

		// GetContract by revision, and the list of revisions.
		r1, err := e.Contract.GetContract(gm, &contractv1.GetContractRequest{Name: c.GetName(), RevisionId: "1"})
		if err != nil || r1.GetRevisionId() != "1" || !proto.Equal(r1.GetMonthlyFee(), c.GetMonthlyFee()) {
			t.Errorf("revision 1: %v %v", r1, err)
		}
		_, err = e.Contract.GetContract(gm, &contractv1.GetContractRequest{Name: c.GetName(), RevisionId: "2"})
		wantMessage(t, err, codes.NotFound, "has no revision 2")
		list, err := e.Contract.ListContractRevisions(gm, &contractv1.ListContractRevisionsRequest{Name: c.GetName()})
		if err != nil || len(list.GetContracts()) != 1 || list.GetContracts()[0].GetRevisionId() != "1" {
			t.Errorf("revisions: %v %v", list, err)
		}

		// Another provider's user learns nothing of it.
		other := s.Providers["CO"].GetName()
		if other == s.Provider {
			other = s.Providers["US"].GetName()
		}
		_, err = e.Contract.GetEffectiveContract(e.AsProvider(t, other), &contractv1.GetEffectiveContractRequest{Name: c.GetName(), Date: start})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.Contract.ListContractRevisions(e.AsProvider(t, other), &contractv1.ListContractRevisionsRequest{Name: c.GetName()})
		wantCode(t, err, codes.PermissionDenied)
		if _, err := e.Contract.GetEffectiveContract(e.AsProvider(t, s.Provider), &contractv1.GetEffectiveContractRequest{Name: c.GetName(), Date: start}); err != nil {
			t.Errorf("its own provider: %v", err)
		}
	})
}

func TestNoRevisionBeforeSigning(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		cm := e.AsRole(t, auth.ContractManager)
		c := draftFor(t, e, cm, a.Engagement.GetName())
		_, err := e.Contract.GetEffectiveContract(cm, &contractv1.GetEffectiveContractRequest{Name: c.GetName(), Date: c.GetStartDate()})
		wantMessage(t, err, codes.FailedPrecondition, "is DRAFT: a contract has no revision in force until it is approved and signed by both parties")
		_, err = e.Contract.ListContractRevisions(cm, &contractv1.ListContractRevisionsRequest{Name: c.GetName()})
		wantCode(t, err, codes.FailedPrecondition)
		_, err = e.Contract.GetContract(cm, &contractv1.GetContractRequest{Name: c.GetName(), RevisionId: "1"})
		wantCode(t, err, codes.FailedPrecondition)
		_, err = e.Contract.GetEffectiveContract(cm, &contractv1.GetEffectiveContractRequest{Name: "contracts/NOPE", Date: c.GetStartDate()})
		wantCode(t, err, codes.NotFound)
	})
}

func TestRecordChronicFailure(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		s := e.SignedContract(t)
		name := s.Contract.GetName()
		gm := e.AsRole(t, auth.GovernanceManager)
		right := &contractv1.ChronicFailureRight{
			Period:           "2027-03",
			ServiceLevelKeys: []string{testenv.LevelASA},
			MissedPeriods:    []string{"2026-10", "2027-01", "2027-03"},
		}
		audits := auditCount(t, e, name)

		// Only monitoring, with the closing governance manager's token.
		for _, role := range []auth.Role{auth.ContractManager, auth.Approver, auth.Auditor, auth.ProviderUser} {
			ctx := e.AsRole(t, role)
			if role == auth.ProviderUser {
				ctx = e.AsProvider(t, s.Provider)
			}
			_, err := e.Contract.RecordChronicFailure(ctx, &contractv1.RecordChronicFailureRequest{Name: name, Right: right})
			wantCode(t, err, codes.PermissionDenied)
		}
		// Evidence that is not evidence: a KPI, an unknown level, no periods.
		_, err := e.Contract.RecordChronicFailure(gm, &contractv1.RecordChronicFailureRequest{Name: name, Right: &contractv1.ChronicFailureRight{
			Period: "2027-03", ServiceLevelKeys: []string{testenv.LevelAHT, "nope"},
		}})
		wantViolations(t, err, "right.service_level_keys[0]", "right.service_level_keys[1]", "right.missed_periods")

		c, err := e.Contract.RecordChronicFailure(gm, &contractv1.RecordChronicFailureRequest{Name: name, Right: right, RequestId: "close-2027-03"})
		if err != nil {
			t.Fatal(err)
		}
		rights := c.GetChronicFailureRights()
		if len(rights) != 1 || rights[0].GetPeriod() != "2027-03" || rights[0].GetRecordTime() == nil || len(rights[0].GetMissedPeriods()) != 3 {
			t.Fatalf("rights %v", rights)
		}
		// The same request again answers the first result; the same period
		// under another request id changes nothing either.
		again, err := e.Contract.RecordChronicFailure(gm, &contractv1.RecordChronicFailureRequest{Name: name, Right: right, RequestId: "close-2027-03"})
		if err != nil || again.GetEtag() != c.GetEtag() {
			t.Errorf("retry: %v %v", again.GetEtag(), err)
		}
		again, err = e.Contract.RecordChronicFailure(gm, &contractv1.RecordChronicFailureRequest{Name: name, Right: right, RequestId: "close-2027-03-again"})
		if err != nil || again.GetEtag() != c.GetEtag() || len(again.GetChronicFailureRights()) != 1 {
			t.Errorf("same period again: %v %v", again.GetChronicFailureRights(), err)
		}
		if got := auditCount(t, e, name); got != audits+1 {
			t.Errorf("audit records %d, want %d + 1", got, audits)
		}
		// Output only: an update cannot forge one (the contract is signed
		// anyway), and the effective contract carries it.
		eff, err := e.Contract.GetEffectiveContract(gm, &contractv1.GetEffectiveContractRequest{Name: name, Date: s.Contract.GetStartDate()})
		if err != nil || len(eff.GetChronicFailureRights()) != 1 {
			t.Errorf("effective: %v %v", eff.GetChronicFailureRights(), err)
		}

		// A draft has no chronic failures.
		_, err = e.Contract.RecordChronicFailure(gm, &contractv1.RecordChronicFailureRequest{Name: "contracts/NOPE", Right: right})
		wantCode(t, err, codes.NotFound)
	})
}

func TestListContractsByState(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		s := e.SignedContract(t)
		tm := e.AsRole(t, auth.TransitionManager)
		for filter, want := range map[string]int{
			"state = SIGNED": 1, "state = CONTRACT_STATE_SIGNED": 1, "state = TERMINATED": 0, "state = DRAFT": 0,
		} {
			resp, err := e.Contract.ListContracts(tm, &contractv1.ListContractsRequest{Filter: filter})
			if err != nil {
				t.Fatalf("%s: %v", filter, err)
			}
			if len(resp.GetContracts()) != want {
				t.Errorf("%s: %d contracts, want %d", filter, len(resp.GetContracts()), want)
			}
		}
		today := time.Now().In(time.UTC).AddDate(0, 0, -1) // yesterday: not in the future in any zone
		if _, err := e.Contract.TerminateContract(e.AsRole(t, auth.ContractManager), &contractv1.TerminateContractRequest{
			Name: s.Contract.GetName(), Reason: contractv1.TerminationReason_TERMINATION_REASON_MUTUAL, EffectiveDate: civil.Of(today),
		}); err != nil {
			t.Fatal(err)
		}
		resp, err := e.Contract.ListContracts(tm, &contractv1.ListContractsRequest{Filter: "state = TERMINATED"})
		if err != nil || len(resp.GetContracts()) != 1 || resp.GetContracts()[0].GetName() != s.Contract.GetName() {
			t.Errorf("terminated: %v %v", resp, err)
		}
	})
}
