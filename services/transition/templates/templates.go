// Package templates holds the transition plan templates the project ships:
// task lists by phase, with owner sides, durations and dependencies, kept
// as data (one JSON file per template) so that they read like a plan.
// spec: transition.md, "Transition plan": front office, back office,
// knowledge work, each with 20–60 tasks.
package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/services/transition/plan"
)

//go:embed *.json
var files embed.FS

// Default is the template of a plan that names none.
const Default = "front_office"

// Template is a plan template.
type Template struct {
	// Name is the file name without .json, as a plan's `template` names it.
	Name        string `json:"-"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Tasks       []Task `json:"tasks"`
}

// Task is one task of a template. Dependencies name other tasks by key.
type Task struct {
	Key         string `json:"key"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// Phase is a Phase without its prefix (KNOWLEDGE_TRANSFER).
	Phase string `json:"phase"`
	// Owner is CLIENT or PROVIDER.
	Owner     string   `json:"owner"`
	Days      int32    `json:"days"`
	DependsOn []string `json:"depends_on"`
	// LagDays gives the lag of a dependency, by key, when it is not 0.
	LagDays map[string]int32 `json:"lag_days"`
	// DepTypes gives the type of a dependency, by key, when it is not
	// finish-to-start: SS, FF or SF.
	DepTypes map[string]string `json:"dep_types"`
	// Models lists the collaboration models (COMPLETE, FUNCTION_SPECIFIC,
	// HYBRID) the task belongs to; empty means every model.
	Models []string `json:"models"`
}

// depTypes are the dependency types a template may name.
var depTypes = map[string]transitionv1.DependencyType{
	"FS": transitionv1.DependencyType_DEPENDENCY_TYPE_FINISH_TO_START,
	"SS": transitionv1.DependencyType_DEPENDENCY_TYPE_START_TO_START,
	"FF": transitionv1.DependencyType_DEPENDENCY_TYPE_FINISH_TO_FINISH,
	"SF": transitionv1.DependencyType_DEPENDENCY_TYPE_START_TO_FINISH,
}

// Choose names the template for an engagement whose (first) process has
// office and function: payroll gets the payroll template with its
// parallel payroll runs, other back-office work the back-office one,
// knowledge work (KPO, LPO, RPO) the knowledge one, and front-office work
// — or an engagement whose office is not known — the front-office one.
// Offices are derived by catalog from functions; the function decides
// when the office is unset.
func Choose(office catalogv1.Office, function catalogv1.BusinessFunction) string {
	if function == catalogv1.BusinessFunction_BUSINESS_FUNCTION_PAYROLL {
		return "payroll"
	}
	switch office {
	case catalogv1.Office_OFFICE_BACK_OFFICE:
		return "back_office"
	case catalogv1.Office_OFFICE_KNOWLEDGE:
		return "knowledge"
	case catalogv1.Office_OFFICE_FRONT_OFFICE:
		return "front_office"
	}
	switch function {
	case catalogv1.BusinessFunction_BUSINESS_FUNCTION_FINANCE_ACCOUNTING, catalogv1.BusinessFunction_BUSINESS_FUNCTION_HUMAN_RESOURCES,
		catalogv1.BusinessFunction_BUSINESS_FUNCTION_PROCUREMENT, catalogv1.BusinessFunction_BUSINESS_FUNCTION_DATA_ENTRY,
		catalogv1.BusinessFunction_BUSINESS_FUNCTION_MEDICAL_BILLING, catalogv1.BusinessFunction_BUSINESS_FUNCTION_TRANSCRIPTION:
		return "back_office"
	case catalogv1.BusinessFunction_BUSINESS_FUNCTION_MARKET_RESEARCH, catalogv1.BusinessFunction_BUSINESS_FUNCTION_LEGAL,
		catalogv1.BusinessFunction_BUSINESS_FUNCTION_RESEARCH:
		return "knowledge"
	}
	return Default
}

// For returns the template as it applies to the collaboration model
// (COMPLETE, FUNCTION_SPECIFIC or HYBRID; empty or unknown keeps every
// task): tasks of other models are left out, and a task that depended on
// one left out depends on what that one depended on instead (its lag and
// type dropped), so the order of the rest stands.
func (t *Template) For(model string) *Template {
	if model == "" {
		return t
	}
	dropped := map[string]Task{}
	for _, tt := range t.Tasks {
		if len(tt.Models) > 0 && !slices.Contains(tt.Models, model) {
			dropped[tt.Key] = tt
		}
	}
	if len(dropped) == 0 {
		return t
	}
	// through returns the kept tasks dep stands for.
	var through func(dep string) []string
	through = func(dep string) []string {
		d, ok := dropped[dep]
		if !ok {
			return []string{dep}
		}
		var out []string
		for _, x := range d.DependsOn {
			out = append(out, through(x)...)
		}
		return out
	}
	out := &Template{Name: t.Name, Title: t.Title, Description: t.Description}
	for _, tt := range t.Tasks {
		if _, ok := dropped[tt.Key]; ok {
			continue
		}
		var deps []string
		for _, d := range tt.DependsOn {
			for _, k := range through(d) {
				if !slices.Contains(deps, k) {
					deps = append(deps, k)
				}
			}
		}
		tt.DependsOn = deps
		out.Tasks = append(out.Tasks, tt)
	}
	return out
}

