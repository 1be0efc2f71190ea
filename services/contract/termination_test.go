package contract_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

const terminated = contractv1.ContractState_CONTRACT_STATE_TERMINATED

// today is the calendar day now in the contract's service time zone, the
// latest effective date a termination accepts.
func today(t *testing.T, c *contractv1.Contract) *date.Date {
	t.Helper()
	loc, err := time.LoadLocation(c.GetServiceTimeZone())
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := time.Now().In(loc).Date()
	return &date.Date{Year: int32(y), Month: int32(m), Day: int32(d)}
}

// TestTerminate: a SIGNED contract is terminated by the contract manager
// with a reason and an effective date; the engagement is then free for a
// new contract. spec: contract.md, "States".
func TestTerminate(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		s := e.SignedContract(t)
		c := s.Contract
		cm := e.AsRole(t, auth.ContractManager)
		eff := today(t, c)
		req := func(reason contractv1.TerminationReason) *contractv1.TerminateContractRequest {
			return &contractv1.TerminateContractRequest{Name: c.GetName(), Reason: reason, EffectiveDate: eff, Explanation: "service moves in-house", Etag: c.GetEtag()}
		}
		convenience := contractv1.TerminationReason_TERMINATION_REASON_CONVENIENCE

		// Who may terminate: the contract manager (and admins).
		for _, role := range []auth.Role{auth.Approver, auth.TransitionManager, auth.Auditor} {
			_, err := e.Contract.TerminateContract(e.AsRole(t, role), req(convenience))
			wantCode(t, err, codes.PermissionDenied)
		}
		_, err := e.Contract.TerminateContract(e.AsProvider(t, s.Provider), req(convenience))
		wantCode(t, err, codes.PermissionDenied)

		// What the request must hold.
		_, err = e.Contract.TerminateContract(cm, &contractv1.TerminateContractRequest{Name: c.GetName()})
		wantViolations(t, err, "reason", "effective_date")
		future := req(convenience)
		tomorrow := time.Date(int(eff.GetYear()), time.Month(eff.GetMonth()), int(eff.GetDay())+1, 0, 0, 0, 0, time.UTC)
		future.EffectiveDate = &date.Date{Year: int32(tomorrow.Year()), Month: int32(tomorrow.Month()), Day: int32(tomorrow.Day())}
		_, err = e.Contract.TerminateContract(cm, future)
		wantViolations(t, err, "effective_date")

		// For cause needs an approval flow that is not built: refused, saying so.
		_, err = e.Contract.TerminateContract(cm, req(contractv1.TerminationReason_TERMINATION_REASON_CAUSE))
		wantMessage(t, err, codes.FailedPrecondition, "has no chronic-failure right: termination for CAUSE needs one recorded by monitoring")

		stale := req(convenience)
		stale.Etag = `"stale"`
		_, err = e.Contract.TerminateContract(cm, stale)
		wantCode(t, err, codes.Aborted)

		ok := req(convenience)
		ok.RequestId = "terminate-1"
		got, err := e.Contract.TerminateContract(cm, ok)
		if err != nil {
			t.Fatal(err)
		}
		want := &contractv1.Termination{Reason: convenience, EffectiveDate: eff, Explanation: "service moves in-house", TerminatedBy: string(auth.ContractManager), TerminateTime: got.GetTermination().GetTerminateTime()}
		if got.GetState() != terminated || !proto.Equal(got.GetTermination(), want) || got.GetTermination().GetTerminateTime() == nil {
			t.Fatalf("terminated: %v %v; want TERMINATED %v", got.GetState(), got.GetTermination(), want)
		}
		// A retry answers the first result; another call is refused by state.
		again, err := e.Contract.TerminateContract(cm, ok)
		if err != nil || again.GetEtag() != got.GetEtag() {
			t.Fatalf("retry: %v %v", again.GetEtag(), err)
		}
		_, err = e.Contract.TerminateContract(cm, &contractv1.TerminateContractRequest{Name: c.GetName(), Reason: convenience, EffectiveDate: eff})
		wantMessage(t, err, codes.FailedPrecondition, "cannot terminate a contract that is TERMINATED")
		_, err = e.Contract.RecordServiceCommencement(e.AsRole(t, auth.TransitionManager), &contractv1.RecordServiceCommencementRequest{Name: c.GetName(), CommencementDate: c.GetStartDate()})
		wantMessage(t, err, codes.FailedPrecondition, "TERMINATED")

		read, err := e.Contract.GetContract(e.AsProvider(t, s.Provider), &contractv1.GetContractRequest{Name: c.GetName()})
		if err != nil || !proto.Equal(read, got) {
			t.Errorf("the provider reads %v, %v; want the terminated contract", read, err)
		}
		for filter, n := range map[string]int{"state = TERMINATED": 1, "state = SIGNED": 0} {
			resp, err := e.Contract.ListContracts(cm, &contractv1.ListContractsRequest{Filter: filter + ` AND engagement = "` + s.Engagement.GetName() + `"`})
			if err != nil || len(resp.GetContracts()) != n {
				t.Errorf("ListContracts(%q) = %d, %v; want %d", filter, len(resp.GetContracts()), err, n)
			}
		}

		// The engagement is free: a new contract can be drafted for it, and
		// a draft cannot be terminated.
		next := draftFor(t, e, cm, s.Engagement.GetName())
		_, err = e.Contract.TerminateContract(cm, &contractv1.TerminateContractRequest{Name: next.GetName(), Reason: convenience, EffectiveDate: eff})
		wantMessage(t, err, codes.FailedPrecondition, "cannot terminate a contract that is DRAFT")
		_, err = e.Contract.CreateContract(cm, &contractv1.CreateContractRequest{Contract: &contractv1.Contract{Engagement: s.Engagement.GetName()}})
		wantMessage(t, err, codes.AlreadyExists, next.GetName())

		// Audited once, with the change.
		resp, err := e.Contract.ListAuditEvents(e.AsRole(t, auth.Auditor), &contractv1.ListAuditEventsRequest{Filter: `resource = "` + c.GetName() + `"`, PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		var methods []string
		for _, ev := range resp.GetAuditEvents() {
			methods = append(methods, ev.GetMethod()[strings.LastIndex(ev.GetMethod(), "/")+1:])
		}
		if n := len(methods); n == 0 || methods[n-1] != "TerminateContract" || slices.Index(methods, "TerminateContract") != n-1 {
			t.Errorf("audited %v, want one TerminateContract last", methods)
		}
	})
}

