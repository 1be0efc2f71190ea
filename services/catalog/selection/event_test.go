package selection_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/services/catalog/selection"
)

// violationFields returns the fields of an INVALID_ARGUMENT error, nil for
// no error.
func violationFields(err error) []string {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument {
		return []string{"not invalid argument: " + err.Error()}
	}
	var out []string
	for _, v := range ae.Violations {
		out = append(out, v.Field)
	}
	return out
}

func TestEventStateMachine(t *testing.T) {
	const (
		draft     = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_DRAFT
		published = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED
		closed    = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED
		evaluated = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED
		awarded   = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_AWARDED
		cancelled = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CANCELLED
	)
	tests := []struct {
		from   catalogv1.SourcingEventState
		action selection.Action
		want   catalogv1.SourcingEventState // 0: refused
	}{
		{draft, selection.Publish, published},
		{published, selection.Close, closed},
		{closed, selection.Evaluate, evaluated},
		{evaluated, selection.Award, evaluated},
		{evaluated, selection.Approve, awarded},
		{draft, selection.Cancel, cancelled},
		{published, selection.Cancel, cancelled},
		{closed, selection.Cancel, cancelled},
		{evaluated, selection.Cancel, cancelled},

		{published, selection.Publish, 0},
		{draft, selection.Close, 0},
		{closed, selection.Close, 0},
		{published, selection.Evaluate, 0},
		{closed, selection.Award, 0},
		{awarded, selection.Award, 0},
		{closed, selection.Approve, 0},
		{awarded, selection.Cancel, 0},
		{cancelled, selection.Cancel, 0},
		{cancelled, selection.Publish, 0},
	}
	for _, tt := range tests {
		name := protoenum.Short(tt.from) + " " + string(tt.action)
		t.Run(name, func(t *testing.T) {
			got, err := selection.Next(tt.from, tt.action)
			if tt.want != 0 {
				if err != nil || got != tt.want {
					t.Fatalf("Next = %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			if apperr.KindOf(err) != apperr.FailedPrecondition || !strings.Contains(err.Error(), "is "+protoenum.Short(tt.from)) {
				t.Fatalf("Next = %v, %v; want FAILED_PRECONDITION naming the state %s", got, err, protoenum.Short(tt.from))
			}
		})
	}
}

func TestCheckCriteria(t *testing.T) {
	cw := func(c catalogv1.Criterion, w int32) *catalogv1.CriterionWeight {
		return &catalogv1.CriterionWeight{Criterion: c, Weight: w}
	}
	tests := []struct {
		name     string
		criteria []*catalogv1.CriterionWeight
		want     []string
	}{
		{"the defaults", selection.DefaultCriteria(), nil},
		{"cost only", []*catalogv1.CriterionWeight{cw(cost, 100)}, nil},
		{"sum 99", []*catalogv1.CriterionWeight{cw(cost, 50), cw(expertise, 49)}, []string{"criteria"}},
		{"sum 101", []*catalogv1.CriterionWeight{cw(cost, 51), cw(expertise, 50)}, []string{"criteria"}},
		{"a criterion twice", []*catalogv1.CriterionWeight{cw(cost, 50), cw(cost, 50)}, []string{"criteria[1].criterion"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v apperr.Violations
			selection.CheckCriteria(tt.criteria, "criteria", &v)
			if got := violationFields(v.Err()); !slices.Equal(got, tt.want) {
				t.Errorf("violations on %v, want %v", got, tt.want)
			}
		})
	}
	var sum int32
	for _, c := range selection.DefaultCriteria() {
		sum += c.GetWeight()
	}
	if sum != 100 {
		t.Errorf("the default weights sum to %d", sum)
	}
	if got := selection.Scored(selection.DefaultCriteria()); !slices.Equal(got, []catalogv1.Criterion{expertise, technology, communication, scalability, security}) {
		t.Errorf("Scored(defaults) = %v, want the five that are not cost or location", got)
	}
}