// Names lists the shipped templates, sorted.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(out)
	return out
}

// Get reads and checks the template called name (Default when empty).
func Get(name string) (*Template, error) {
	if name == "" {
		name = Default
	}
	if !slices.Contains(Names(), name) {
		return nil, fmt.Errorf("no template %q; choose one of %s", name, strings.Join(Names(), ", "))
	}
	b, err := files.ReadFile(path.Clean(name + ".json"))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	t := &Template{Name: name}
	if err := dec.Decode(t); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	// Check it whole now, so that a broken template fails here, not half
	// way through creating a plan.
	check := transitionv1.TransitionPlanResourceName{TransitionPlan: "check"}
	if _, err := t.Instantiate(check, func(i int) string { return fmt.Sprintf("t%03d", i) }); err != nil {
		return nil, err
	}
	return t, nil
}

// Instantiate returns the template's tasks for plan p, in template order,
// the i-th with the task id id(i), with dependencies
// resolved to task names. It fails when the template is inconsistent: a
// duplicate key, an unknown phase, owner or dependency, or a cycle.
func (t *Template) Instantiate(p transitionv1.TransitionPlanResourceName, id func(i int) string) ([]*transitionv1.Task, error) {
	names := make(map[string]string, len(t.Tasks))
	for i, tt := range t.Tasks {
		if tt.Key == "" || names[tt.Key] != "" {
			return nil, fmt.Errorf("template %s: task %d has an empty or duplicate key %q", t.Name, i, tt.Key)
		}
		names[tt.Key] = transitionv1.TaskResourceName{TransitionPlan: p.TransitionPlan, Task: id(i)}.String()
	}
	out := make([]*transitionv1.Task, len(t.Tasks))
	for i, tt := range t.Tasks {
		phase, ok := transitionv1.Phase_value["PHASE_"+tt.Phase]
		if !ok || phase == 0 {
			return nil, fmt.Errorf("template %s: task %s has an unknown phase %q", t.Name, tt.Key, tt.Phase)
		}
		side, ok := transitionv1.OwnerSide_value["OWNER_SIDE_"+tt.Owner]
		if !ok || side == 0 {
			return nil, fmt.Errorf("template %s: task %s has an unknown owner %q (CLIENT or PROVIDER)", t.Name, tt.Key, tt.Owner)
		}
		task := &transitionv1.Task{
			Name:         names[tt.Key],
			Title:        tt.Title,
			Description:  tt.Description,
			Phase:        transitionv1.Phase(phase),
			OwnerSide:    transitionv1.OwnerSide(side),
			DurationDays: tt.Days,
			State:        transitionv1.TaskState_TASK_STATE_NOT_STARTED,
		}
		for _, d := range tt.DependsOn {
			if names[d] == "" {
				return nil, fmt.Errorf("template %s: task %s depends on %q, which is not a task of the template", t.Name, tt.Key, d)
			}
			dep := &transitionv1.Dependency{Task: names[d], LagDays: tt.LagDays[d]}
			if ty, ok := tt.DepTypes[d]; ok {
				if dep.Type, ok = depTypes[ty]; !ok {
					return nil, fmt.Errorf("template %s: task %s has an unknown dependency type %q for %q (FS, SS, FF or SF)", t.Name, tt.Key, ty, d)
				}
			}
			task.DependsOn = append(task.DependsOn, dep)
		}
		for d := range tt.DepTypes {
			if !slices.Contains(tt.DependsOn, d) {
				return nil, fmt.Errorf("template %s: task %s has a dependency type for %q, which it does not depend on", t.Name, tt.Key, d)
			}
		}
		for _, m := range tt.Models {
			if v, ok := catalogv1.CollaborationModel_value["COLLABORATION_MODEL_"+m]; !ok || v == 0 {
				return nil, fmt.Errorf("template %s: task %s names an unknown collaboration model %q", t.Name, tt.Key, m)
			}
		}
		for d := range tt.LagDays {
			if !slices.Contains(tt.DependsOn, d) {
				return nil, fmt.Errorf("template %s: task %s has a lag for %q, which it does not depend on", t.Name, tt.Key, d)
			}
		}
		out[i] = task
	}
	if c := plan.Cycle(out); c != nil {
		return nil, fmt.Errorf("template %s: dependency cycle %s", t.Name, strings.Join(c, " → "))
	}
	return out, nil
}
