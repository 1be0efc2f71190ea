package scope

import (
	"slices"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
)

// AddEditor records subject among the editors of revision s once.
//
// The author stored before this edit wrote the revision too: the one who
// created the empty draft with its engagement, or, for a scope stored
// before editors were kept, whoever last edited it. It is kept first, so
// that an edit by someone else cannot make the revision look as if only
// they wrote it.
func AddEditor(s *catalogv1.Scope, subject string) {
	if len(s.GetEditors()) == 0 && s.GetAuthor() != "" {
		s.Editors = []string{s.GetAuthor()}
	}
	if !slices.Contains(s.GetEditors(), subject) {
		s.Editors = append(s.Editors, subject)
	}
}

// StartRevision makes s the first draft of its next revision, written by
// subject alone: the approved revision stays frozen as it was, so those
// who wrote it may approve the change as long as they do not edit it.
func StartRevision(s *catalogv1.Scope, subject string) {
	s.Revision++
	s.Approver, s.ApproveTime, s.RejectionReason = "", nil, ""
	s.Author, s.Editors = subject, []string{subject}
}

// CheckApprover enforces four eyes: no one who wrote revision s may
// approve it, however small their part. A rejection does not clear the
// editors, since otherwise an author could reject their own revision, have
// a colleague change one line and approve it.
func CheckApprover(s *catalogv1.Scope, approver string) error {
	if approver != s.GetAuthor() && !slices.Contains(s.GetEditors(), approver) {
		return nil
	}
	editors := s.GetEditors()
	if len(editors) == 0 {
		editors = []string{s.GetAuthor()}
	}
	return apperr.New(apperr.PermissionDenied, "an approver cannot approve a scope they wrote: scope revision %d of %s was written by %s; an approver who is none of them must approve it",
		s.GetRevision(), engagementOf(s), strings.Join(editors, ", "))
}
