package catalog_test

import (
	"slices"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// supportScope is the scope content of the support engagement: one
// deliverable, a critical and a KPI level, data in the US, PH or CO.
func supportScope(name string) *catalogv1.Scope {
	return &catalogv1.Scope{
		Name:         name,
		Deliverables: []*catalogv1.Deliverable{{Name: "Inbound voice support", Unit: "contacts", ExpectedMonthlyVolume: 80_000}},
		Coverage:     &catalogv1.Coverage{Hours: catalogv1.CoverageHours_COVERAGE_HOURS_EXTENDED, ServiceTimeZone: "America/New_York", Languages: []string{"en", "es-US"}},
		ServiceLevels: []*typev1.ServiceLevel{
			{
				Key: "asa_20s", DisplayName: "Calls answered within 20 s",
				Metric:     &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, Unit: "s", Threshold: "20"},
				Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "80", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL,
			},
			{
				Key: "csat", DisplayName: "Customer satisfaction",
				Metric:     &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_MEAN, Unit: "points"},
				Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "4.2", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_KPI,
			},
		},
		Compliance: &catalogv1.Compliance{
			RequiredCertifications: []catalogv1.CertificationType{catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001},
			DataClassification:     catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL,
			AllowedDataCountries:   []string{"US", "PH", "CO"},
			MinOverlapHours:        0,
		},
		Transition: &catalogv1.TransitionTerms{GoLiveDate: &date.Date{Year: 2026, Month: 9, Day: 1}, ParallelRunWeeks: 2},
		Commercial: &catalogv1.CommercialTerms{
			PreferredPricingModels: []catalogv1.PricingModel{catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE},
			TermMonths:             36, CurrencyCode: "USD",
		},
	}
}

// approvedScope walks decide → scope: an assessed process, an engagement,
// its scope written and submitted by the sourcing manager and approved by
// an approver (revision 1). Other tests of the catalog (sourcing) start here.
func (e *env) approvedScope(t *testing.T) (*catalogv1.Engagement, *catalogv1.Scope) {
	t.Helper()
	eng := e.decidedEngagement(t)
	sm := e.as(t, auth.SourcingManager)
	name := eng.GetName() + "/scope"
	if _, err := e.client.UpdateScope(sm, &catalogv1.UpdateScopeRequest{Scope: supportScope(name)}); err != nil {
		t.Fatalf("UpdateScope: %v", err)
	}
	if _, err := e.client.SubmitScope(sm, &catalogv1.SubmitScopeRequest{Name: name}); err != nil {
		t.Fatalf("SubmitScope: %v", err)
	}
	sc, err := e.client.ApproveScope(e.as(t, auth.Approver), &catalogv1.ApproveScopeRequest{Name: name})
	if err != nil {
		t.Fatalf("ApproveScope: %v", err)
	}
	return eng, sc
}

