package contract_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/testenv"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

const (
	draft    = contractv1.ContractState_CONTRACT_STATE_DRAFT
	inReview = contractv1.ContractState_CONTRACT_STATE_IN_REVIEW
	approved = contractv1.ContractState_CONTRACT_STATE_APPROVED
	signed   = contractv1.ContractState_CONTRACT_STATE_SIGNED
)

// wantCode fails the test unless err is a status with code want.
func wantCode(t *testing.T, err error, want codes.Code) *status.Status {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != want {
		t.Fatalf("got %v, want %v", err, want)
	}
	return st
}

// wantMessage fails the test unless err has code want and its message
// contains text.
func wantMessage(t *testing.T, err error, want codes.Code, text string) {
	t.Helper()
	if st := wantCode(t, err, want); !strings.Contains(st.Message(), text) {
		t.Fatalf("message %q does not say %q", st.Message(), text)
	}
}

// wantViolations fails the test unless err is INVALID_ARGUMENT whose
// google.rpc.BadRequest names exactly the fields, in any order.
func wantViolations(t *testing.T, err error, fields ...string) {
	t.Helper()
	st := wantCode(t, err, codes.InvalidArgument)
	var got []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				got = append(got, v.GetField())
			}
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(fields))
	if !slices.Equal(got, want) {
		t.Fatalf("field violations on %v, want %v (%v)", got, want, err)
	}
}

func draftFor(t *testing.T, e *testenv.Env, ctx context.Context, engagement string) *contractv1.Contract {
	t.Helper()
	c, err := e.Contract.CreateContract(ctx, &contractv1.CreateContractRequest{Contract: &contractv1.Contract{
		Engagement: engagement, ClientSignatory: testenv.ClientSignatory,
	}})
	if err != nil {
		t.Fatalf("CreateContract: %v", err)
	}
	return c
}

func TestContractBeforeAward(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		eng := e.Engagement(t)
		_, err := e.Contract.CreateContract(e.AsRole(t, auth.ContractManager), &contractv1.CreateContractRequest{Contract: &contractv1.Contract{Engagement: eng.GetName()}})
		st := wantCode(t, err, codes.FailedPrecondition)
		want := eng.GetName() + " has no award yet: the sourcing event must be awarded and the award approved before a contract is drafted"
		if st.Message() != want {
			t.Errorf("message %q, want %q", st.Message(), want)
		}
		_, err = e.Contract.CreateContract(e.AsRole(t, auth.ContractManager), &contractv1.CreateContractRequest{Contract: &contractv1.Contract{Engagement: "engagements/NOPE"}})
		wantCode(t, err, codes.NotFound)
		_, err = e.Contract.CreateContract(e.AsRole(t, auth.ContractManager), &contractv1.CreateContractRequest{Contract: &contractv1.Contract{}})
		wantViolations(t, err, "contract.engagement")
		_, err = e.Contract.CreateContract(e.AsRole(t, auth.SourcingManager), &contractv1.CreateContractRequest{Contract: &contractv1.Contract{Engagement: eng.GetName()}})
		wantCode(t, err, codes.PermissionDenied)
	})
}

