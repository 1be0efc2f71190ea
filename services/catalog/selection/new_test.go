package selection_test

import (
	"slices"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestValidateNew(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	valid := func() *catalogv1.SourcingEvent {
		return &catalogv1.SourcingEvent{
			Engagement:       "engagements/e1",
			DisplayName:      "  Customer support RFP ",
			InvitedProviders: []string{"providers/a", "providers/b"},
			Evaluators:       []string{" eva", "ed "},
			ProposalDeadline: timestamppb.New(now.Add(7 * 24 * time.Hour)),
		}
	}
	cw := func(c catalogv1.Criterion, w int32) *catalogv1.CriterionWeight {
		return &catalogv1.CriterionWeight{Criterion: c, Weight: w}
	}
	tests := []struct {
		name   string
		change func(*catalogv1.SourcingEvent)
		want   []string
	}{
		{"a valid event", func(*catalogv1.SourcingEvent) {}, nil},
		{"weights not summing to 100", func(e *catalogv1.SourcingEvent) {
			e.Criteria = []*catalogv1.CriterionWeight{cw(cost, 60), cw(expertise, 30)}
		}, []string{"sourcing_event.criteria"}},
		{"no provider", func(e *catalogv1.SourcingEvent) { e.InvitedProviders = nil }, []string{"sourcing_event.invited_providers"}},
		{"a provider twice", func(e *catalogv1.SourcingEvent) {
			e.InvitedProviders = append(e.InvitedProviders, "providers/a")
		}, []string{"sourcing_event.invited_providers[2]"}},
		{"a name of another kind as a provider", func(e *catalogv1.SourcingEvent) {
			e.InvitedProviders[1] = "engagements/e1"
		}, []string{"sourcing_event.invited_providers[1]"}},
		{"no evaluator", func(e *catalogv1.SourcingEvent) { e.Evaluators = nil }, []string{"sourcing_event.evaluators"}},
		{"a blank evaluator", func(e *catalogv1.SourcingEvent) { e.Evaluators = []string{"eva", "  "} }, []string{"sourcing_event.evaluators[1]"}},
		{"an evaluator twice, once with blanks", func(e *catalogv1.SourcingEvent) {
			e.Evaluators = []string{"eva", "eva "}
		}, []string{"sourcing_event.evaluators[1]"}},
		{"no deadline", func(e *catalogv1.SourcingEvent) { e.ProposalDeadline = nil }, []string{"sourcing_event.proposal_deadline"}},
		{"a deadline now", func(e *catalogv1.SourcingEvent) { e.ProposalDeadline = timestamppb.New(now) }, []string{"sourcing_event.proposal_deadline"}},
		{"every rule at once", func(e *catalogv1.SourcingEvent) {
			e.Criteria = []*catalogv1.CriterionWeight{cw(cost, 50), cw(cost, 50)}
			e.InvitedProviders, e.Evaluators, e.ProposalDeadline = nil, nil, nil
		}, []string{"sourcing_event.criteria[1].criterion", "sourcing_event.invited_providers", "sourcing_event.evaluators", "sourcing_event.proposal_deadline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid()
			tt.change(in)
			got, err := selection.ValidateNew(in, now, "sourcing_event")
			if fields := violationFields(err); !slices.Equal(fields, tt.want) {
				t.Fatalf("violations on %v, want %v", fields, tt.want)
			}
			if err == nil && got == nil {
				t.Fatal("no event and no error")
			}
		})
	}

	t.Run("the defaults and the trimmed names", func(t *testing.T) {
		got, err := selection.ValidateNew(valid(), now, "sourcing_event")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.GetCriteria()) != len(selection.DefaultCriteria()) || got.GetDisplayName() != "Customer support RFP" ||
			!slices.Equal(got.GetEvaluators(), []string{"eva", "ed"}) || got.GetContractTermMonths() != 0 {
			t.Errorf("ValidateNew = %v; want the default criteria, trimmed display name and evaluators, the term left to the server", got)
		}
	})
}