// Termination for cause over the API: on a chronic-failure right recorded
// by monitoring (its evidence kept on the termination), or on a written
// reason requested by one user and approved by an approver who is not the
// requester. spec: contract.md, "States" — TERMINATED.
func TestTerminateForCause(t *testing.T) {
	t.Parallel()
	cause := contractv1.TerminationReason_TERMINATION_REASON_CAUSE
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		cm := e.AsRole(t, auth.ContractManager)

		// On a chronic failure.
		s := e.SignedContract(t)
		c := s.Contract
		_, err := e.Contract.RecordChronicFailure(e.AsRole(t, auth.GovernanceManager), &contractv1.RecordChronicFailureRequest{Name: c.GetName(), Right: &contractv1.ChronicFailureRight{
			Period: "2027-06", ServiceLevelKeys: []string{testenv.LevelASA}, MissedPeriods: []string{"2027-02", "2027-04", "2027-06"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Contract.TerminateContract(cm, &contractv1.TerminateContractRequest{Name: c.GetName(), Reason: cause, EffectiveDate: today(t, c)})
		if err != nil {
			t.Fatal(err)
		}
		ev := got.GetTermination().GetChronicFailureRight()
		if got.GetState() != terminated || ev.GetPeriod() != "2027-06" || !slices.Equal(ev.GetMissedPeriods(), []string{"2027-02", "2027-04", "2027-06"}) {
			t.Errorf("terminated %v with evidence %v", got.GetState(), ev)
		}

		// On a written reason, four eyes.
		s2 := e.SignedContract(t)
		c2 := s2.Contract
		lead := e.As(t, "lead", auth.ContractManager, auth.Approver)
		_, err = e.Contract.RequestTermination(lead, &contractv1.RequestTerminationRequest{Name: c2.GetName(), EffectiveDate: today(t, c2)})
		wantViolations(t, err, "explanation")
		req, err := e.Contract.RequestTermination(lead, &contractv1.RequestTerminationRequest{Name: c2.GetName(), EffectiveDate: today(t, c2), Explanation: "repeated data-protection breaches"})
		if err != nil {
			t.Fatal(err)
		}
		if req.GetState() != signed || req.GetPendingTermination().GetRequestedBy() != "lead" {
			t.Fatalf("requested: %v %v", req.GetState(), req.GetPendingTermination())
		}
		_, err = e.Contract.ApproveTermination(lead, &contractv1.ApproveTerminationRequest{Name: c2.GetName()})
		wantMessage(t, err, codes.PermissionDenied, "lead requested this termination and cannot also approve it")
		_, err = e.Contract.ApproveTermination(cm, &contractv1.ApproveTerminationRequest{Name: c2.GetName()})
		wantCode(t, err, codes.PermissionDenied) // not an approver
		done, err := e.Contract.ApproveTermination(e.AsRole(t, auth.Approver), &contractv1.ApproveTerminationRequest{Name: c2.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		tm := done.GetTermination()
		if done.GetState() != terminated || tm.GetRequestedBy() != "lead" || tm.GetApprovedBy() != string(auth.Approver) || tm.GetReason() != cause || done.GetPendingTermination() != nil {
			t.Errorf("approved: %v %v", done.GetState(), tm)
		}
		// The engagement is free again.
		if _, err := e.Contract.CreateContract(cm, &contractv1.CreateContractRequest{Contract: &contractv1.Contract{Engagement: s2.Engagement.GetName()}}); err != nil {
			t.Errorf("new contract after termination: %v", err)
		}

		// A request rejected leaves the contract in force, with the reason.
		s3 := e.SignedContract(t)
		if _, err := e.Contract.RequestTermination(cm, &contractv1.RequestTerminationRequest{Name: s3.Contract.GetName(), EffectiveDate: today(t, s3.Contract), Explanation: "late reports"}); err != nil {
			t.Fatal(err)
		}
		kept, err := e.Contract.RejectTermination(e.AsRole(t, auth.Approver), &contractv1.RejectTerminationRequest{Name: s3.Contract.GetName(), Reason: "reports are late but not a cause"})
		if err != nil || kept.GetState() != signed || kept.GetPendingTermination() != nil || kept.GetTerminationRejectionReason() != "reports are late but not a cause" {
			t.Errorf("rejected: %v %v", kept, err)
		}
		_, err = e.Contract.ApproveTermination(e.AsRole(t, auth.Approver), &contractv1.ApproveTerminationRequest{Name: s3.Contract.GetName()})
		wantMessage(t, err, codes.FailedPrecondition, "has no termination for cause waiting for approval")
	})
}
