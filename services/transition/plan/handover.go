package plan

import (
	"fmt"
	"strings"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
)

// ValidateKnowledgeItem checks a knowledge item about to be created (field
// paths start with prefix).
func ValidateKnowledgeItem(it *transitionv1.KnowledgeItem, prefix string) error {
	var v apperr.Violations
	if strings.TrimSpace(it.GetTitle()) == "" {
		v.Add(prefix+".title", "is required")
	}
	if it.GetKind() == transitionv1.KnowledgeItemKind_KNOWLEDGE_ITEM_KIND_UNSPECIFIED {
		v.Add(prefix+".kind", "is required: SOP, DOCUMENT, RECORDED_SESSION or SYSTEM_ACCESS")
	}
	if strings.TrimSpace(it.GetOwner()) == "" {
		v.Add(prefix+".owner", "is required: the client-side owner who hands it over")
	}
	if strings.TrimSpace(it.GetReceiver()) == "" {
		v.Add(prefix+".receiver", "is required: the provider-side receiver who takes it over")
	}
	return v.Err()
}

// ValidateTrainingSession checks a training session about to be created:
// a topic, a full date, and trainees each named once.
func ValidateTrainingSession(ts *transitionv1.TrainingSession, prefix string) error {
	var v apperr.Violations
	if strings.TrimSpace(ts.GetTopic()) == "" {
		v.Add(prefix+".topic", "is required")
	}
	if _, ok := Day(ts.GetSessionDate()); !ok {
		v.Add(prefix+".session_date", "is required: the full calendar date the session is held")
	}
	if len(ts.GetTrainees()) == 0 {
		v.Add(prefix+".trainees", "is required: the provider staff trained")
	}
	seen := map[string]bool{}
	for i, tr := range ts.GetTrainees() {
		id := strings.TrimSpace(tr.GetTrainee())
		field := fmt.Sprintf("%s.trainees[%d].trainee", prefix, i)
		switch {
		case id == "":
			v.Add(field, "is required: the provider staff identifier")
		case seen[id]:
			v.Add(field, "%s is listed twice", id)
		}
		seen[id] = true
	}
	return v.Err()
}

// ApplyResults records results on ts: each must name a trainee of ts,
// once, with a result.
func ApplyResults(ts *transitionv1.TrainingSession, results []*transitionv1.Trainee, prefix string) error {
	var v apperr.Violations
	index := map[string]int{}
	for i, tr := range ts.GetTrainees() {
		index[tr.GetTrainee()] = i
	}
	seen := map[string]bool{}
	for i, r := range results {
		id := strings.TrimSpace(r.GetTrainee())
		field := fmt.Sprintf("%s[%d]", prefix, i)
		j, ok := index[id]
		switch {
		case !ok:
			v.Add(field+".trainee", "%q is not a trainee of %s; add trainees by creating a session", id, ts.GetName())
		case seen[id]:
			v.Add(field+".trainee", "%s is listed twice", id)
		case r.GetResult() == transitionv1.TraineeResult_TRAINEE_RESULT_UNSPECIFIED:
			v.Add(field+".result", "is required: ATTENDED, PASSED, FAILED or ABSENT")
		default:
			ts.Trainees[j].Result = r.GetResult()
		}
		seen[id] = true
	}
	return v.Err()
}

// ValidateParallelRunResult checks a reported parallel-run result: a level
// key, a decimal value, and a period in order when given.
func ValidateParallelRunResult(r *transitionv1.ParallelRunResult, prefix string) error {
	var v apperr.Violations
	if strings.TrimSpace(r.GetServiceLevel()) == "" {
		v.Add(prefix+".service_level", "is required: the key of a CRITICAL level of the contract")
	}
	if _, ok := ParseDecimal(r.GetValue()); !ok {
		v.Add(prefix+".value", "%q is not a decimal number (e.g. 82.5)", r.GetValue())
	}
	start, okS := Day(r.GetStartDate())
	end, okE := Day(r.GetEndDate())
	if r.GetStartDate() != nil && !okS {
		v.Add(prefix+".start_date", "is not a calendar date")
	}
	if r.GetEndDate() != nil && !okE {
		v.Add(prefix+".end_date", "is not a calendar date")
	}
	if okS && okE && end.Before(start) {
		v.Add(prefix+".end_date", "is before start_date")
	}
	return v.Err()
}
