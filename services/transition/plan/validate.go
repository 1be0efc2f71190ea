package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/fieldmask"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
)

// ValidateNew checks a plan about to be created; field paths start with
// prefix ("transition_plan"). templates are the known template names.
func ValidateNew(p *transitionv1.TransitionPlan, prefix string, templates []string) error {
	var v apperr.Violations
	if strings.TrimSpace(p.GetContract()) == "" {
		v.Add(prefix+".contract", "is required: the signed contract the plan transitions, contracts/{id}")
	}
	start, startOK := Day(p.GetStartDate())
	switch {
	case p.GetStartDate() == nil:
		v.Add(prefix+".start_date", "is required: day 0 of the schedule")
	case !startOK:
		v.Add(prefix+".start_date", "%s is not a calendar date", formatDate(p.GetStartDate()))
	}
	if d := p.GetTargetGoLive(); d != nil {
		goLive, ok := Day(d)
		switch {
		case !ok:
			v.Add(prefix+".target_go_live", "%s is not a calendar date", formatDate(d))
		case startOK && goLive.Before(start):
			v.Add(prefix+".target_go_live", "%s is before the start date %s", formatDate(d), formatDate(p.GetStartDate()))
		}
	}
	for i, h := range p.GetHolidays() {
		if _, ok := Day(h); !ok {
			v.Add(fmt.Sprintf("%s.holidays[%d]", prefix, i), "%s is not a calendar date", formatDate(h))
		}
	}
	if t := p.GetTemplate(); t != "" && !slices.Contains(templates, t) {
		v.Add(prefix+".template", "%q is not a template; choose one of %s", t, strings.Join(templates, ", "))
	}
	return v.Err()
}

// ValidateTask checks a task after creation defaults or an update mask are
// applied (field paths start with prefix, "task"); dependencies are checked
// by the Graph.
func ValidateTask(t *transitionv1.Task, prefix string) error {
	var v apperr.Violations
	if strings.TrimSpace(t.GetTitle()) == "" {
		v.Add(prefix+".title", "is required")
	}
	if t.GetPhase() == transitionv1.Phase_PHASE_UNSPECIFIED {
		v.Add(prefix+".phase", "is required: one of PLANNING, KNOWLEDGE_TRANSFER, DOCUMENTATION, TRAINING, INFRASTRUCTURE, INTEGRATION_TESTING, PARALLEL_RUN, CUTOVER, HYPERCARE")
	}
	if len(t.GetIntegrations()) > 0 && t.GetPhase() != transitionv1.Phase_PHASE_INTEGRATION_TESTING {
		v.Add(prefix+".integrations", "only an INTEGRATION_TESTING task names the integrations it tests; this task is %s", strings.TrimPrefix(t.GetPhase().String(), "PHASE_"))
	}
	for i, sys := range t.GetIntegrations() {
		if strings.TrimSpace(sys) == "" {
			v.Add(fmt.Sprintf("%s.integrations[%d]", prefix, i), "is empty: name the system as the scope does")
		}
	}
	return v.Err()
}

// ApplyTaskMask copies the fields named by paths from src onto dst: an
// empty mask means every updatable field set in src, "*" every updatable
// field (kit/fieldmask, from the proto's field behaviour). State changes go
// through StartTask, CompleteTask, SkipTask and BlockTask.
func ApplyTaskMask(dst, src *transitionv1.Task, paths []string) error {
	if err := fieldmask.Apply(dst, src, paths, "", nil); err != nil {
		return err
	}
	defaultOwner(dst)
	return nil
}

// NewTask returns the task to store for a CreateTask input: in without its
// output-only fields (AIP-203), named name, NOT_STARTED.
func NewTask(in *transitionv1.Task, name string) *transitionv1.Task {
	t := proto.CloneOf(in)
	fieldmask.ClearOutputOnly(t)
	t.Name, t.Etag = name, ""
	t.State = transitionv1.TaskState_TASK_STATE_NOT_STARTED
	defaultOwner(t)
	return t
}

// defaultOwner takes an unspecified owner side as CLIENT, the proto's
// documented default, so that every stored task has a side to be found by.
func defaultOwner(t *transitionv1.Task) {
	if t.OwnerSide == transitionv1.OwnerSide_OWNER_SIDE_UNSPECIFIED {
		t.OwnerSide = transitionv1.OwnerSide_OWNER_SIDE_CLIENT
	}
}

// Day returns d as midnight UTC of that day, and whether d is a full,
// valid calendar date.
func Day(d *date.Date) (time.Time, bool) {
	if d == nil || d.GetYear() < 1 || d.GetYear() > 9999 || d.GetMonth() < 1 || d.GetMonth() > 12 || d.GetDay() < 1 {
		return time.Time{}, false
	}
	t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
	if t.Day() != int(d.GetDay()) { // 31 April rolled over into May
		return time.Time{}, false
	}
	return t, true
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) *date.Date {
	return &date.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

func formatDate(d *date.Date) string {
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

// Holidays returns a plan's holidays in date order, each once, as stored.
func Holidays(in []*date.Date) []*date.Date {
	out := slices.Clone(in)
	slices.SortFunc(out, func(a, b *date.Date) int { return strings.Compare(formatDate(a), formatDate(b)) })
	return slices.CompactFunc(out, func(a, b *date.Date) bool { return formatDate(a) == formatDate(b) })
}

// ValidateUpdate checks plan after, before with an update applied: the
// start date changes only while DRAFT, dates are full calendar dates, the
// target is not before the start.
func ValidateUpdate(before, after *transitionv1.TransitionPlan, prefix string) error {
	var v apperr.Violations
	start, startOK := Day(after.GetStartDate())
	if !proto.Equal(before.GetStartDate(), after.GetStartDate()) {
		switch {
		case before.GetState() != transitionv1.PlanState_PLAN_STATE_DRAFT:
			v.Add(prefix+".start_date", "can change only while the plan is DRAFT; it is %s", strings.TrimPrefix(before.GetState().String(), "PLAN_STATE_"))
		case !startOK:
			v.Add(prefix+".start_date", "is required: a full calendar date")
		}
	}
	if d := after.GetTargetGoLive(); d != nil {
		goLive, ok := Day(d)
		switch {
		case !ok:
			v.Add(prefix+".target_go_live", "%s is not a calendar date", formatDate(d))
		case startOK && goLive.Before(start):
			v.Add(prefix+".target_go_live", "%s is before the start date %s", formatDate(d), formatDate(after.GetStartDate()))
		}
	}
	for i, h := range after.GetHolidays() {
		if _, ok := Day(h); !ok {
			v.Add(fmt.Sprintf("%s.holidays[%d]", prefix, i), "%s is not a calendar date", formatDate(h))
		}
	}
	if t := after.GetTrainingPassThresholdBps(); t < 0 || t > 10000 {
		v.Add(prefix+".training_pass_threshold_bps", "%d is not between 0 (the default, 9000) and 10000", t)
	}
	return v.Err()
}