func TestPrefillFromAwardAndScope(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		cm := e.AsRole(t, auth.ContractManager)
		c, err := e.Contract.CreateContract(cm, &contractv1.CreateContractRequest{Contract: &contractv1.Contract{
			Engagement:   a.Engagement.GetName(),
			DisplayName:  "Customer support MSA",
			Provider:     "providers/IGNORED", // output only
			State:        signed,              // output only
			CreditRegime: &contractv1.CreditRegime{AtRiskBps: 1500},
		}})
		if err != nil {
			t.Fatal(err)
		}
		// The award: provider, proposal and its fixed monthly fee.
		if c.GetProvider() != a.Provider || c.GetProposal() != a.Proposal || c.GetProvider() != a.Engagement.GetAward().GetProvider() {
			t.Errorf("parties %s %s, want %s %s", c.GetProvider(), c.GetProposal(), a.Provider, a.Proposal)
		}
		if !proto.Equal(c.GetMonthlyFee(), a.MonthlyFee) || c.GetCurrencyCode() != testenv.Currency {
			t.Errorf("fee %v %s, want %v", c.GetMonthlyFee(), c.GetCurrencyCode(), a.MonthlyFee)
		}
		// The scope: levels as scoped; the one CRITICAL level takes the
		// whole pool (10000 bps), the KPI none.
		want := make([]*typev1.ServiceLevel, len(a.Scope.GetServiceLevels()))
		for i, sl := range a.Scope.GetServiceLevels() {
			want[i] = proto.Clone(sl).(*typev1.ServiceLevel)
			if sl.GetKind() == typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL {
				want[i].AllocationBps = 10000
			}
		}
		if d := cmp.Diff(want, c.GetServiceLevels(), protocmp.Transform()); d != "" {
			t.Errorf("service levels (-scope +contract):\n%s", d)
		}
		if c.GetServiceTimeZone() != testenv.TimeZone {
			t.Errorf("time zone %q", c.GetServiceTimeZone())
		}
		// Term: from the go-live date (the first of a month) for 24
		// months, so it ends on the last day of the month before the
		// second anniversary.
		g := a.GoLive
		end := time.Date(int(g.GetYear()), time.Month(g.GetMonth())+testenv.TermMonths, 0, 0, 0, 0, 0, time.UTC)
		if !proto.Equal(c.GetStartDate(), g) || !proto.Equal(c.GetEndDate(), &date.Date{Year: int32(end.Year()), Month: int32(end.Month()), Day: int32(end.Day())}) {
			t.Errorf("term %v – %v, want from %v to %s", c.GetStartDate(), c.GetEndDate(), g, end.Format(time.DateOnly))
		}
		// Defaults, and what the caller set.
		wantRegime := &contractv1.CreditRegime{AtRiskBps: 1500, ChronicMisses: 3, ChronicWindow: 6}
		if !proto.Equal(c.GetCreditRegime(), wantRegime) {
			t.Errorf("credit regime %v, want %v", c.GetCreditRegime(), wantRegime)
		}
		if c.GetType() != contractv1.ContractType_CONTRACT_TYPE_FIXED_PRICE || c.GetDisplayName() != "Customer support MSA" ||
			c.GetState() != draft || c.GetAuthor() != string(auth.ContractManager) || c.GetEtag() == "" {
			t.Errorf("got %v", c)
		}

		// One live contract per engagement.
		_, err = e.Contract.CreateContract(cm, &contractv1.CreateContractRequest{Contract: &contractv1.Contract{Engagement: a.Engagement.GetName()}})
		wantMessage(t, err, codes.AlreadyExists, c.GetName())

		got, err := e.Contract.GetContract(e.AsRole(t, auth.GovernanceManager), &contractv1.GetContractRequest{Name: c.GetName()})
		if err != nil || !proto.Equal(got, c) {
			t.Errorf("GetContract = %v, %v; want what CreateContract answered", got, err)
		}
	})
}

// The pre-fill takes the scope revision the sourcing event was published
// on: a later edit of the scope (a new DRAFT revision, never approved nor
// awarded) does not reach the contract.
func TestPrefillIgnoresLaterScopeRevision(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		later := proto.Clone(a.Scope).(*catalogv1.Scope)
		later.ServiceLevels[0].Target = "90"
		later.Coverage.ServiceTimeZone = "Europe/Berlin"
		draft, err := e.Catalog.UpdateScope(e.AsRole(t, auth.SourcingManager), &catalogv1.UpdateScopeRequest{
			Scope:      later,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"service_levels", "coverage"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if draft.GetRevision() != a.Scope.GetRevision()+1 || draft.GetState() != catalogv1.ScopeState_SCOPE_STATE_DRAFT {
			t.Fatalf("the edit made revision %d (%v), want a DRAFT revision %d", draft.GetRevision(), draft.GetState(), a.Scope.GetRevision()+1)
		}

		c := draftFor(t, e, e.AsRole(t, auth.ContractManager), a.Engagement.GetName())
		if got := c.GetServiceLevels()[0].GetTarget(); got != "80" {
			t.Errorf("target %s, want the approved revision's 80", got)
		}
		if c.GetServiceTimeZone() != testenv.TimeZone {
			t.Errorf("time zone %s, want the approved revision's %s", c.GetServiceTimeZone(), testenv.TimeZone)
		}
	})
}

