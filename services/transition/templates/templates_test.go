package templates_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/services/transition/plan"
	"github.com/acme/bpo/services/transition/templates"
)

// spec: transition.md — the project ships front office, back office and
// knowledge work templates, each with 20–60 tasks.
func TestShippedTemplates(t *testing.T) {
	if got, want := templates.Names(), []string{"back_office", "front_office", "knowledge"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, name := range templates.Names() {
		t.Run(name, func(t *testing.T) {
			tmpl, err := templates.Get(name)
			if err != nil {
				t.Fatal(err)
			}
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
	if _, err := templates.Get("payroll"); err == nil || !strings.Contains(err.Error(), "front_office") {
		t.Fatalf("got %v, want an error listing the templates", err)
	}
}
