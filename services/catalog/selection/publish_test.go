package selection_test

import (
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestCheckPublishable(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	event := func(deadline time.Time) *catalogv1.SourcingEvent {
		return &catalogv1.SourcingEvent{Name: "sourcingEvents/s1", Engagement: "engagements/e1", ProposalDeadline: timestamppb.New(deadline)}
	}
	scope := func(s catalogv1.ScopeState) *catalogv1.Scope {
		return &catalogv1.Scope{Name: "engagements/e1/scope", State: s, Revision: 2}
	}
	later := now.Add(time.Hour)
	tests := []struct {
		name  string
		event *catalogv1.SourcingEvent
		scope *catalogv1.Scope
		want  string // "" publishable
	}{
		{"an approved scope before the deadline", event(later), scope(catalogv1.ScopeState_SCOPE_STATE_APPROVED), ""},
		{"no scope yet", event(later), nil, "engagements/e1 has no scope yet: write it (UpdateScope)"},
		{"a draft scope", event(later), scope(catalogv1.ScopeState_SCOPE_STATE_DRAFT), "the scope of engagements/e1 is DRAFT (revision 2): submit it"},
		{"a scope in review", event(later), scope(catalogv1.ScopeState_SCOPE_STATE_IN_REVIEW), "is IN_REVIEW (revision 2): have an approver approve it"},
		{"the deadline now", event(now), scope(catalogv1.ScopeState_SCOPE_STATE_APPROVED), "of sourcingEvents/s1 has passed; cancel it"},
		{"the deadline before a missing scope", event(now.Add(-time.Hour)), nil, "has passed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := selection.CheckPublishable(tt.event, tt.scope, now)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckPublishable = %v, want nil", err)
				}
				return
			}
			if apperr.KindOf(err) != apperr.FailedPrecondition || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckPublishable = %v, want FAILED_PRECONDITION saying %q", err, tt.want)
			}
		})
	}
}