func TestCreateIsIdempotent(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		cm := e.AsRole(t, auth.ContractManager)
		req := &contractv1.CreateContractRequest{Contract: &contractv1.Contract{Engagement: a.Engagement.GetName()}, RequestId: "create-1"}
		first, err := e.Contract.CreateContract(cm, req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.Contract.CreateContract(cm, req)
		if err != nil || again.GetName() != first.GetName() {
			t.Fatalf("retry = %v, %v; want %s", again.GetName(), err, first.GetName())
		}
	})
}

func TestSubmitListsEveryProblem(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		cm := e.AsRole(t, auth.ContractManager)
		c := draftFor(t, e, cm, a.Engagement.GetName())

		broken := proto.Clone(c).(*contractv1.Contract)
		broken.ServiceLevels[0].AllocationBps = 0 // the CRITICAL level
		broken.EndDate = &date.Date{Year: c.GetStartDate().GetYear() - 1, Month: 1, Day: 1}
		broken.ClientSignatory, broken.MonthlyFee = "", nil
		c, err := e.Contract.UpdateContract(cm, &contractv1.UpdateContractRequest{
			Contract:   broken,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"service_levels", "end_date", "client_signatory", "monthly_fee"}},
		})
		if err != nil {
			t.Fatalf("a draft may be incomplete: %v", err)
		}
		_, err = e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName()})
		wantViolations(t, err,
			"contract.service_levels[0].allocation_bps", // CRITICAL without allocation
			"contract.service_levels",                   // so the allocations sum to 0 %
			"contract.end_date",                         // before the start
			"contract.client_signatory",                 // missing
			"contract.monthly_fee",                      // missing for FIXED_PRICE
		)

		// A fee in another currency than the award's.
		fixed := proto.Clone(c).(*contractv1.Contract)
		fixed.ServiceLevels[0].AllocationBps = 10000
		fixed.EndDate, fixed.ClientSignatory = nil, testenv.ClientSignatory
		fixed.MonthlyFee = &typev1.Money{CurrencyCode: "EUR", MinorUnits: 9_000_000}
		c, err = e.Contract.UpdateContract(cm, &contractv1.UpdateContractRequest{Contract: fixed, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName()})
		wantViolations(t, err, "contract.monthly_fee.currency_code", "contract.end_date")

		// More than 20 % at risk is refused as soon as it is written.
		_, err = e.Contract.UpdateContract(cm, &contractv1.UpdateContractRequest{Contract: &contractv1.Contract{
			Name: c.GetName(), CreditRegime: &contractv1.CreditRegime{AtRiskBps: 2500},
		}})
		wantCode(t, err, codes.InvalidArgument)
		// An immutable field is not updated (the output-only one beside it
		// would be ignored).
		_, err = e.Contract.UpdateContract(cm, &contractv1.UpdateContractRequest{
			Contract:   &contractv1.Contract{Name: c.GetName(), Engagement: "engagements/OTHER"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"engagement", "provider"}},
		})
		wantViolations(t, err, "update_mask")
		// A stale etag is ABORTED.
		_, err = e.Contract.UpdateContract(cm, &contractv1.UpdateContractRequest{Contract: &contractv1.Contract{Name: c.GetName(), DisplayName: "x", Etag: "1-stale"}})
		wantCode(t, err, codes.Aborted)
	})
}

func TestFullPathToSigned(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		cm := e.AsRole(t, auth.ContractManager)
		approver := e.AsRole(t, auth.Approver)
		client := e.As(t, testenv.ClientSignatory, auth.Approver)
		provider := e.AsProvider(t, a.Provider)
		c := draftFor(t, e, cm, a.Engagement.GetName())

		_, err := e.Contract.ApproveContract(approver, &contractv1.ApproveContractRequest{Name: c.GetName()})
		wantMessage(t, err, codes.FailedPrecondition, "DRAFT")
		_, err = e.Contract.SignContract(client, &contractv1.SignContractRequest{Name: c.GetName()})
		wantMessage(t, err, codes.FailedPrecondition, "only an APPROVED contract can be signed")

		c, err = e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName(), Etag: c.GetEtag()})
		if err != nil || c.GetState() != inReview {
			t.Fatalf("submit: %v %v", c.GetState(), err)
		}
		_, err = e.Contract.UpdateContract(cm, &contractv1.UpdateContractRequest{Contract: &contractv1.Contract{Name: c.GetName(), DisplayName: "late edit"}})
		wantMessage(t, err, codes.FailedPrecondition, "IN_REVIEW")

		c, err = e.Contract.ApproveContract(approver, &contractv1.ApproveContractRequest{Name: c.GetName()})
		if err != nil || c.GetState() != approved || c.GetApprover() != string(auth.Approver) {
			t.Fatalf("approve: %v %v %v", c.GetState(), c.GetApprover(), err)
		}

		_, err = e.Contract.SignContract(cm, &contractv1.SignContractRequest{Name: c.GetName()})
		wantCode(t, err, codes.PermissionDenied) // neither signatory nor provider
		c, err = e.Contract.SignContract(client, &contractv1.SignContractRequest{Name: c.GetName()})
		if err != nil || c.GetState() != approved || c.GetClientSignature().GetSigner() != testenv.ClientSignatory {
			t.Fatalf("client signs: %v %v %v", c.GetState(), c.GetClientSignature(), err)
		}
		again, err := e.Contract.SignContract(client, &contractv1.SignContractRequest{Name: c.GetName()})
		if err != nil || again.GetEtag() != c.GetEtag() {
			t.Fatalf("signing twice changes nothing: %v %v", again.GetEtag(), err)
		}
		c, err = e.Contract.SignContract(provider, &contractv1.SignContractRequest{Name: c.GetName()})
		if err != nil || c.GetState() != signed || c.GetProviderSignature().GetSigner() != testenv.ProviderUser(a.Provider) {
			t.Fatalf("provider signs: %v %v %v", c.GetState(), c.GetProviderSignature(), err)
		}

		// A signed contract never changes in place.
		_, err = e.Contract.UpdateContract(cm, &contractv1.UpdateContractRequest{Contract: &contractv1.Contract{Name: c.GetName(), DisplayName: "after"}})
		wantMessage(t, err, codes.FailedPrecondition, "signed contracts change only by amendment")

		// Service commencement: once, by the transition manager.
		tm := e.AsRole(t, auth.TransitionManager)
		req := &contractv1.RecordServiceCommencementRequest{Name: c.GetName(), CommencementDate: a.GoLive, TransitionPlan: "transitionPlans/T1"}
		_, err = e.Contract.RecordServiceCommencement(cm, req)
		wantCode(t, err, codes.PermissionDenied)
		c, err = e.Contract.RecordServiceCommencement(tm, req)
		if err != nil || !proto.Equal(c.GetServiceCommencementDate(), a.GoLive) {
			t.Fatalf("commence: %v %v", c.GetServiceCommencementDate(), err)
		}
		if again, err := e.Contract.RecordServiceCommencement(tm, req); err != nil || again.GetEtag() != c.GetEtag() {
			t.Fatalf("the same date again: %v %v", again.GetEtag(), err)
		}
		later := proto.Clone(req).(*contractv1.RecordServiceCommencementRequest)
		later.CommencementDate = &date.Date{Year: a.GoLive.GetYear(), Month: a.GoLive.GetMonth(), Day: 2}
		_, err = e.Contract.RecordServiceCommencement(tm, later)
		wantMessage(t, err, codes.FailedPrecondition, "already commenced")

		// Filters.
		for filter, want := range map[string]int{
			"state = SIGNED":                                1,
			"state = CONTRACT_STATE_DRAFT":                  0,
			`engagement = "` + a.Engagement.GetName() + `"`: 1,
			`provider = "` + a.Provider + `"`:               1,
			"provider = providers/OTHER":                    0,
		} {
			resp, err := e.Contract.ListContracts(cm, &contractv1.ListContractsRequest{Filter: filter})
			if err != nil || len(resp.GetContracts()) != want {
				t.Errorf("ListContracts(%q) = %d, %v; want %d", filter, len(resp.GetContracts()), err, want)
			}
		}
		_, err = e.Contract.ListContracts(cm, &contractv1.ListContractsRequest{Filter: "author = x"})
		wantCode(t, err, codes.InvalidArgument)

		// The audit log holds every change, chained intact.
		resp, err := e.Contract.ListAuditEvents(e.AsRole(t, auth.Auditor), &contractv1.ListAuditEventsRequest{Filter: `resource = "` + c.GetName() + `"`, PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		var methods []string
		for _, ev := range resp.GetAuditEvents() {
			methods = append(methods, ev.GetMethod()[strings.LastIndex(ev.GetMethod(), "/")+1:])
		}
		wantMethods := []string{"CreateContract", "SubmitContract", "ApproveContract", "SignContract", "SignContract", "RecordServiceCommencement"}
		if !slices.Equal(methods, wantMethods) {
			t.Errorf("audited %v, want %v", methods, wantMethods)
		}
		v, err := e.Contract.VerifyAuditLog(e.AsRole(t, auth.Auditor), &contractv1.VerifyAuditLogRequest{})
		if err != nil || !v.GetVerification().GetIntact() || v.GetVerification().GetEventsChecked() < int64(len(wantMethods)) {
			t.Errorf("VerifyAuditLog = %v, %v", v, err)
		}
		_, err = e.Contract.ListAuditEvents(cm, &contractv1.ListAuditEventsRequest{})
		wantCode(t, err, codes.PermissionDenied)
	})
}

func TestFourEyes(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		// One person who both drafts and approves.
		both := e.As(t, "dual", auth.ContractManager, auth.Approver)
		c := draftFor(t, e, both, a.Engagement.GetName())
		if _, err := e.Contract.SubmitContract(both, &contractv1.SubmitContractRequest{Name: c.GetName()}); err != nil {
			t.Fatal(err)
		}
		_, err := e.Contract.ApproveContract(both, &contractv1.ApproveContractRequest{Name: c.GetName()})
		wantMessage(t, err, codes.PermissionDenied, "an approver cannot approve a contract they drafted")
		// A provider user who also holds the approver role: such a token is
		// refused outright (kit/auth: the provider role stands alone), so a
		// provider can never approve its own contract.
		tok := e.AsUser(t, "provider-approver", a.Provider, auth.Approver, auth.ProviderUser)
		_, err = e.Contract.ApproveContract(tok, &contractv1.ApproveContractRequest{Name: c.GetName()})
		if status.Code(err) != codes.Unauthenticated {
			t.Fatalf("provider+approver token: got %v, want Unauthenticated", err)
		}
		_, err = e.Contract.ApproveContract(e.AsRole(t, auth.Approver), &contractv1.ApproveContractRequest{Name: c.GetName()})
		if err != nil {
			t.Fatalf("another approver: %v", err)
		}
	})
}

func TestProviderIsolation(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		cm := e.AsRole(t, auth.ContractManager)
		c := draftFor(t, e, cm, a.Engagement.GetName())
		if _, err := e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName()}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Contract.ApproveContract(e.AsRole(t, auth.Approver), &contractv1.ApproveContractRequest{Name: c.GetName()}); err != nil {
			t.Fatal(err)
		}
		var other string
		for _, p := range a.Providers {
			if p.GetName() != a.Provider {
				other = p.GetName()
			}
		}
		mine, theirs := e.AsProvider(t, a.Provider), e.AsProvider(t, other)

		if _, err := e.Contract.GetContract(mine, &contractv1.GetContractRequest{Name: c.GetName()}); err != nil {
			t.Errorf("the contracted provider reads its contract: %v", err)
		}
		_, err := e.Contract.GetContract(theirs, &contractv1.GetContractRequest{Name: c.GetName()})
		wantCode(t, err, codes.PermissionDenied)
		// A contract that does not exist answers the same: nothing is learnt.
		_, err = e.Contract.GetContract(theirs, &contractv1.GetContractRequest{Name: "contracts/NOPE"})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.Contract.SignContract(theirs, &contractv1.SignContractRequest{Name: c.GetName()})
		wantCode(t, err, codes.PermissionDenied)

		for ctx, want := range map[context.Context]int{mine: 1, theirs: 0} {
			resp, err := e.Contract.ListContracts(ctx, &contractv1.ListContractsRequest{})
			if err != nil || len(resp.GetContracts()) != want {
				t.Errorf("ListContracts = %d, %v; want %d", len(resp.GetContracts()), err, want)
			}
		}
		// Filtering for another provider does not widen the view.
		resp, err := e.Contract.ListContracts(theirs, &contractv1.ListContractsRequest{Filter: `provider = "` + a.Provider + `"`})
		if err != nil || len(resp.GetContracts()) != 0 {
			t.Errorf("ListContracts for another provider = %d, %v", len(resp.GetContracts()), err)
		}
		if _, err := e.Contract.SignContract(mine, &contractv1.SignContractRequest{Name: c.GetName()}); err != nil {
			t.Errorf("the contracted provider signs: %v", err)
		}
	})
}

