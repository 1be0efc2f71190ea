package plan_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/services/transition/plan"
)

const p1 = "transitionPlans/P1"

var p1Name = transitionv1.TransitionPlanResourceName{TransitionPlan: "P1"}

// task returns task id of plan P1 titled id, depending on deps (ids of P1,
// or full names when they contain a slash).
func task(id string, deps ...string) *transitionv1.Task {
	t := &transitionv1.Task{Name: p1 + "/tasks/" + id, Title: id, Phase: transitionv1.Phase_PHASE_PLANNING}
	for _, d := range deps {
		if !strings.Contains(d, "/") {
			d = p1 + "/tasks/" + d
		}
		t.DependsOn = append(t.DependsOn, &transitionv1.Dependency{Task: d})
	}
	return t
}

// violations returns the field → description pairs of an INVALID_ARGUMENT.
func violations(t *testing.T, err error) map[string]string {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument {
		t.Fatalf("got %v, want INVALID_ARGUMENT", err)
	}
	out := map[string]string{}
	for _, v := range ae.Violations {
		out[v.Field] = v.Description
	}
	return out
}

func TestCheckDependencies(t *testing.T) {
	// The stored graph: A depends on B, B on C, D on nothing.
	// Edges point from a task to what it waits for: A → B → C.
	stored := []*transitionv1.Task{task("A", "B"), task("B", "C"), task("C"), task("D")}

	tests := []struct {
		name string
		task *transitionv1.Task
		// field → a substring its description must hold; nil means valid.
		want map[string]string
	}{
		{"new task on existing ones is fine", task("E", "A", "D"), nil},
		{"adding an edge that makes no cycle is fine", task("C", "D"), nil},
		{
			// C → A closes A → B → C → A; named from the changed task C,
			// each task depending on the next.
			"a cycle of three is named in order",
			task("C", "A"),
			map[string]string{"task.depends_on[0].task": `closes a cycle: "C" (C) → "A" (A) → "B" (B) → "C" (C)`},
		},
		{
			"a cycle of two is named in order",
			task("B", "A"),
			map[string]string{"task.depends_on[0].task": `closes a cycle: "B" (B) → "A" (A) → "B" (B)`},
		},
		{
			"the cycle is reported on the dependency that closes it",
			task("C", "D", "B"),
			map[string]string{"task.depends_on[1].task": `closes a cycle: "C" (C) → "B" (B) → "C" (C)`},
		},
		{
			"self-dependency",
			task("D", "D"),
			map[string]string{"task.depends_on[0].task": "cannot depend on itself"},
		},
		{
			"a task of another plan",
			task("D", "transitionPlans/P2/tasks/X"),
			map[string]string{"task.depends_on[0].task": "transitionPlans/P2/tasks/X is not a task of transitionPlans/P1"},
		},
		{
			"a task that does not exist",
			task("D", "Z"),
			map[string]string{"task.depends_on[0].task": "transitionPlans/P1/tasks/Z does not exist"},
		},
		{
			"listed twice",
			task("E", "A", "A"),
			map[string]string{"task.depends_on[1].task": "listed twice"},
		},
		{
			"one violation per bad dependency",
			task("D", "D", "transitionPlans/P2/tasks/X"),
			map[string]string{"task.depends_on[0].task": "itself", "task.depends_on[1].task": "is not a task of transitionPlans/P1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := plan.NewGraph(p1Name, stored).CheckDependencies(tt.task, "task")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			got := violations(t, err)
			if len(got) != len(tt.want) {
				t.Fatalf("violations %v, want fields %v", got, tt.want)
			}
			for f, sub := range tt.want {
				if !strings.Contains(got[f], sub) {
					t.Errorf("%s: %q does not contain %q", f, got[f], sub)
				}
			}
		})
	}
}

func TestCycle(t *testing.T) {
	name := func(id string) string { return p1 + "/tasks/" + id }
	tests := []struct {
		name  string
		tasks []*transitionv1.Task
		want  []string
	}{
		{"acyclic", []*transitionv1.Task{task("A", "B"), task("B", "C"), task("C")}, nil},
		{"diamond is acyclic", []*transitionv1.Task{task("A", "B", "C"), task("B", "D"), task("C", "D"), task("D")}, nil},
		{
			// Visiting A first: A → B → C → A.
			"three-cycle found from the first task",
			[]*transitionv1.Task{task("A", "B"), task("B", "C"), task("C", "A")},
			[]string{name("A"), name("B"), name("C"), name("A")},
		},
		{
			// A leads into the cycle B → C → B but is not part of it.
			"the cycle only, not the path into it",
			[]*transitionv1.Task{task("A", "B"), task("B", "C"), task("C", "B")},
			[]string{name("B"), name("C"), name("B")},
		},
		{"self-loop", []*transitionv1.Task{task("A", "A")}, []string{name("A"), name("A")}},
		{"unknown dependencies are ignored", []*transitionv1.Task{task("A", "Z")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plan.Cycle(tt.tasks); !slices.Equal(got, tt.want) {
				t.Fatalf("Cycle = %v, want %v", got, tt.want)
			}
		})
	}
}

// A cycle is a cycle whatever the dependencies' types: each arrow shows
// the type of the dependency it stands for (none for finish-to-start).
func TestCheckDependenciesEveryType(t *testing.T) {
	typed := func(id, dep string, ty transitionv1.DependencyType) *transitionv1.Task {
		x := task(id, dep)
		x.DependsOn[0].Type = ty
		return x
	}
	// A depends on B start-to-start, B on C finish-to-finish, D on C
	// finish-to-start.
	stored := []*transitionv1.Task{
		typed("A", "B", transitionv1.DependencyType_DEPENDENCY_TYPE_START_TO_START),
		typed("B", "C", transitionv1.DependencyType_DEPENDENCY_TYPE_FINISH_TO_FINISH),
		task("C"), task("D", "C"),
	}
	for _, tt := range []struct {
		ty   transitionv1.DependencyType
		want string
	}{
		{transitionv1.DependencyType_DEPENDENCY_TYPE_UNSPECIFIED, `"C" (C) → "A" (A) →SS "B" (B) →FF "C" (C)`},
		{transitionv1.DependencyType_DEPENDENCY_TYPE_FINISH_TO_START, `"C" (C) → "A" (A) →SS "B" (B) →FF "C" (C)`},
		{transitionv1.DependencyType_DEPENDENCY_TYPE_START_TO_START, `"C" (C) →SS "A" (A) →SS "B" (B) →FF "C" (C)`},
		{transitionv1.DependencyType_DEPENDENCY_TYPE_FINISH_TO_FINISH, `"C" (C) →FF "A" (A) →SS "B" (B) →FF "C" (C)`},
		{transitionv1.DependencyType_DEPENDENCY_TYPE_START_TO_FINISH, `"C" (C) →SF "A" (A) →SS "B" (B) →FF "C" (C)`},
	} {
		err := plan.NewGraph(p1Name, stored).CheckDependencies(typed("C", "A", tt.ty), "task")
		got := violations(t, err)["task.depends_on[0].task"]
		if !strings.Contains(got, "closes a cycle: "+tt.want+" (each task depends on the next)") {
			t.Errorf("%v: %q, want the cycle %s", tt.ty, got, tt.want)
		}
		// C → D (any type) closes nothing: D depends on C, not C on D's
		// dependants.
		if err := plan.NewGraph(p1Name, stored).CheckDependencies(typed("D", "A", tt.ty), "task"); err != nil {
			t.Errorf("%v: D → A is no cycle: %v", tt.ty, err)
		}
	}
}
