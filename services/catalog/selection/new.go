package selection

import (
	"strconv"
	"strings"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/protobuf/proto"
)

// ValidateNew checks a new sourcing event as a caller sent it and returns
// it as it is stored, before the server adds what is its own (name, state,
// owner, term, times): the spec's criteria when it names none, evaluators
// and display name without surrounding blanks. Every rule broken is one
// violation of a field under prefix ("sourcing_event").
// spec: catalog.md §3 "Sourcing event".
func ValidateNew(in *catalogv1.SourcingEvent, now time.Time, prefix string) (*catalogv1.SourcingEvent, error) {
	e := proto.CloneOf(in)
	e.DisplayName = strings.TrimSpace(e.GetDisplayName())
	e.Evaluators = nil
	if len(e.Criteria) == 0 {
		e.Criteria = DefaultCriteria()
	}
	var v apperr.Violations
	CheckCriteria(e.GetCriteria(), prefix+".criteria", &v)

	field := prefix + ".invited_providers"
	if len(e.GetInvitedProviders()) == 0 {
		v.Add(field, "invite at least one provider")
	}
	seen := map[string]bool{}
	for i, p := range e.GetInvitedProviders() {
		var n catalogv1.ProviderResourceName
		switch {
		case n.UnmarshalString(p) != nil:
			v.Add(indexed(field, i), "%q is not a name of the form %s", p, n.Pattern())
		case seen[p]:
			v.Add(indexed(field, i), "%s is invited twice", p)
		}
		seen[p] = true
	}

	field = prefix + ".evaluators"
	if len(in.GetEvaluators()) == 0 {
		v.Add(field, "name at least one evaluator (the subject of a user with the evaluator role)")
	}
	seen = map[string]bool{}
	for i, ev := range in.GetEvaluators() {
		ev = strings.TrimSpace(ev)
		switch {
		case ev == "":
			v.Add(indexed(field, i), "must not be blank")
		case seen[ev]:
			v.Add(indexed(field, i), "%s is listed twice", ev)
		}
		seen[ev] = true
		e.Evaluators = append(e.Evaluators, ev)
	}

	switch d := e.GetProposalDeadline(); {
	case d == nil:
		v.Add(prefix+".proposal_deadline", "is required")
	case !d.AsTime().After(now):
		v.Add(prefix+".proposal_deadline", "%s is not in the future", d.AsTime().Format(time.RFC3339))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return e, nil
}

// indexed is the path of element i of a repeated field.
func indexed(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }
