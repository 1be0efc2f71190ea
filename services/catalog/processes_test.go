package catalog_test

import (
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// supportProcess is customer support of a US retailer, the first worked
// example of assessment_test.go: score 80.0, OUTSOURCE, COMPLETE,
// offshore NPV USD 2,579,106.84.
func supportProcess() *catalogv1.Process {
	return &catalogv1.Process{
		DisplayName:           "Customer support",
		Function:              catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT,
		BusinessUnit:          "Retail",
		HomeCountry:           "US",
		HomeTimeZone:          "America/New_York",
		Fte:                   "40",
		AnnualCostPerFte:      &typev1.Money{CurrencyCode: "USD", MinorUnits: 6_000_000},
		AnnualVolume:          1_000_000,
		Repetitiveness:        5,
		Complexity:            2,
		StrategicImportance:   2,
		RequiredExpertise:     2,
		DocumentationMaturity: 4,
		DataClassification:    catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL,
		CustomerFacing:        true,
	}
}

// coreProcess is core research: strategic importance 5, so RETAIN.
func coreProcess() *catalogv1.Process {
	p := supportProcess()
	p.DisplayName, p.Function, p.BusinessUnit = "Product research", catalogv1.BusinessFunction_BUSINESS_FUNCTION_RESEARCH, "R&D"
	p.StrategicImportance = 5
	return p
}

// createProcess creates p as a process owner.
func (e *env) createProcess(t *testing.T, p *catalogv1.Process) *catalogv1.Process {
	t.Helper()
	got, err := e.client.CreateProcess(e.as(t, auth.ProcessOwner), &catalogv1.CreateProcessRequest{Process: p})
	if err != nil {
		t.Fatalf("CreateProcess(%s): %v", p.GetDisplayName(), err)
	}
	return got
}

// assess assesses the process named name as a sourcing manager.
func (e *env) assess(t *testing.T, name string) *catalogv1.Assessment {
	t.Helper()
	a, err := e.client.AssessProcess(e.as(t, auth.SourcingManager), &catalogv1.AssessProcessRequest{Name: name})
	if err != nil {
		t.Fatalf("AssessProcess(%s): %v", name, err)
	}
	return a
}

func TestProcessCreateGetListUpdate(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		po := e.as(t, auth.ProcessOwner)
		in := supportProcess()
		// Output-only fields of the input are ignored.
		in.Name, in.LatestAssessment = "processes/mine", "processes/mine/assessments/x"
		in.LatestRecommendation = catalogv1.Recommendation_RECOMMENDATION_OUTSOURCE
		p := e.createProcess(t, in)
		if !strings.HasPrefix(p.GetName(), "processes/") || p.GetName() == "processes/mine" || p.GetLatestAssessment() != "" ||
			p.GetLatestRecommendation() != catalogv1.Recommendation_RECOMMENDATION_UNSPECIFIED {
			t.Errorf("output-only fields taken from the input: %v", p)
		}
		// spec: catalog.md §1, office defaults from function.
		if p.GetOffice() != catalogv1.Office_OFFICE_FRONT_OFFICE || p.GetEtag() == "" || p.GetCreateTime() == nil {
			t.Errorf("created %v", p)
		}
		payroll := supportProcess()
		payroll.DisplayName, payroll.Function, payroll.HomeCountry, payroll.HomeTimeZone = "Payroll", catalogv1.BusinessFunction_BUSINESS_FUNCTION_PAYROLL, "DE", "Europe/Berlin"
		pr := e.createProcess(t, payroll)
		if pr.GetOffice() != catalogv1.Office_OFFICE_BACK_OFFICE {
			t.Errorf("payroll office %v, want BACK_OFFICE", pr.GetOffice())
		}

		got, err := e.client.GetProcess(e.as(t, auth.Auditor), &catalogv1.GetProcessRequest{Name: p.GetName()})
		if err != nil || !proto.Equal(got, p) {
			t.Fatalf("GetProcess = %v, %v; want %v", got, err, p)
		}
		_, err = e.client.GetProcess(e.asProvider(t, "providers/P1"), &catalogv1.GetProcessRequest{Name: p.GetName()})
		wantCode(t, err, codes.PermissionDenied)

		for filter, want := range map[string][]string{
			"":                                     {p.GetName(), pr.GetName()},
			"function = CUSTOMER_SUPPORT":          {p.GetName()},
			"function = BUSINESS_FUNCTION_PAYROLL": {pr.GetName()},
			"home_country = de":                    {pr.GetName()},
			"business_unit = Retail AND function != PAYROLL": {p.GetName()},
		} {
			resp, err := e.client.ListProcesses(po, &catalogv1.ListProcessesRequest{Filter: filter})
			if err != nil {
				t.Fatalf("ListProcesses(%q): %v", filter, err)
			}
			var names []string
			for _, x := range resp.GetProcesses() {
				names = append(names, x.GetName())
			}
			if strings.Join(names, ",") != strings.Join(want, ",") {
				t.Errorf("ListProcesses(%q) = %v, want %v", filter, names, want)
			}
		}
		_, err = e.client.ListProcesses(po, &catalogv1.ListProcessesRequest{Filter: "owner = x"})
		wantViolations(t, err, "filter")

		// An update by mask: the function changes, the defaulted office follows.
		upd, err := e.client.UpdateProcess(po, &catalogv1.UpdateProcessRequest{
			Process:    &catalogv1.Process{Name: p.GetName(), Etag: p.GetEtag(), Function: catalogv1.BusinessFunction_BUSINESS_FUNCTION_LEGAL, Fte: "12.5"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"function", "fte"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if upd.GetFunction() != catalogv1.BusinessFunction_BUSINESS_FUNCTION_LEGAL || upd.GetOffice() != catalogv1.Office_OFFICE_KNOWLEDGE ||
			upd.GetFte() != "12.5" || upd.GetDisplayName() != "Customer support" || upd.GetEtag() == p.GetEtag() {
			t.Errorf("updated %v", upd)
		}
		// The old etag is stale now.
		_, err = e.client.UpdateProcess(po, &catalogv1.UpdateProcessRequest{
			Process: &catalogv1.Process{Name: p.GetName(), Etag: p.GetEtag(), DisplayName: "Support"},
		})
		wantCode(t, err, codes.Aborted)
		// Clearing a required field by mask is refused; naming an
		// output-only one changes nothing (AIP-203).
		_, err = e.client.UpdateProcess(po, &catalogv1.UpdateProcessRequest{
			Process:    &catalogv1.Process{Name: p.GetName()},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"home_time_zone"}},
		})
		wantViolations(t, err, "process.home_time_zone")
		same, err := e.client.UpdateProcess(po, &catalogv1.UpdateProcessRequest{
			Process:    &catalogv1.Process{Name: p.GetName(), LatestRecommendation: catalogv1.Recommendation_RECOMMENDATION_OUTSOURCE},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"latest_recommendation"}},
		})
		if err != nil || same.GetLatestRecommendation() != catalogv1.Recommendation_RECOMMENDATION_UNSPECIFIED || same.GetFte() != "12.5" {
			t.Errorf("an update naming only an output-only field = %v, %v; want the process as it was", same, err)
		}
		_, err = e.client.UpdateProcess(e.as(t, auth.Evaluator), &catalogv1.UpdateProcessRequest{Process: &catalogv1.Process{Name: p.GetName(), DisplayName: "x"}})
		wantCode(t, err, codes.PermissionDenied)
	})
}

