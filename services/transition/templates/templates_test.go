package templates_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/services/transition/plan"
	"github.com/acme/bpo/services/transition/templates"
)

// spec: transition.md — the project ships front office, back office and
// knowledge work templates, each with 20–60 tasks.
func TestShippedTemplates(t *testing.T) {
	if got, want := templates.Names(), []string{"back_office", "front_office", "knowledge", "payroll"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, name := range templates.Names() {
		for _, model := range []string{"", "COMPLETE", "FUNCTION_SPECIFIC", "HYBRID"} {
			t.Run(name+"/"+model, func(t *testing.T) {
				tmpl, err := templates.Get(name)
				if err != nil {
					t.Fatal(err)
				}
				tmpl = tmpl.For(model)
				planName := transitionv1.TransitionPlanResourceName{TransitionPlan: "P"}
				tasks, err := tmpl.Instantiate(planName, func(i int) string { return fmt.Sprintf("t%03d", i) })
				if err != nil {
					t.Fatal(err)
				}
				if n := len(tasks); n < 20 || n > 60 {
					t.Errorf("%d tasks, want 20–60", n)
				}
				if c := plan.Cycle(tasks); c != nil {
					t.Errorf("cycle %v", c)
				}
				byName := map[string]*transitionv1.Task{}
				for _, task := range tasks {
					byName[task.GetName()] = task
				}
				phases := map[transitionv1.Phase]bool{}
				milestone := false
				for i, task := range tasks {
					phases[task.GetPhase()] = true
					if err := plan.ValidateTask(task, "task"); err != nil {
						t.Errorf("task %d: %v", i, err)
					}
					// Every dependency resolves to a task of the same plan.
					for _, d := range task.GetDependsOn() {
						dep := byName[d.GetTask()]
						var n transitionv1.TaskResourceName
						if dep == nil || n.UnmarshalString(d.GetTask()) != nil || n.TransitionPlanResourceName() != planName {
							t.Errorf("%s depends on %s, which does not resolve", task.GetTitle(), d.GetTask())
						}
					}
					if task.GetPhase() == transitionv1.Phase_PHASE_CUTOVER && task.GetDurationDays() == 0 {
						milestone = true
					}
					if task.GetOwnerSide() == transitionv1.OwnerSide_OWNER_SIDE_UNSPECIFIED {
						t.Errorf("%s has no owner side", task.GetTitle())
					}
				}
				if !milestone {
					t.Error("no CUTOVER milestone (a CUTOVER task of 0 days)")
				}
				for _, p := range []transitionv1.Phase{transitionv1.Phase_PHASE_PLANNING, transitionv1.Phase_PHASE_CUTOVER, transitionv1.Phase_PHASE_HYPERCARE} {
					if !phases[p] {
						t.Errorf("no task in %v", p)
					}
				}
			})
		}
	}
}

// spec: transition.md — a customer-support plan has call shadowing and
// reverse shadowing, done by the provider, the reverse after the forward.
func TestFrontOfficeShadowing(t *testing.T) {
	tmpl, err := templates.Get("")
	if err != nil {
		t.Fatal(err)
	}
	if templates.Default != "front_office" || tmpl.Name != templates.Default {
		t.Fatalf("default template %q", tmpl.Name)
	}
	keys := map[string]templates.Task{}
	for _, task := range tmpl.Tasks {
		keys[task.Key] = task
	}
	call, reverse := keys["call-shadowing"], keys["reverse-shadowing"]
	if call.Owner != "PROVIDER" || reverse.Owner != "PROVIDER" {
		t.Fatalf("shadowing tasks %+v %+v: want PROVIDER tasks", call, reverse)
	}
	if !slices.Contains(reverse.DependsOn, "call-shadowing") {
		t.Fatalf("reverse shadowing depends on %v, want call-shadowing among them", reverse.DependsOn)
	}
}

func TestUnknownTemplate(t *testing.T) {
	if _, err := templates.Get("shared_services"); err == nil || !strings.Contains(err.Error(), "front_office") {
		t.Fatalf("got %v, want an error listing the templates", err)
	}
}

// spec: transition.md — a payroll plan has parallel payroll runs, by the
// provider, each reconciled by the client finishing three working days
// after the run (finish-to-finish, lag 3).
func TestPayrollParallelRuns(t *testing.T) {
	tmpl, err := templates.Get("payroll")
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := tmpl.Instantiate(transitionv1.TransitionPlanResourceName{TransitionPlan: "P"}, func(i int) string { return fmt.Sprintf("t%03d", i) })
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	for _, task := range tasks {
		if task.GetPhase() == transitionv1.Phase_PHASE_PARALLEL_RUN && strings.Contains(task.GetTitle(), "parallel payroll run") {
			runs++
			if task.GetOwnerSide() != transitionv1.OwnerSide_OWNER_SIDE_PROVIDER {
				t.Errorf("%s: want a PROVIDER task", task.GetTitle())
			}
		}
		if strings.HasPrefix(task.GetTitle(), "Reconcile") {
			d := task.GetDependsOn()[0]
			if d.GetType() != transitionv1.DependencyType_DEPENDENCY_TYPE_FINISH_TO_FINISH || d.GetLagDays() != 3 {
				t.Errorf("%s depends %v, want finish-to-finish with lag 3", task.GetTitle(), d)
			}
		}
	}
	if runs != 2 {
		t.Fatalf("%d parallel payroll runs, want 2", runs)
	}
}

func TestChoose(t *testing.T) {
	tests := []struct {
		office   catalogv1.Office
		function catalogv1.BusinessFunction
		want     string
	}{
		{catalogv1.Office_OFFICE_FRONT_OFFICE, catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT, "front_office"},
		{catalogv1.Office_OFFICE_BACK_OFFICE, catalogv1.BusinessFunction_BUSINESS_FUNCTION_PAYROLL, "payroll"},
		{catalogv1.Office_OFFICE_BACK_OFFICE, catalogv1.BusinessFunction_BUSINESS_FUNCTION_FINANCE_ACCOUNTING, "back_office"},
		{catalogv1.Office_OFFICE_KNOWLEDGE, catalogv1.BusinessFunction_BUSINESS_FUNCTION_LEGAL, "knowledge"},
		// The office unset: the function decides.
		{catalogv1.Office_OFFICE_UNSPECIFIED, catalogv1.BusinessFunction_BUSINESS_FUNCTION_MARKET_RESEARCH, "knowledge"},
		{catalogv1.Office_OFFICE_UNSPECIFIED, catalogv1.BusinessFunction_BUSINESS_FUNCTION_DATA_ENTRY, "back_office"},
		{catalogv1.Office_OFFICE_UNSPECIFIED, catalogv1.BusinessFunction_BUSINESS_FUNCTION_UNSPECIFIED, "front_office"},
	}
	for _, tt := range tests {
		if got := templates.Choose(tt.office, tt.function); got != tt.want {
			t.Errorf("Choose(%v, %v) = %q, want %q", tt.office, tt.function, got, tt.want)
		}
	}
}

// The collaboration model trims the plan: a complete outsourcing releases
// the client's team, a hybrid one agrees hand-offs with the retained team
// instead; the go/no-go that waited on the hand-offs then waits on what
// they waited on.
func TestForCollaborationModel(t *testing.T) {
	tmpl, err := templates.Get("front_office")
	if err != nil {
		t.Fatal(err)
	}
	keys := func(tm *templates.Template) map[string]templates.Task {
		out := map[string]templates.Task{}
		for _, x := range tm.Tasks {
			out[x.Key] = x
		}
		return out
	}
	complete, hybrid := keys(tmpl.For("COMPLETE")), keys(tmpl.For("HYBRID"))
	if _, ok := complete["retained-handoffs"]; ok {
		t.Error("a COMPLETE plan has hand-offs with a retained team")
	}
	if _, ok := complete["client-team-release"]; !ok {
		t.Error("a COMPLETE plan does not release the client's team")
	}
	if _, ok := hybrid["client-team-release"]; ok {
		t.Error("a HYBRID plan releases the client's team")
	}
	if !slices.Contains(hybrid["go-no-go"].DependsOn, "retained-handoffs") {
		t.Errorf("HYBRID go-no-go depends on %v, want retained-handoffs", hybrid["go-no-go"].DependsOn)
	}
	// retained-handoffs depended on escalation-matrix, which go-no-go
	// now depends on in its place.
	if deps := complete["go-no-go"].DependsOn; slices.Contains(deps, "retained-handoffs") || !slices.Contains(deps, "escalation-matrix") {
		t.Errorf("COMPLETE go-no-go depends on %v, want escalation-matrix instead of retained-handoffs", deps)
	}
	if n, m := len(tmpl.Tasks), len(tmpl.For("COMPLETE").Tasks); m != n-1 {
		t.Errorf("COMPLETE keeps %d of %d tasks, want all but one", m, n)
	}
}