func TestSignedContractStage(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		s := e.SignedContract(t)
		if s.Contract.GetState() != signed || s.Contract.GetProvider() != s.Provider {
			t.Errorf("got %v", s.Contract)
		}
	})
}

// TestCatalogDown: when catalog cannot be reached, drafting answers
// UNAVAILABLE naming it, not INTERNAL and not a hang.
func TestCatalogDown(t *testing.T) {
	t.Parallel()
	e := testenv.Start(t, sqltest.SQLite, testenv.Only("contract"), testenv.Down("catalog"))
	_, err := e.Contract.CreateContract(e.AsRole(t, auth.ContractManager), &contractv1.CreateContractRequest{Contract: &contractv1.Contract{Engagement: "engagements/E1"}})
	wantMessage(t, err, codes.Unavailable, "catalog is unavailable")
}

func TestRejectSendsBackToDraftAndEditorsCannotApprove(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		cm := e.AsRole(t, auth.ContractManager)
		c := draftFor(t, e, cm, a.Engagement.GetName())
		if _, err := e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName()}); err != nil {
			t.Fatal(err)
		}
		approver := e.AsRole(t, auth.Approver)
		_, err := e.Contract.RejectContract(approver, &contractv1.RejectContractRequest{Name: c.GetName(), Reason: "  escalation cap must be 3 %  "})
		if err != nil {
			t.Fatalf("RejectContract: %v", err)
		}
		got, err := e.Contract.GetContract(cm, &contractv1.GetContractRequest{Name: c.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetState() != contractv1.ContractState_CONTRACT_STATE_DRAFT || got.GetRejectionReason() != "escalation cap must be 3 %" {
			t.Fatalf("after reject: state %v reason %q, want DRAFT with the trimmed reason", got.GetState(), got.GetRejectionReason())
		}
		// Rejecting a DRAFT is a state error naming the state.
		_, err = e.Contract.RejectContract(approver, &contractv1.RejectContractRequest{Name: c.GetName(), Reason: "again"})
		wantMessage(t, err, codes.FailedPrecondition, "cannot reject a contract that is DRAFT: only a contract IN_REVIEW can be sent back to DRAFT")

		// An approver who also manages contracts fixes the draft: having
		// edited it, they may not approve it (four eyes).
		lead := e.As(t, "lead", auth.ContractManager, auth.Approver)
		_, err = e.Contract.UpdateContract(lead, &contractv1.UpdateContractRequest{
			Contract:   &contractv1.Contract{Name: c.GetName(), EscalationCapBps: 300},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"escalation_cap_bps"}},
		})
		if err != nil {
			t.Fatalf("UpdateContract: %v", err)
		}
		re, err := e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if re.GetRejectionReason() != "" {
			t.Errorf("resubmitted contract keeps rejection reason %q", re.GetRejectionReason())
		}
		_, err = e.Contract.ApproveContract(lead, &contractv1.ApproveContractRequest{Name: c.GetName()})
		wantMessage(t, err, codes.PermissionDenied, "an approver cannot approve a contract they edited; another approver must approve "+c.GetName())
		if _, err := e.Contract.ApproveContract(approver, &contractv1.ApproveContractRequest{Name: c.GetName()}); err != nil {
			t.Fatalf("an approver who never edited it: %v", err)
		}
	})
}

