// Package scope holds the rules of step 2, scope: what a valid engagement
// and a valid scope are, and the review state machine of a scope revision,
// DRAFT → IN_REVIEW → APPROVED. spec: catalog.md §2.
//
// Decisions where the spec is silent:
//   - Editing an APPROVED revision starts the next revision as a DRAFT; the
//     approved one stays readable by its number. Editing a DRAFT changes it
//     in place; a revision IN_REVIEW cannot be edited (reject it first).
//   - A revision can be submitted only with at least one deliverable or one
//     service level: there is nothing to approve otherwise.
//   - The author of a revision is whoever last edited it; its editors are
//     everyone who wrote it: who started it (the engagement's creator for
//     revision 1, else the first to edit the approved revision before it)
//     and everyone who edited it since, rejections included. None of them
//     may approve it (four eyes); submitting or rejecting writes nothing.
//     A rejection sends it back to DRAFT with the approver's reason, which
//     the revision shows (rejection_reason) until it is submitted again;
//     the audit log keeps every reason.
//   - A provider user reads the revision a published sourcing event it is
//     invited to was published on (the RFP it bids on), and every revision
//     of an engagement awarded to it; nothing else of any engagement.
package scope

import (
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
)

// Action is a change of a scope revision.
type Action string

// The actions, one per method that changes a scope.
const (
	Edit    Action = "edit"
	Submit  Action = "submit"
	Approve Action = "approve"
	Reject  Action = "reject"
)

const (
	draft    = catalogv1.ScopeState_SCOPE_STATE_DRAFT
	inReview = catalogv1.ScopeState_SCOPE_STATE_IN_REVIEW
	approved = catalogv1.ScopeState_SCOPE_STATE_APPROVED
)

// step is where an action leads from one state.
type step struct {
	to catalogv1.ScopeState
	// newRevision: the action starts the next revision (the one it leaves
	// stays as it was).
	newRevision bool
}

// transitions is the state machine: for each action, the states it is
// allowed from and where it leads.
var transitions = map[Action]map[catalogv1.ScopeState]step{
	Edit:    {draft: {to: draft}, approved: {to: draft, newRevision: true}},
	Submit:  {draft: {to: inReview}},
	Approve: {inReview: {to: approved}},
	Reject:  {inReview: {to: draft}},
}

// hint says what to do when an action is refused in a state.
var hint = map[catalogv1.ScopeState]string{
	draft:    "submit it for review first (SubmitScope)",
	inReview: "an approver must approve it or reject it back to DRAFT first (ApproveScope, RejectScope)",
	approved: "edit it to start a new revision (UpdateScope)",
}

// Next returns the state after action from state, and whether it starts a
// new revision; FAILED_PRECONDITION naming the current state, the states the
// action needs and what to do, when the action is not allowed.
func Next(state catalogv1.ScopeState, action Action) (catalogv1.ScopeState, bool, error) {
	from := transitions[action]
	if s, ok := from[state]; ok {
		return s.to, s.newRevision, nil
	}
	var need []string
	for _, s := range []catalogv1.ScopeState{draft, inReview, approved} {
		if _, ok := from[s]; ok {
			need = append(need, protoenum.Short(s))
		}
	}
	return state, false, apperr.New(apperr.FailedPrecondition, "cannot %s a scope revision that is %s, only one that is %s: %s",
		action, protoenum.Short(state), strings.Join(need, " or "), hint[state])
}

// Submittable refuses to submit a revision with nothing to approve.
func Submittable(s *catalogv1.Scope) error {
	if len(s.GetDeliverables()) == 0 && len(s.GetServiceLevels()) == 0 {
		return apperr.New(apperr.FailedPrecondition, "scope revision %d of %s has no deliverables and no service levels: add at least one with UpdateScope before submitting it",
			s.GetRevision(), engagementOf(s))
	}
	return nil
}

// engagementOf is the name of the engagement s is the scope of, as
// messages name it.
func engagementOf(s *catalogv1.Scope) string {
	var n catalogv1.ScopeResourceName
	if err := n.UnmarshalString(s.GetName()); err != nil {
		return s.GetName()
	}
	return n.EngagementResourceName().String()
}