func TestCreateProcessValidation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		po := e.as(t, auth.ProcessOwner)
		_, err := e.client.CreateProcess(po, &catalogv1.CreateProcessRequest{Process: &catalogv1.Process{DisplayName: "Nothing else"}})
		wantViolations(t, err,
			"process.annual_cost_per_fte", "process.complexity", "process.data_classification", "process.documentation_maturity",
			"process.fte", "process.function", "process.home_country", "process.home_time_zone", "process.repetitiveness",
			"process.required_expertise", "process.strategic_importance")

		bad := supportProcess()
		bad.HomeCountry, bad.HomeTimeZone, bad.Fte = "XX", "Europe/Atlantis", "0"
		bad.AnnualCostPerFte.CurrencyCode = "ABC"
		_, err = e.client.CreateProcess(po, &catalogv1.CreateProcessRequest{Process: bad})
		wantViolations(t, err, "process.annual_cost_per_fte.currency_code", "process.fte", "process.home_country", "process.home_time_zone")
	})
}

func TestAssessProcess(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		p := e.createProcess(t, supportProcess())
		sm := e.as(t, auth.SourcingManager)

		_, err := e.client.AssessProcess(sm, &catalogv1.AssessProcessRequest{Name: p.GetName(), Etag: "stale"})
		wantCode(t, err, codes.Aborted)
		_, err = e.client.AssessProcess(e.as(t, auth.Evaluator), &catalogv1.AssessProcessRequest{Name: p.GetName()})
		wantCode(t, err, codes.PermissionDenied)

		a, err := e.client.AssessProcess(sm, &catalogv1.AssessProcessRequest{Name: p.GetName(), Etag: p.GetEtag(), RequestId: "assess-1"})
		if err != nil {
			t.Fatal(err)
		}
		// The numbers of the first worked example in assessment_test.go.
		if a.GetScore() != 80.0 || a.GetRecommendation() != catalogv1.Recommendation_RECOMMENDATION_OUTSOURCE ||
			a.GetCollaborationModel() != catalogv1.CollaborationModel_COLLABORATION_MODEL_COMPLETE ||
			a.GetRecommendedShoreModel() != catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE || a.GetPolicyRevision() != 1 ||
			len(a.GetFactors()) != 6 || len(a.GetBusinessCases()) != 3 || a.GetAssessedBy() != "sourcing_manager" {
			t.Fatalf("assessment %v", a)
		}
		if off := a.GetBusinessCases()[2]; off.GetNpv_3Y().GetMinorUnits() != 257_910_684 || off.GetPaybackMonths() != 6 || off.GetAnnualSaving().GetMinorUnits() != 123_360_000 {
			t.Errorf("offshore case %v", off)
		}
		if !strings.HasPrefix(a.GetName(), p.GetName()+"/assessments/") || a.GetProcess().GetDisplayName() != "Customer support" {
			t.Errorf("assessment name %q, snapshot %v", a.GetName(), a.GetProcess())
		}
		// A retry with the same request id answers the same assessment.
		again, err := e.client.AssessProcess(sm, &catalogv1.AssessProcessRequest{Name: p.GetName(), Etag: p.GetEtag(), RequestId: "assess-1"})
		if err != nil || again.GetName() != a.GetName() {
			t.Fatalf("retry = %v, %v; want %s", again.GetName(), err, a.GetName())
		}

		got, err := e.client.GetProcess(sm, &catalogv1.GetProcessRequest{Name: p.GetName()})
		if err != nil || got.GetLatestAssessment() != a.GetName() || got.GetLatestRecommendation() != catalogv1.Recommendation_RECOMMENDATION_OUTSOURCE {
			t.Fatalf("process after assessment %v, %v", got, err)
		}
		list, err := e.client.ListProcesses(sm, &catalogv1.ListProcessesRequest{Filter: "recommendation = OUTSOURCE"})
		if err != nil || len(list.GetProcesses()) != 1 {
			t.Errorf("ListProcesses(recommendation = OUTSOURCE) = %v, %v", list, err)
		}
		ga, err := e.client.GetAssessment(e.as(t, auth.Approver), &catalogv1.GetAssessmentRequest{Name: a.GetName()})
		if err != nil || !proto.Equal(ga, a) {
			t.Errorf("GetAssessment = %v, %v\nwant %v", ga, err, a)
		}

		// An admin raises the OUTSOURCE threshold: revision 2; the process
		// now scores HYBRID, and the first assessment keeps revision 1.
		admin := e.as(t, auth.Admin)
		pol, err := e.client.GetAssessmentPolicy(sm, &catalogv1.GetAssessmentPolicyRequest{Name: "policies/assessment"})
		if err != nil || pol.GetRevision() != 1 || pol.GetOutsourceFrom() != 65 || pol.GetNonCoreWeightBps() != 2500 {
			t.Fatalf("default policy %v, %v", pol, err)
		}
		_, err = e.client.UpdateAssessmentPolicy(sm, &catalogv1.UpdateAssessmentPolicyRequest{AssessmentPolicy: &catalogv1.AssessmentPolicy{Name: "policies/assessment", OutsourceFrom: 85}})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.UpdateAssessmentPolicy(admin, &catalogv1.UpdateAssessmentPolicyRequest{
			AssessmentPolicy: &catalogv1.AssessmentPolicy{Name: "policies/assessment", ScaleWeightBps: 1000},
			UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"scale_weight_bps"}},
		})
		wantViolations(t, err, "assessment_policy.non_core_weight_bps")
		pol2, err := e.client.UpdateAssessmentPolicy(admin, &catalogv1.UpdateAssessmentPolicyRequest{
			AssessmentPolicy: &catalogv1.AssessmentPolicy{Name: "policies/assessment", Etag: pol.GetEtag(), OutsourceFrom: 85},
			UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"outsource_from"}},
		})
		if err != nil || pol2.GetRevision() != 2 || pol2.GetOutsourceFrom() != 85 || pol2.GetRetainBelow() != 40 {
			t.Fatalf("updated policy %v, %v", pol2, err)
		}
		_, err = e.client.UpdateAssessmentPolicy(admin, &catalogv1.UpdateAssessmentPolicyRequest{
			AssessmentPolicy: &catalogv1.AssessmentPolicy{Name: "policies/assessment", Etag: pol.GetEtag(), OutsourceFrom: 70},
		})
		wantCode(t, err, codes.Aborted)
		b := e.assess(t, p.GetName())
		if b.GetPolicyRevision() != 2 || b.GetRecommendation() != catalogv1.Recommendation_RECOMMENDATION_HYBRID ||
			b.GetCollaborationModel() != catalogv1.CollaborationModel_COLLABORATION_MODEL_HYBRID {
			t.Errorf("second assessment: revision %d, %v, %v", b.GetPolicyRevision(), b.GetRecommendation(), b.GetCollaborationModel())
		}
		first, err := e.client.GetAssessment(sm, &catalogv1.GetAssessmentRequest{Name: a.GetName()})
		if err != nil || !proto.Equal(first, a) {
			t.Errorf("the first assessment changed: %v, %v", first, err)
		}
		resp, err := e.client.ListAssessments(sm, &catalogv1.ListAssessmentsRequest{Parent: p.GetName(), PageSize: 1})
		if err != nil || len(resp.GetAssessments()) != 1 || resp.GetAssessments()[0].GetName() != a.GetName() || resp.GetNextPageToken() == "" {
			t.Fatalf("ListAssessments page 1 = %v, %v", resp, err)
		}
		resp, err = e.client.ListAssessments(sm, &catalogv1.ListAssessmentsRequest{Parent: p.GetName(), PageSize: 1, PageToken: resp.GetNextPageToken()})
		if err != nil || len(resp.GetAssessments()) != 1 || resp.GetAssessments()[0].GetName() != b.GetName() || resp.GetNextPageToken() != "" {
			t.Fatalf("ListAssessments page 2 = %v, %v", resp, err)
		}
		_, err = e.client.ListAssessments(sm, &catalogv1.ListAssessmentsRequest{Parent: "processes/none"})
		wantCode(t, err, codes.NotFound)
	})
}

// The attack the issue "One way for each concern" opens with: a process
// owner sends UpdateProcess a complete, valid process under a provider's
// name, without a mask. It once overwrote the provider.
func TestUpdateProcessRefusesTheNameOfAProvider(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		sm := e.as(t, auth.SourcingManager)
		victim := e.create(t, newProvider("Acme"))
		in := supportProcess()
		in.Name = victim.GetName()
		_, err := e.client.UpdateProcess(e.as(t, auth.ProcessOwner), &catalogv1.UpdateProcessRequest{Process: in})
		wantViolations(t, err, "process.name")
		got, err := e.client.GetProvider(sm, &catalogv1.GetProviderRequest{Name: victim.GetName()})
		if err != nil || !proto.Equal(got, victim) {
			t.Fatalf("the provider is now %v (%v), want it unchanged: %v", got, err, victim)
		}
	})
}
