package plan

import (
	"errors"
	"fmt"
	"strings"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
)

// Graph is the dependency graph of one plan's tasks: an edge from a task to
// each task it depends on (finish-to-start). spec: transition.md, "Tasks".
type Graph struct {
	plan  transitionv1.TransitionPlanResourceName
	tasks map[string]*transitionv1.Task
}

// NewGraph returns the graph of the tasks of plan.
func NewGraph(plan transitionv1.TransitionPlanResourceName, tasks []*transitionv1.Task) *Graph {
	g := &Graph{plan: plan, tasks: make(map[string]*transitionv1.Task, len(tasks))}
	for _, t := range tasks {
		g.tasks[t.GetName()] = t
	}
	return g
}

// CheckDependencies checks the dependencies of t, a task about to be created
// or updated in the graph's plan: each must name another existing task of
// the same plan, once, and none may close a cycle. A bad dependency is one
// violation on its field (prefix + ".depends_on[i].task"); a cycle is named
// task by task in order, starting and ending at t ("A → B → C → A", where
// each task depends on the next).
func (g *Graph) CheckDependencies(t *transitionv1.Task, prefix string) error {
	var v apperr.Violations
	seen := map[string]bool{}
	for i, d := range t.GetDependsOn() {
		field := fmt.Sprintf("%s.depends_on[%d].task", prefix, i)
		dep := d.GetTask()
		switch {
		case dep == "":
			v.Add(field, "is required: name a task of %s", g.plan)
		case !g.inPlan(dep):
			v.Add(field, "%s is not a task of %s; a task may depend only on tasks of its own plan", dep, g.plan)
		case dep == t.GetName():
			v.Add(field, "%s is the task itself; a task cannot depend on itself", Label(t))
		case g.tasks[dep] == nil:
			v.Add(field, "%s does not exist in %s", dep, g.plan)
		case seen[dep]:
			v.Add(field, "%s is listed twice", Label(g.tasks[dep]))
		default:
			seen[dep] = true
			if path := g.pathTo(dep, t.GetName()); path != nil {
				cycle := append([]string{t.GetName()}, path...)
				v.Add(field, "closes a cycle: %s (each task depends on the next); remove one of these dependencies", g.describe(cycle, t, d.GetType()))
			}
		}
	}
	return v.Err()
}

// inPlan reports whether dep names a task of the graph's plan.
func (g *Graph) inPlan(dep string) bool {
	var n transitionv1.TaskResourceName
	return n.UnmarshalString(dep) == nil && n.TransitionPlanResourceName() == g.plan
}

// ValidateTask checks a task about to be created or updated in the
// graph's plan: its own fields (ValidateTask) and its dependencies
// (CheckDependencies), all violations in one error.
func (g *Graph) ValidateTask(t *transitionv1.Task, prefix string) error {
	var v apperr.Violations
	for _, err := range []error{ValidateTask(t, prefix), g.CheckDependencies(t, prefix)} {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Kind == apperr.InvalidArgument {
			v = append(v, ae.Violations...)
		} else if err != nil {
			return err
		}
	}
	return v.Err()
}

// pathTo returns the tasks from `from` to `to` along dependency edges of the
// stored graph (from first, to last), or nil when there is none. The task
// being changed is `to`, so its stored edges are never followed: the path
// ends as soon as it reaches it. Neighbours are visited in their listed
// order, so the cycle named is the same on every call.
func (g *Graph) pathTo(from, to string) []string {
	visited := map[string]bool{}
	var path []string
	var walk func(n string) bool
	walk = func(n string) bool {
		path = append(path, n)
		if n == to {
			return true
		}
		if !visited[n] {
			visited[n] = true
			for _, d := range g.tasks[n].GetDependsOn() {
				if g.tasks[d.GetTask()] != nil || d.GetTask() == to {
					if walk(d.GetTask()) {
						return true
					}
				}
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if walk(from) {
		return path
	}
	return nil
}

// describe renders a chain of task names as "A → B → C", labelling the
// task being changed from t (it may not be stored yet). An arrow of a
// dependency that is not finish-to-start carries its type ("A →SS B"):
// the first is t's dependency of type first, each next one the stored
// dependency of a task on the next.
func (g *Graph) describe(names []string, t *transitionv1.Task, first transitionv1.DependencyType) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			typ := first
			if i > 1 {
				for _, d := range g.tasks[names[i-1]].GetDependsOn() {
					if d.GetTask() == n {
						typ = d.GetType()
					}
				}
			}
			b.WriteString(" →" + TypeCode(typ) + " ")
		}
		if n == t.GetName() {
			b.WriteString(Label(t))
		} else {
			b.WriteString(Label(g.tasks[n]))
		}
	}
	return b.String()
}

// TypeCode is a dependency type's code for messages: "" for
// finish-to-start (the default), else SS, FF or SF.
func TypeCode(t transitionv1.DependencyType) string {
	switch t {
	case transitionv1.DependencyType_DEPENDENCY_TYPE_START_TO_START:
		return "SS"
	case transitionv1.DependencyType_DEPENDENCY_TYPE_FINISH_TO_FINISH:
		return "FF"
	case transitionv1.DependencyType_DEPENDENCY_TYPE_START_TO_FINISH:
		return "SF"
	}
	return ""
}

// Cycle returns one dependency cycle among tasks, in order and closed (its
// first task repeated last), or nil when the graph is acyclic. Dependencies
// on tasks not in the list are ignored. It checks a whole graph at once,
// e.g. a template.
func Cycle(tasks []*transitionv1.Task) []string {
	byName := make(map[string]*transitionv1.Task, len(tasks))
	for _, t := range tasks {
		byName[t.GetName()] = t
	}
	const (
		unvisited = iota
		onStack
		done
	)
	color := map[string]int{}
	var stack []string
	var cycle []string
	var visit func(n string) bool
	visit = func(n string) bool {
		color[n] = onStack
		stack = append(stack, n)
		for _, d := range byName[n].GetDependsOn() {
			m := d.GetTask()
			if byName[m] == nil {
				continue
			}
			switch color[m] {
			case onStack:
				for i, s := range stack {
					if s == m {
						cycle = append(append([]string{}, stack[i:]...), m)
						return true
					}
				}
			case unvisited:
				if visit(m) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = done
		return false
	}
	for _, t := range tasks {
		if color[t.GetName()] == unvisited && visit(t.GetName()) {
			return cycle
		}
	}
	return nil
}

// Label names a task for messages: its title and its id, e.g.
// `"Call shadowing" (01JD…)`.
func Label(t *transitionv1.Task) string {
	var n transitionv1.TaskResourceName
	if err := n.UnmarshalString(t.GetName()); err != nil {
		return fmt.Sprintf("%q (%s)", t.GetTitle(), t.GetName())
	}
	return fmt.Sprintf("%q (%s)", t.GetTitle(), n.Task)
}
