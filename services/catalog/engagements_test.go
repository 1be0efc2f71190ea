package catalog_test

import (
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// newEngagement is a valid CreateEngagement input for the processes.
func newEngagement(processes ...string) *catalogv1.Engagement {
	return &catalogv1.Engagement{
		DisplayName:     "Customer support for the US",
		Processes:       processes,
		ClientCountry:   "US",
		ClientTimeZone:  "America/New_York",
		TargetSavingBps: 2500,
		QualityGoals:    "80 % of calls answered within 20 s",
	}
}

// decidedEngagement creates and assesses the support process and creates
// an engagement for it as a sourcing manager: step 1 done, scope DRAFT.
func (e *env) decidedEngagement(t *testing.T) *catalogv1.Engagement {
	t.Helper()
	p := e.createProcess(t, supportProcess())
	e.assess(t, p.GetName())
	eng, err := e.client.CreateEngagement(e.as(t, auth.SourcingManager), &catalogv1.CreateEngagementRequest{Engagement: newEngagement(p.GetName())})
	if err != nil {
		t.Fatalf("CreateEngagement: %v", err)
	}
	return eng
}

// wantRefusal fails unless err has code and its message contains part.
func wantRefusal(t *testing.T, err error, code codes.Code, part string) {
	t.Helper()
	st := wantCode(t, err, code)
	if !strings.Contains(st.Message(), part) {
		t.Fatalf("message %q does not say %q", st.Message(), part)
	}
}

func TestCreateEngagementGate(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		sm := e.as(t, auth.SourcingManager)
		support := e.createProcess(t, supportProcess())
		core := e.createProcess(t, coreProcess())

		// Step 1 not done: the process has no assessment.
		_, err := e.client.CreateEngagement(sm, &catalogv1.CreateEngagementRequest{Engagement: newEngagement(support.GetName())})
		wantRefusal(t, err, codes.FailedPrecondition, support.GetName()+" has not been assessed: call AssessProcess first")

		e.assess(t, support.GetName())
		if a := e.assess(t, core.GetName()); a.GetRecommendation() != catalogv1.Recommendation_RECOMMENDATION_RETAIN {
			t.Fatalf("core process recommended %v", a.GetRecommendation())
		}
		// A RETAIN process needs a written override reason.
		_, err = e.client.CreateEngagement(sm, &catalogv1.CreateEngagementRequest{Engagement: newEngagement(support.GetName(), core.GetName())})
		wantRefusal(t, err, codes.FailedPrecondition, "the latest assessment of "+core.GetName()+" recommends RETAIN: give an override_reason")
		blank := newEngagement(core.GetName())
		blank.OverrideReason = "  "
		_, err = e.client.CreateEngagement(sm, &catalogv1.CreateEngagementRequest{Engagement: blank})
		wantCode(t, err, codes.FailedPrecondition)

		_, err = e.client.CreateEngagement(sm, &catalogv1.CreateEngagementRequest{Engagement: newEngagement("processes/NOPE")})
		wantCode(t, err, codes.NotFound)
		_, err = e.client.CreateEngagement(sm, &catalogv1.CreateEngagementRequest{Engagement: &catalogv1.Engagement{Processes: []string{support.GetName(), support.GetName()}, ClientCountry: "ZZ"}})
		wantViolations(t, err, "engagement.display_name", "engagement.processes[1]", "engagement.client_country", "engagement.client_time_zone")
		_, err = e.client.CreateEngagement(e.as(t, auth.ProcessOwner), &catalogv1.CreateEngagementRequest{Engagement: newEngagement(support.GetName())})
		wantCode(t, err, codes.PermissionDenied)

		in := newEngagement(support.GetName(), core.GetName())
		in.OverrideReason = "the research backlog needs a second team for a year"
		in.Owner = "someone-else" // output only: ignored
		eng, err := e.client.CreateEngagement(sm, &catalogv1.CreateEngagementRequest{Engagement: in, RequestId: "eng-1"})
		if err != nil {
			t.Fatal(err)
		}
		// The collaboration model defaults from the first process's assessment.
		if eng.GetOwner() != "sourcing_manager" || eng.GetCollaborationModel() != catalogv1.CollaborationModel_COLLABORATION_MODEL_COMPLETE ||
			!strings.HasPrefix(eng.GetName(), "engagements/") || eng.GetAward() != nil {
			t.Errorf("engagement %v", eng)
		}
		again, err := e.client.CreateEngagement(sm, &catalogv1.CreateEngagementRequest{Engagement: in, RequestId: "eng-1"})
		if err != nil || again.GetName() != eng.GetName() {
			t.Errorf("retry = %v, %v; want %s", again.GetName(), err, eng.GetName())
		}

		// The scope exists at once: revision 1, an empty DRAFT by the creator.
		sc, err := e.client.GetScope(sm, &catalogv1.GetScopeRequest{Name: eng.GetName() + "/scope"})
		if err != nil || sc.GetRevision() != 1 || sc.GetState() != catalogv1.ScopeState_SCOPE_STATE_DRAFT || sc.GetAuthor() != "sourcing_manager" {
			t.Fatalf("scope %v, %v", sc, err)
		}
	})
}

