package scope_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/services/catalog/scope"
	"google.golang.org/genproto/googleapis/type/date"
)

const (
	draft    = catalogv1.ScopeState_SCOPE_STATE_DRAFT
	inReview = catalogv1.ScopeState_SCOPE_STATE_IN_REVIEW
	approved = catalogv1.ScopeState_SCOPE_STATE_APPROVED
)

func TestNext(t *testing.T) {
	tests := []struct {
		name        string
		from        catalogv1.ScopeState
		action      scope.Action
		want        catalogv1.ScopeState
		newRevision bool
		refusal     string // part of the FAILED_PRECONDITION message; "" when allowed
	}{
		{"a draft is edited in place", draft, scope.Edit, draft, false, ""},
		{"editing an approved revision starts the next draft", approved, scope.Edit, draft, true, ""},
		{"a revision in review cannot be edited", inReview, scope.Edit, inReview, false, "that is IN_REVIEW, only one that is DRAFT or APPROVED"},
		{"a draft is submitted", draft, scope.Submit, inReview, false, ""},
		{"a revision in review is not submitted twice", inReview, scope.Submit, inReview, false, "only one that is DRAFT"},
		{"an approved revision is not resubmitted", approved, scope.Submit, approved, false, "edit it to start a new revision"},
		{"a revision in review is approved", inReview, scope.Approve, approved, false, ""},
		{"a draft cannot be approved", draft, scope.Approve, draft, false, "submit it for review first"},
		{"a revision in review is rejected to draft", inReview, scope.Reject, draft, false, ""},
		{"an approved revision cannot be rejected", approved, scope.Reject, approved, false, "only one that is IN_REVIEW"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, newRev, err := scope.Next(tt.from, tt.action)
			if tt.refusal != "" {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Kind != apperr.FailedPrecondition || !strings.Contains(ae.Message, tt.refusal) {
					t.Fatalf("got %v, want FAILED_PRECONDITION saying %q", err, tt.refusal)
				}
				return
			}
			if err != nil || got != tt.want || newRev != tt.newRevision {
				t.Fatalf("got %v, new revision %v, %v; want %v, %v", got, newRev, err, tt.want, tt.newRevision)
			}
		})
	}
}

func TestSubmittable(t *testing.T) {
	empty := &catalogv1.Scope{Name: "engagements/E1/scope", Revision: 2}
	err := scope.Submittable(empty)
	if apperr.KindOf(err) != apperr.FailedPrecondition || !strings.Contains(err.Error(), "scope revision 2 of engagements/E1 has no deliverables and no service levels") {
		t.Errorf("empty scope: %v", err)
	}
	if err := scope.Submittable(&catalogv1.Scope{Deliverables: []*catalogv1.Deliverable{{Name: "Inbound voice"}}}); err != nil {
		t.Errorf("scope with a deliverable: %v", err)
	}
	if err := scope.Submittable(&catalogv1.Scope{ServiceLevels: []*typev1.ServiceLevel{validLevel("asa_20s")}}); err != nil {
		t.Errorf("scope with a service level: %v", err)
	}
}

func validLevel(key string) *typev1.ServiceLevel {
	return &typev1.ServiceLevel{
		Key: key, DisplayName: "Calls answered within 20 s",
		Metric:     &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, Unit: "s", Threshold: "20"},
		Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "80", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL,
	}
}

