package catalog_test

import (
	"slices"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// An edited process makes its latest assessment stale until it is assessed
// again; an engagement refuses it like a RETAIN, unless overridden, and
// says which of its processes are stale.
func TestStaleAssessment(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		sm, po := e.as(t, auth.SourcingManager), e.as(t, auth.ProcessOwner)
		p := e.createProcess(t, supportProcess())
		e.assess(t, p.GetName())
		update := func(in *catalogv1.Process, path string) *catalogv1.Process {
			t.Helper()
			in.Name = p.GetName()
			got, err := e.client.UpdateProcess(po, &catalogv1.UpdateProcessRequest{Process: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{path}}})
			must(t, "update "+path, err)
			return got
		}
		// A new name is no new process: the assessment stands.
		if got := update(&catalogv1.Process{DisplayName: "Customer care"}, "display_name"); got.GetAssessmentStale() {
			t.Fatal("renaming the process made its assessment stale")
		}
		// More FTE: the business case is another.
		if got := update(&catalogv1.Process{Fte: "55"}, "fte"); !got.GetAssessmentStale() {
			t.Fatal("changing the FTE left the assessment current")
		}
		_, err := e.client.CreateEngagement(sm, &catalogv1.CreateEngagementRequest{Engagement: newEngagement(p.GetName())})
		wantStatus(t, err, codes.FailedPrecondition, p.GetName(), "is stale", "AssessProcess", "override_reason")

		withOverride := newEngagement(p.GetName())
		withOverride.OverrideReason = "the FTE count was corrected; the case only gets better"
		eng, err := e.client.CreateEngagement(sm, &catalogv1.CreateEngagementRequest{Engagement: withOverride})
		must(t, "create with override", err)
		if !slices.Equal(eng.GetStaleProcesses(), []string{p.GetName()}) {
			t.Fatalf("stale processes %v", eng.GetStaleProcesses())
		}
		got, err := e.client.GetEngagement(sm, &catalogv1.GetEngagementRequest{Name: eng.GetName()})
		if err != nil || !slices.Equal(got.GetStaleProcesses(), []string{p.GetName()}) {
			t.Fatalf("GetEngagement stale %v (%v)", got.GetStaleProcesses(), err)
		}
		// Back to the assessed value: current again.
		if got := update(&catalogv1.Process{Fte: supportProcess().GetFte()}, "fte"); got.GetAssessmentStale() {
			t.Fatal("the FTE back as assessed left the assessment stale")
		}
		update(&catalogv1.Process{Fte: "55"}, "fte")
		e.assess(t, p.GetName())
		proc, err := e.client.GetProcess(po, &catalogv1.GetProcessRequest{Name: p.GetName()})
		if err != nil || proc.GetAssessmentStale() {
			t.Fatalf("after AssessProcess stale = %v (%v)", proc.GetAssessmentStale(), err)
		}
		list, err := e.client.ListEngagements(sm, &catalogv1.ListEngagementsRequest{})
		if err != nil || len(list.GetEngagements()) != 1 || len(list.GetEngagements()[0].GetStaleProcesses()) != 0 {
			t.Fatalf("ListEngagements after reassessment %v (%v)", list.GetEngagements(), err)
		}
	})
}