func TestScopeReview(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		eng := e.decidedEngagement(t)
		name := eng.GetName() + "/scope"
		// alice is a sourcing manager who is also an approver.
		alice := e.withToken(t, "alice", []auth.Role{auth.SourcingManager, auth.Approver}, "")
		approver := e.as(t, auth.Approver)

		// The new scope is pre-filled from the process: its volume as a
		// deliverable (supportProcess's annual volume ÷ 12), its data
		// classification. Emptied, there is nothing to approve.
		pre, err := e.client.GetScope(alice, &catalogv1.GetScopeRequest{Name: name})
		if err != nil || len(pre.GetDeliverables()) != 1 || pre.GetCompliance().GetDataClassification() != supportProcess().GetDataClassification() ||
			pre.GetDeliverables()[0].GetExpectedMonthlyVolume() != (supportProcess().GetAnnualVolume()+6)/12 {
			t.Fatalf("pre-filled scope %v (%v)", pre, err)
		}
		_, err = e.client.UpdateScope(alice, &catalogv1.UpdateScopeRequest{Scope: &catalogv1.Scope{Name: name}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"deliverables"}}})
		if err != nil {
			t.Fatalf("empty the deliverables: %v", err)
		}
		_, err = e.client.SubmitScope(alice, &catalogv1.SubmitScopeRequest{Name: name})
		wantRefusal(t, err, codes.FailedPrecondition, "has no deliverables and no service levels")

		// Validation: duplicate key, PERCENT_WITHIN without threshold, bad codes.
		bad := supportScope(name)
		bad.ServiceLevels[1].Key = "asa_20s"
		bad.ServiceLevels[0].Metric.Threshold = ""
		bad.Coverage.Languages = []string{"en", "@@"}
		bad.Commercial.CurrencyCode = "XYZ"
		bad.Transition.GoLiveDate = &date.Date{Year: 2026, Month: 2, Day: 29}
		_, err = e.client.UpdateScope(alice, &catalogv1.UpdateScopeRequest{Scope: bad})
		wantViolations(t, err, "scope.service_levels[1].key", "scope.service_levels[0].metric.threshold",
			"scope.coverage.languages[1]", "scope.commercial.currency_code", "scope.transition.go_live_date")

		// alice writes the scope: a DRAFT changes in place, she is its author.
		in := supportScope(name)
		in.State, in.Revision, in.Approver = catalogv1.ScopeState_SCOPE_STATE_APPROVED, 7, "me" // output only: ignored
		draft, err := e.client.UpdateScope(alice, &catalogv1.UpdateScopeRequest{Scope: in})
		if err != nil {
			t.Fatal(err)
		}
		if draft.GetRevision() != 1 || draft.GetState() != catalogv1.ScopeState_SCOPE_STATE_DRAFT || draft.GetAuthor() != "alice" ||
			draft.GetApprover() != "" || len(draft.GetServiceLevels()) != 2 {
			t.Fatalf("draft %v", draft)
		}
		// The sourcing manager started the revision with the engagement.
		if got := draft.GetEditors(); !slices.Equal(got, []string{"sourcing_manager", "alice"}) {
			t.Fatalf("editors of the draft %v, want the engagement's creator and alice", got)
		}
		// A stale etag is refused.
		_, err = e.client.UpdateScope(alice, &catalogv1.UpdateScopeRequest{Scope: &catalogv1.Scope{Name: name, Etag: "1-00000000", Deliverables: draft.GetDeliverables()}})
		wantCode(t, err, codes.Aborted)

		inReview, err := e.client.SubmitScope(alice, &catalogv1.SubmitScopeRequest{Name: name, Etag: draft.GetEtag()})
		if err != nil || inReview.GetState() != catalogv1.ScopeState_SCOPE_STATE_IN_REVIEW {
			t.Fatalf("SubmitScope = %v, %v", inReview, err)
		}
		// In review: no edits, no second submission.
		_, err = e.client.UpdateScope(alice, &catalogv1.UpdateScopeRequest{Scope: &catalogv1.Scope{Name: name, Deliverables: draft.GetDeliverables()}})
		wantRefusal(t, err, codes.FailedPrecondition, "cannot edit a scope revision that is IN_REVIEW")
		_, err = e.client.SubmitScope(alice, &catalogv1.SubmitScopeRequest{Name: name})
		wantCode(t, err, codes.FailedPrecondition)
		// Four eyes: alice, an approver too, cannot approve what she wrote.
		_, err = e.client.ApproveScope(alice, &catalogv1.ApproveScopeRequest{Name: name})
		wantRefusal(t, err, codes.PermissionDenied, "an approver cannot approve a scope they wrote")
		// Only approvers approve or reject.
		_, err = e.client.ApproveScope(e.as(t, auth.SourcingManager), &catalogv1.ApproveScopeRequest{Name: name})
		wantCode(t, err, codes.PermissionDenied)

		// Rejected back to alice with a reason, which the revision shows.
		_, err = e.client.RejectScope(approver, &catalogv1.RejectScopeRequest{Name: name, Reason: " "})
		wantViolations(t, err, "reason")
		rejected, err := e.client.RejectScope(approver, &catalogv1.RejectScopeRequest{Name: name, Reason: "add the CSAT survey method", Etag: inReview.GetEtag()})
		if err != nil || rejected.GetState() != catalogv1.ScopeState_SCOPE_STATE_DRAFT || rejected.GetRejectionReason() != "add the CSAT survey method" || rejected.GetRevision() != 1 {
			t.Fatalf("RejectScope = %v, %v", rejected, err)
		}
		// The sourcing manager fixes it and becomes the author; alice wrote
		// the rest of the revision, so she still may not approve it.
		sm := e.as(t, auth.SourcingManager)
		fixed, err := e.client.UpdateScope(sm, &catalogv1.UpdateScopeRequest{
			Scope:      &catalogv1.Scope{Name: name, Etag: rejected.GetEtag(), Integrations: []*catalogv1.Integration{{System: "Qualtrics", Direction: catalogv1.IntegrationDirection_INTEGRATION_DIRECTION_OUTBOUND, Protocol: "REST", DataExchanged: "CSAT surveys"}}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"integrations"}},
		})
		if err != nil || fixed.GetAuthor() != "sourcing_manager" || len(fixed.GetDeliverables()) != 1 || len(fixed.GetIntegrations()) != 1 ||
			!slices.Equal(fixed.GetEditors(), []string{"sourcing_manager", "alice"}) {
			t.Fatalf("UpdateScope after rejection = %v, %v", fixed, err)
		}
		resubmitted, err := e.client.SubmitScope(sm, &catalogv1.SubmitScopeRequest{Name: name, RequestId: "submit-2"})
		if err != nil || resubmitted.GetRejectionReason() != "" {
			t.Fatalf("resubmitted %v, %v", resubmitted, err)
		}
		_, err = e.client.ApproveScope(alice, &catalogv1.ApproveScopeRequest{Name: name, Etag: resubmitted.GetEtag()})
		wantRefusal(t, err, codes.PermissionDenied, "written by sourcing_manager, alice")
		// The approver who rejected it wrote nothing of it.
		approved, err := e.client.ApproveScope(approver, &catalogv1.ApproveScopeRequest{Name: name, Etag: resubmitted.GetEtag(), RequestId: "approve-1"})
		if err != nil || approved.GetState() != catalogv1.ScopeState_SCOPE_STATE_APPROVED || approved.GetApprover() != "approver" ||
			approved.GetApproveTime() == nil || approved.GetRevision() != 1 {
			t.Fatalf("ApproveScope = %v, %v", approved, err)
		}
		// A retry answers the same, it does not act twice.
		again, err := e.client.ApproveScope(approver, &catalogv1.ApproveScopeRequest{Name: name, Etag: resubmitted.GetEtag(), RequestId: "approve-1"})
		if err != nil || !proto.Equal(again, approved) {
			t.Fatalf("retried ApproveScope = %v, %v", again, err)
		}
		_, err = e.client.RejectScope(approver, &catalogv1.RejectScopeRequest{Name: name, Reason: "too late"})
		wantRefusal(t, err, codes.FailedPrecondition, "that is APPROVED")

		// Changing the approved scope starts revision 2 as a DRAFT; revision 1
		// stays readable, frozen.
		change := supportScope(name)
		change.Deliverables[0].ExpectedMonthlyVolume = 90_000
		rev2, err := e.client.UpdateScope(sm, &catalogv1.UpdateScopeRequest{Scope: change, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"deliverables"}}})
		if err != nil || rev2.GetRevision() != 2 || rev2.GetState() != catalogv1.ScopeState_SCOPE_STATE_DRAFT || rev2.GetApprover() != "" ||
			rev2.GetApproveTime() != nil || rev2.GetDeliverables()[0].GetExpectedMonthlyVolume() != 90_000 || len(rev2.GetIntegrations()) != 1 ||
			!slices.Equal(rev2.GetEditors(), []string{"sourcing_manager"}) {
			t.Fatalf("revision 2 = %v, %v", rev2, err)
		}
		// A nested path, as grpc-gateway derives it from a PATCH body, edits
		// the draft in place.
		rev2, err = e.client.UpdateScope(e.as(t, auth.ProcessOwner), &catalogv1.UpdateScopeRequest{
			Scope:      &catalogv1.Scope{Name: name, Etag: rev2.GetEtag(), Commercial: &catalogv1.CommercialTerms{TermMonths: 24}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"commercial.termMonths"}},
		})
		if err != nil || rev2.GetRevision() != 2 || rev2.GetCommercial().GetTermMonths() != 24 || rev2.GetCommercial().GetCurrencyCode() != "USD" || rev2.GetAuthor() != "process_owner" ||
			!slices.Equal(rev2.GetEditors(), []string{"sourcing_manager", "process_owner"}) {
			t.Fatalf("nested update of revision 2 = %v, %v", rev2, err)
		}
		latest, err := e.client.GetScope(e.as(t, auth.ProcessOwner), &catalogv1.GetScopeRequest{Name: name})
		if err != nil || !proto.Equal(latest, rev2) {
			t.Errorf("GetScope latest = %v, %v", latest, err)
		}
		for _, n := range []int64{1} {
			r1, err := e.client.GetScope(e.as(t, auth.ContractManager), &catalogv1.GetScopeRequest{Name: name, Revision: n})
			if err != nil || r1.GetRevision() != 1 || r1.GetState() != catalogv1.ScopeState_SCOPE_STATE_APPROVED || r1.GetApprover() != "approver" ||
				r1.GetDeliverables()[0].GetExpectedMonthlyVolume() != 80_000 || r1.GetName() != name {
				t.Errorf("GetScope revision 1 = %v, %v", r1, err)
			}
		}
		_, err = e.client.GetScope(e.as(t, auth.ContractManager), &catalogv1.GetScopeRequest{Name: name, Revision: 3})
		wantCode(t, err, codes.NotFound)
		_, err = e.client.GetScope(e.as(t, auth.ContractManager), &catalogv1.GetScopeRequest{Name: "engagements/NOPE/scope"})
		wantCode(t, err, codes.NotFound)

		// Every change is audited, in order, with who did it.
		resp, err := e.client.ListAuditEvents(e.as(t, auth.Auditor), &catalogv1.ListAuditEventsRequest{Filter: `resource = "` + name + `"`})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct{ method, subject string }{
			{"CreateEngagement", "sourcing_manager"},
			{"UpdateScope", "alice"}, // emptied the pre-filled deliverables
			{"UpdateScope", "alice"},
			{"SubmitScope", "alice"},
			{"RejectScope", "approver"},
			{"UpdateScope", "sourcing_manager"},
			{"SubmitScope", "sourcing_manager"},
			{"ApproveScope", "approver"},
			{"UpdateScope", "sourcing_manager"},
			{"UpdateScope", "process_owner"},
		}
		events := resp.GetAuditEvents()
		if len(events) != len(want) {
			t.Fatalf("%d audit events on the scope, want %d: %v", len(events), len(want), events)
		}
		for i, w := range want {
			if events[i].GetMethod() != "/bpo.catalog.v1.CatalogService/"+w.method || events[i].GetSubject() != w.subject {
				t.Errorf("audit event %d: %s by %s, want %s by %s", i, events[i].GetMethod(), events[i].GetSubject(), w.method, w.subject)
			}
		}
		if got := events[4].GetAfter().GetFields()["rejectionReason"].GetStringValue(); got != "add the CSAT survey method" {
			t.Errorf("the rejection's audit record shows reason %q", got)
		}
		if got := events[7].GetAfter().GetFields()["state"].GetStringValue(); got != "SCOPE_STATE_APPROVED" {
			t.Errorf("the approval's audit record shows state %q", got)
		}
		v, err := e.client.VerifyAuditLog(e.as(t, auth.Auditor), &catalogv1.VerifyAuditLogRequest{})
		if err != nil || !v.GetVerification().GetIntact() {
			t.Errorf("VerifyAuditLog = %v, %v", v, err)
		}
	})
}