func validScope() *catalogv1.Scope {
	return &catalogv1.Scope{
		Deliverables:  []*catalogv1.Deliverable{{Name: "Inbound voice", Unit: "contacts", ExpectedMonthlyVolume: 40000}},
		Coverage:      &catalogv1.Coverage{Hours: catalogv1.CoverageHours_COVERAGE_HOURS_EXTENDED, ServiceTimeZone: "America/New_York", Languages: []string{"en", "es-MX"}},
		ServiceLevels: []*typev1.ServiceLevel{validLevel("asa_20s"), {Key: "aht_p90", DisplayName: "Handle time p90", Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENTILE, Percentile: 90}, Comparator: typev1.Comparator_COMPARATOR_AT_MOST, Target: "600", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_KPI}},
		Compliance:    &catalogv1.Compliance{AllowedDataCountries: []string{"US", "PH", "CO"}, MinOverlapHours: 2},
		Transition:    &catalogv1.TransitionTerms{GoLiveDate: &date.Date{Year: 2026, Month: 2, Day: 28}, ParallelRunWeeks: 2},
		Commercial:    &catalogv1.CommercialTerms{TermMonths: 36, CurrencyCode: "USD"},
	}
}

func fields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument {
		t.Fatalf("error %v is not INVALID_ARGUMENT", err)
	}
	var out []string
	for _, v := range ae.Violations {
		out = append(out, v.Field)
	}
	slices.Sort(out)
	return out
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *catalogv1.Scope)
		want   []string
	}{
		{"complete scope is valid", func(*catalogv1.Scope) {}, nil},
		{"empty scope is valid (a draft starts empty)", func(s *catalogv1.Scope) { *s = catalogv1.Scope{} }, nil},
		{"duplicate service-level key names the second", func(s *catalogv1.Scope) {
			s.ServiceLevels = append(s.ServiceLevels, validLevel("asa_20s"))
		}, []string{"scope.service_levels[2].key"}},
		{"PERCENT_WITHIN without threshold", func(s *catalogv1.Scope) { s.ServiceLevels[0].Metric.Threshold = "" }, []string{"scope.service_levels[0].metric.threshold"}},
		{"PERCENTILE without percentile", func(s *catalogv1.Scope) { s.ServiceLevels[1].Metric.Percentile = 0 }, []string{"scope.service_levels[1].metric.percentile"}},
		{"unknown codes", func(s *catalogv1.Scope) {
			s.Coverage.ServiceTimeZone, s.Coverage.Languages[1] = "America/Gotham", "!!"
			s.Compliance.AllowedDataCountries[2], s.Commercial.CurrencyCode = "XK1", "XYZ"
		}, []string{"scope.commercial.currency_code", "scope.compliance.allowed_data_countries[2]", "scope.coverage.languages[1]", "scope.coverage.service_time_zone"}},
		{"30 February", func(s *catalogv1.Scope) { s.Transition.GoLiveDate = &date.Date{Year: 2026, Month: 2, Day: 30} }, []string{"scope.transition.go_live_date"}},
		{"date without a day", func(s *catalogv1.Scope) { s.Transition.GoLiveDate = &date.Date{Year: 2026, Month: 2} }, []string{"scope.transition.go_live_date"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validScope()
			tt.change(s)
			if got := fields(t, scope.Validate(s, "scope")); !slices.Equal(got, tt.want) {
				t.Fatalf("violations on %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRealDate(t *testing.T) {
	for d, want := range map[[3]int32]bool{
		{2028, 2, 29}: true, {2027, 2, 29}: false, {2026, 4, 31}: false, {2026, 12, 31}: true,
		{0, 1, 1}: false, {2026, 13, 1}: false, {2026, 1, 0}: false,
	} {
		if got := scope.RealDate(&date.Date{Year: d[0], Month: d[1], Day: d[2]}); got != want {
			t.Errorf("RealDate(%v) = %v, want %v", d, got, want)
		}
	}
}

func TestValidateEngagement(t *testing.T) {
	valid := func() *catalogv1.Engagement {
		return &catalogv1.Engagement{DisplayName: "Support", Processes: []string{"processes/A", "processes/B"}, ClientCountry: "US", ClientTimeZone: "America/New_York"}
	}
	tests := []struct {
		name   string
		change func(e *catalogv1.Engagement)
		want   []string
	}{
		{"complete engagement is valid", func(*catalogv1.Engagement) {}, nil},
		{"empty engagement", func(e *catalogv1.Engagement) { *e = catalogv1.Engagement{} }, []string{
			"engagement.client_country", "engagement.client_time_zone", "engagement.display_name", "engagement.processes",
		}},
		{"a process listed twice", func(e *catalogv1.Engagement) { e.Processes = append(e.Processes, "processes/A") }, []string{"engagement.processes[2]"}},
		{"unknown client codes", func(e *catalogv1.Engagement) { e.ClientCountry, e.ClientTimeZone = "ZZ", "Europe/Londres" }, []string{"engagement.client_country", "engagement.client_time_zone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := valid()
			tt.change(e)
			if got := fields(t, scope.ValidateEngagement(e, "engagement")); !slices.Equal(got, tt.want) {
				t.Fatalf("violations on %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAddEditor(t *testing.T) {
	tests := []struct {
		name    string
		author  string
		editors []string
		editor  string
		want    []string
	}{
		{"the engagement's creator, who started the draft, comes first", "sam", nil, "alice", []string{"sam", "alice"}},
		{"a draft stored before editors were kept keeps its last author", "bob", nil, "bob", []string{"bob"}},
		{"a second edit by the same person is recorded once", "alice", []string{"sam", "alice"}, "alice", []string{"sam", "alice"}},
		{"a colleague's one-line edit adds them and keeps the others", "alice", []string{"sam", "alice"}, "yves", []string{"sam", "alice", "yves"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &catalogv1.Scope{Author: tt.author, Editors: tt.editors}
			scope.AddEditor(s, tt.editor)
			if !slices.Equal(s.GetEditors(), tt.want) {
				t.Fatalf("editors %v, want %v", s.GetEditors(), tt.want)
			}
		})
	}
}

func TestStartRevisionIsWrittenByItsFirstEditorAlone(t *testing.T) {
	s := &catalogv1.Scope{Name: "engagements/E1/scope", Revision: 3, State: approved, Author: "yves", Editors: []string{"sam", "alice", "yves"}, Approver: "zoe", RejectionReason: "old"}
	scope.StartRevision(s, "alice")
	if s.GetRevision() != 4 || s.GetAuthor() != "alice" || !slices.Equal(s.GetEditors(), []string{"alice"}) ||
		s.GetApprover() != "" || s.GetApproveTime() != nil || s.GetRejectionReason() != "" {
		t.Fatalf("next revision %v", s)
	}
}

func TestCheckApprover(t *testing.T) {
	// sam started revision 2, alice wrote it, yves changed one line last.
	written := &catalogv1.Scope{Name: "engagements/E1/scope", Revision: 2, Author: "yves", Editors: []string{"sam", "alice", "yves"}}
	tests := []struct {
		name     string
		scope    *catalogv1.Scope
		approver string
		refused  bool
	}{
		{"the last editor is refused", written, "yves", true},
		{"an earlier editor is refused", written, "alice", true},
		{"who started the draft is refused", written, "sam", true},
		{"someone who wrote nothing of it approves", written, "zoe", false},
		{"without editors (stored before they were kept) the author is refused", &catalogv1.Scope{Name: "engagements/E1/scope", Revision: 1, Author: "bob"}, "bob", true},
		{"without editors anyone else approves", &catalogv1.Scope{Name: "engagements/E1/scope", Revision: 1, Author: "bob"}, "zoe", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := scope.CheckApprover(tt.scope, tt.approver)
			if !tt.refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if apperr.KindOf(err) != apperr.PermissionDenied || !strings.Contains(err.Error(), "an approver cannot approve a scope they wrote") {
				t.Fatalf("got %v, want PERMISSION_DENIED", err)
			}
		})
	}
	err := scope.CheckApprover(written, "alice")
	if want := "scope revision 2 of engagements/E1 was written by sam, alice, yves; an approver who is none of them must approve it"; !strings.Contains(err.Error(), want) {
		t.Fatalf("message %q does not say %q", err, want)
	}
}