// An award withdrawn in catalog after the contract was drafted (the
// provider walked away before signing) leaves the draft naming a provider
// that no longer holds the award: approving it is refused, naming both.
func TestApprovalRefusedOnceTheAwardIsWithdrawn(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		cm := e.AsRole(t, auth.ContractManager)
		c := draftFor(t, e, cm, a.Engagement.GetName())
		c, err := e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName(), Etag: c.GetEtag()})
		if err != nil {
			t.Fatalf("submit: %v", err)
		}
		if _, err := e.Catalog.WithdrawAward(e.AsRole(t, auth.SourcingManager), &catalogv1.WithdrawAwardRequest{
			Name: a.Event.GetName(), Reason: "the provider withdrew before signing",
		}); err != nil {
			t.Fatalf("withdraw award: %v", err)
		}
		_, err = e.Contract.ApproveContract(e.AsRole(t, auth.Approver), &contractv1.ApproveContractRequest{Name: c.GetName()})
		wantMessage(t, err, codes.FailedPrecondition, "which was withdrawn (the award now names no proposal)")
		got, err := e.Contract.GetContract(cm, &contractv1.GetContractRequest{Name: c.GetName()})
		if err != nil || got.GetState() != inReview || got.GetApprover() != "" {
			t.Fatalf("after the refusal: %v approver %q (%v); want IN_REVIEW, unapproved", got.GetState(), got.GetApprover(), err)
		}

		// The stale draft holds the engagement until it is deleted; then a
		// contract is drafted for the award that replaced it.
		_, err = e.Contract.CreateContract(cm, &contractv1.CreateContractRequest{Contract: &contractv1.Contract{Engagement: a.Engagement.GetName()}})
		wantMessage(t, err, codes.FailedPrecondition, "has no award yet")
		sm := e.AsRole(t, auth.SourcingManager)
		var next string // another bidder's proposal, the first by name
		for _, p := range a.Proposals {
			if n := p.GetName(); n != a.Proposal && (next == "" || n < next) {
				next = n
			}
		}
		if _, err := e.Catalog.AwardSourcingEvent(sm, &catalogv1.AwardSourcingEventRequest{Name: a.Event.GetName(), Proposal: next, Justification: "the awarded provider withdrew before signing"}); err != nil {
			t.Fatalf("award the next proposal: %v", err)
		}
		if _, err := e.Catalog.ApproveAward(e.AsRole(t, auth.Approver), &catalogv1.ApproveAwardRequest{Name: a.Event.GetName()}); err != nil {
			t.Fatalf("approve the new award: %v", err)
		}
		_, err = e.Contract.CreateContract(cm, &contractv1.CreateContractRequest{Contract: &contractv1.Contract{Engagement: a.Engagement.GetName()}})
		wantMessage(t, err, codes.AlreadyExists, c.GetName())
		_, err = e.Contract.DeleteContract(e.AsProvider(t, a.Provider), &contractv1.DeleteContractRequest{Name: c.GetName()})
		wantCode(t, err, codes.PermissionDenied)
		if _, err := e.Contract.DeleteContract(cm, &contractv1.DeleteContractRequest{Name: c.GetName(), RequestId: "delete-stale"}); err != nil {
			t.Fatalf("delete the stale draft: %v", err)
		}
		if _, err := e.Contract.DeleteContract(cm, &contractv1.DeleteContractRequest{Name: c.GetName(), RequestId: "delete-stale"}); err != nil {
			t.Errorf("a retried delete answers the first result: %v", err)
		}
		_, err = e.Contract.GetContract(cm, &contractv1.GetContractRequest{Name: c.GetName()})
		wantCode(t, err, codes.NotFound)
		fresh := draftFor(t, e, cm, a.Engagement.GetName())
		if fresh.GetProposal() != next {
			t.Errorf("the new draft names %s; want the new award's proposal %s", fresh.GetProposal(), next)
		}
	})
}

// A signed contract is never deleted: it ends by expiry or termination.
func TestASignedContractIsNotDeleted(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		s := e.SignedContract(t)
		cm := e.AsRole(t, auth.ContractManager)
		_, err := e.Contract.DeleteContract(cm, &contractv1.DeleteContractRequest{Name: s.Contract.GetName()})
		wantMessage(t, err, codes.FailedPrecondition, "a signed contract is never deleted")
		if _, err := e.Contract.GetContract(cm, &contractv1.GetContractRequest{Name: s.Contract.GetName()}); err != nil {
			t.Fatalf("the signed contract after the refused delete: %v", err)
		}
	})
}