func TestEngagementReadListUpdate(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		eng := e.decidedEngagement(t)
		other := e.withToken(t, "sam", []auth.Role{auth.SourcingManager}, "")
		p := e.createProcess(t, supportProcess())
		e.assess(t, p.GetName())
		samsEng, err := e.client.CreateEngagement(other, &catalogv1.CreateEngagementRequest{Engagement: newEngagement(p.GetName())})
		if err != nil {
			t.Fatal(err)
		}

		got, err := e.client.GetEngagement(e.as(t, auth.Evaluator), &catalogv1.GetEngagementRequest{Name: eng.GetName()})
		if err != nil || got.GetName() != eng.GetName() {
			t.Fatalf("GetEngagement = %v, %v", got, err)
		}
		// A provider user reads nothing before it is awarded the engagement,
		// and cannot tell an engagement that exists from one that does not.
		_, err = e.client.GetEngagement(e.asProvider(t, "providers/P1"), &catalogv1.GetEngagementRequest{Name: eng.GetName()})
		wantRefusal(t, err, codes.PermissionDenied, "only an engagement awarded to its own provider")
		_, err = e.client.GetEngagement(e.asProvider(t, "providers/P1"), &catalogv1.GetEngagementRequest{Name: "engagements/NOPE"})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.GetScope(e.asProvider(t, "providers/P1"), &catalogv1.GetScopeRequest{Name: eng.GetName() + "/scope"})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.ListEngagements(e.asProvider(t, "providers/P1"), &catalogv1.ListEngagementsRequest{})
		wantCode(t, err, codes.PermissionDenied)

		for filter, want := range map[string]string{
			"":                           eng.GetName() + "," + samsEng.GetName(),
			"owner = sam":                samsEng.GetName(),
			`owner = "sourcing_manager"`: eng.GetName(),
		} {
			resp, err := e.client.ListEngagements(e.as(t, auth.Auditor), &catalogv1.ListEngagementsRequest{Filter: filter})
			if err != nil {
				t.Fatalf("ListEngagements(%q): %v", filter, err)
			}
			var names []string
			for _, x := range resp.GetEngagements() {
				names = append(names, x.GetName())
			}
			if strings.Join(names, ",") != want {
				t.Errorf("ListEngagements(%q) = %v, want %v", filter, names, want)
			}
		}

		sm := e.as(t, auth.SourcingManager)
		upd, err := e.client.UpdateEngagement(sm, &catalogv1.UpdateEngagementRequest{
			Engagement: &catalogv1.Engagement{Name: eng.GetName(), Etag: eng.GetEtag(), DisplayName: "Support, US and Canada", TargetSavingBps: 3000},
		})
		if err != nil || upd.GetDisplayName() != "Support, US and Canada" || upd.GetTargetSavingBps() != 3000 || upd.GetOwner() != eng.GetOwner() ||
			upd.GetClientTimeZone() != "America/New_York" {
			t.Fatalf("UpdateEngagement = %v, %v", upd, err)
		}
		_, err = e.client.UpdateEngagement(sm, &catalogv1.UpdateEngagementRequest{
			Engagement: &catalogv1.Engagement{Name: eng.GetName(), Etag: eng.GetEtag(), DisplayName: "stale"},
		})
		wantCode(t, err, codes.Aborted)
		_, err = e.client.UpdateEngagement(sm, &catalogv1.UpdateEngagementRequest{
			Engagement: &catalogv1.Engagement{Name: eng.GetName(), Processes: []string{p.GetName()}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"processes"}},
		})
		st := wantCode(t, err, codes.InvalidArgument)
		if !strings.Contains(st.Message(), "processes is immutable") {
			t.Errorf("message %q", st.Message())
		}
		// Restating an immutable value is not a change.
		if _, err := e.client.UpdateEngagement(sm, &catalogv1.UpdateEngagementRequest{
			Engagement: &catalogv1.Engagement{Name: eng.GetName(), Processes: eng.GetProcesses(), QualityGoals: "CSAT ≥ 4.5"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"processes", "quality_goals"}},
		}); err != nil {
			t.Errorf("restating processes: %v", status.Convert(err).Message())
		}
		_, err = e.client.UpdateEngagement(sm, &catalogv1.UpdateEngagementRequest{
			Engagement: &catalogv1.Engagement{Name: eng.GetName(), ClientTimeZone: "Mars/Olympus"},
		})
		wantViolations(t, err, "engagement.client_time_zone")
	})
}