func TestDecideAndScopeAreAudited(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		eng, sc := e.approvedScope(t)
		if sc.GetState() != catalogv1.ScopeState_SCOPE_STATE_APPROVED || sc.GetAuthor() != "sourcing_manager" || sc.GetApprover() != "approver" {
			t.Fatalf("approved scope %v", sc)
		}
		_, err := e.client.UpdateAssessmentPolicy(e.as(t, auth.Admin), &catalogv1.UpdateAssessmentPolicyRequest{
			AssessmentPolicy: &catalogv1.AssessmentPolicy{Name: "policies/assessment", AllowRegulatedOffshore: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := e.client.ListAuditEvents(e.as(t, auth.Auditor), &catalogv1.ListAuditEventsRequest{PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		// CreateProcess; AssessProcess (the assessment, then the process);
		// CreateEngagement (the engagement, then its scope); UpdateScope;
		// SubmitScope; ApproveScope; UpdateAssessmentPolicy.
		process := eng.GetProcesses()[0]
		want := []struct{ method, resource string }{
			{"CreateProcess", process},
			{"AssessProcess", ""}, // the assessment's own name
			{"AssessProcess", process},
			{"CreateEngagement", eng.GetName()},
			{"CreateEngagement", eng.GetName() + "/scope"},
			{"UpdateScope", eng.GetName() + "/scope"},
			{"SubmitScope", eng.GetName() + "/scope"},
			{"ApproveScope", eng.GetName() + "/scope"},
			{"UpdateAssessmentPolicy", "policies/assessment"},
		}
		events := resp.GetAuditEvents()
		if len(events) != len(want) {
			t.Fatalf("%d audit events, want %d", len(events), len(want))
		}
		for i, w := range want {
			ev := events[i]
			if ev.GetMethod() != "/bpo.catalog.v1.CatalogService/"+w.method || (w.resource != "" && ev.GetResource() != w.resource) {
				t.Errorf("audit event %d: %s on %s, want %s on %s", i, ev.GetMethod(), ev.GetResource(), w.method, w.resource)
			}
		}
		if before := events[8].GetBefore().GetFields()["allowRegulatedOffshore"]; before != nil && before.GetBoolValue() {
			t.Errorf("policy audit before %v", events[8].GetBefore())
		}
		if after := events[8].GetAfter().GetFields(); !after["allowRegulatedOffshore"].GetBoolValue() || after["revision"].GetStringValue() != "2" {
			t.Errorf("policy audit after %v", events[8].GetAfter())
		}
	})
}

// TestNoOneWhoWroteAScopeRevisionMayApproveIt replays the report's F4
// sequence: X, a sourcing manager who is also an approver under the same
// subject, writes the scope; Y, another sourcing manager, changes one line
// and submits it; X must not approve it. Z, who wrote none of it, may.
func TestNoOneWhoWroteAScopeRevisionMayApproveIt(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		const x, y, z = "x@client.example", "y@client.example", "z@client.example"
		xSM := e.withToken(t, x, []auth.Role{auth.SourcingManager}, "")
		ySM := e.withToken(t, y, []auth.Role{auth.SourcingManager}, "")
		xAP := e.withToken(t, x, []auth.Role{auth.Approver}, "")
		zAP := e.withToken(t, z, []auth.Role{auth.Approver}, "")

		p := e.createProcess(t, supportProcess())
		e.assess(t, p.GetName())
		eng, err := e.client.CreateEngagement(xSM, &catalogv1.CreateEngagementRequest{Engagement: newEngagement(p.GetName())})
		if err != nil {
			t.Fatal(err)
		}
		name := eng.GetName() + "/scope"
		full := supportScope(name)
		written, err := e.client.UpdateScope(xSM, &catalogv1.UpdateScopeRequest{Scope: full, UpdateMask: &fieldmaskpb.FieldMask{
			Paths: []string{"deliverables", "coverage", "service_levels", "compliance", "transition", "commercial"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		oneLine := proto.CloneOf(written)
		oneLine.Deliverables[0].Description = "Inbound voice support, English and Spanish"
		edited, err := e.client.UpdateScope(ySM, &catalogv1.UpdateScopeRequest{Scope: oneLine, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"deliverables"}}})
		if err != nil {
			t.Fatal(err)
		}
		if edited.GetAuthor() != y || !slices.Equal(edited.GetEditors(), []string{x, y}) {
			t.Fatalf("after Y's edit: author %q, editors %v; want author %s, editors [%s %s]", edited.GetAuthor(), edited.GetEditors(), y, x, y)
		}
		if _, err := e.client.SubmitScope(ySM, &catalogv1.SubmitScopeRequest{Name: name}); err != nil {
			t.Fatal(err)
		}

		_, err = e.client.ApproveScope(xAP, &catalogv1.ApproveScopeRequest{Name: name})
		wantRefusal(t, err, codes.PermissionDenied, "an approver cannot approve a scope they wrote: scope revision 1 of "+eng.GetName()+" was written by x@client.example, y@client.example")
		// Y, the last editor, is refused too when also an approver.
		yAP := e.withToken(t, y, []auth.Role{auth.Approver}, "")
		_, err = e.client.ApproveScope(yAP, &catalogv1.ApproveScopeRequest{Name: name})
		wantCode(t, err, codes.PermissionDenied)

		approved, err := e.client.ApproveScope(zAP, &catalogv1.ApproveScopeRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if approved.GetState() != catalogv1.ScopeState_SCOPE_STATE_APPROVED || approved.GetApprover() != z || !slices.Equal(approved.GetEditors(), []string{x, y}) {
			t.Fatalf("approved by Z: state %v, approver %q, editors %v", approved.GetState(), approved.GetApprover(), approved.GetEditors())
		}
	})
}

// TestARejectionDoesNotClearTheEditors closes the way around the rule: X
// writes and submits, rejects it as an approver, Y changes one line and
// resubmits. X wrote most of the revision and still may not approve it.
// The next revision, which only Y writes, X may approve.
func TestARejectionDoesNotClearTheEditors(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		const x, y = "x@client.example", "y@client.example"
		xSM := e.withToken(t, x, []auth.Role{auth.SourcingManager}, "")
		ySM := e.withToken(t, y, []auth.Role{auth.SourcingManager}, "")
		xAP := e.withToken(t, x, []auth.Role{auth.Approver}, "")
		eng := e.decidedEngagement(t)
		name := eng.GetName() + "/scope"
		if _, err := e.client.UpdateScope(xSM, &catalogv1.UpdateScopeRequest{Scope: supportScope(name)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.SubmitScope(xSM, &catalogv1.SubmitScopeRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		rejected, err := e.client.RejectScope(xAP, &catalogv1.RejectScopeRequest{Name: name, Reason: "one line is wrong"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rejected.GetEditors(), []string{"sourcing_manager", x}) {
			t.Fatalf("editors after the rejection %v, want the engagement's creator and X", rejected.GetEditors())
		}
		change := supportScope(name)
		change.Deliverables[0].Description = "one line changed"
		if _, err := e.client.UpdateScope(ySM, &catalogv1.UpdateScopeRequest{Scope: change, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"deliverables"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.SubmitScope(ySM, &catalogv1.SubmitScopeRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		_, err = e.client.ApproveScope(xAP, &catalogv1.ApproveScopeRequest{Name: name})
		wantRefusal(t, err, codes.PermissionDenied, "was written by sourcing_manager, x@client.example, y@client.example")

		rev1, err := e.client.ApproveScope(e.as(t, auth.Approver), &catalogv1.ApproveScopeRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		change.Deliverables[0].ExpectedMonthlyVolume = 95_000
		rev2, err := e.client.UpdateScope(ySM, &catalogv1.UpdateScopeRequest{Scope: change, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"deliverables"}}})
		if err != nil || rev2.GetRevision() != 2 || !slices.Equal(rev2.GetEditors(), []string{y}) {
			t.Fatalf("revision 2 = %v, %v; want revision 2 written by Y alone", rev2, err)
		}
		if _, err := e.client.SubmitScope(ySM, &catalogv1.SubmitScopeRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		approved, err := e.client.ApproveScope(xAP, &catalogv1.ApproveScopeRequest{Name: name})
		if err != nil || approved.GetRevision() != 2 || approved.GetApprover() != x {
			t.Fatalf("X approving Y's revision 2 = %v, %v", approved, err)
		}
		// Revision 1 keeps who wrote it.
		frozen, err := e.client.GetScope(e.as(t, auth.Auditor), &catalogv1.GetScopeRequest{Name: name, Revision: 1})
		if err != nil || frozen.GetApprover() != "approver" || !slices.Equal(frozen.GetEditors(), rev1.GetEditors()) {
			t.Fatalf("revision 1 = %v, %v; want it as approved: %v", frozen, err, rev1)
		}
	})
}
