package names_test

import (
	"errors"
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/names"
)

func TestParse(t *testing.T) {
	n, err := names.Parse[catalogv1.ProposalResourceName]("proposal.name", "sourcingEvents/e1/proposals/p2")
	if err != nil || n.SourcingEvent != "e1" || n.Proposal != "p2" {
		t.Fatalf("got %+v, %v; want e1 and p2", n, err)
	}
	for _, bad := range []string{"providers/p2", "sourcingEvents/e1", "sourcingEvents/e1/proposals/", "sourcingEvents/e1/proposals/p2/revisions/1", ""} {
		_, err := names.Parse[catalogv1.ProposalResourceName]("proposal.name", bad)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || len(ae.Violations) != 1 || ae.Violations[0].Field != "proposal.name" {
			t.Errorf("Parse(%q) = %v, want INVALID_ARGUMENT on proposal.name", bad, err)
			continue
		}
		if want := "sourcingEvents/{sourcing_event}/proposals/{proposal}"; !strings.Contains(ae.Violations[0].Description, want) {
			t.Errorf("Parse(%q): %q does not show the pattern %s", bad, ae.Violations[0].Description, want)
		}
	}
}

func TestNewIDsSortByCreation(t *testing.T) {
	a, b := names.NewID(), names.NewID()
	if len(a) != 26 || a >= b {
		t.Fatalf("ids %q then %q: want 26-character ULIDs in increasing order", a, b)
	}
}
