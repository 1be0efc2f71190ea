package terms

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// FirstRevision is the id of the revision a contract gets when both
// parties sign it; every amendment that takes effect adds one.
const FirstRevision = "1"

// Signed reports whether a contract in state s has been signed by both
// parties: it then has revisions, and its terms change only by amendment.
func Signed(s contractv1.ContractState) bool {
	switch s {
	case contractv1.ContractState_CONTRACT_STATE_SIGNED, contractv1.ContractState_CONTRACT_STATE_ACTIVE,
		contractv1.ContractState_CONTRACT_STATE_EXPIRED, contractv1.ContractState_CONTRACT_STATE_TERMINATED:
		return true
	}
	return false
}

// NextRevision is the id that follows id ("1" → "2").
func NextRevision(id string) string {
	n, err := strconv.Atoi(id)
	if err != nil || n < 1 {
		return FirstRevision
	}
	return strconv.Itoa(n + 1)
}

// RevisionNumber is id as a number for ordering; 0 when it is not one.
func RevisionNumber(id string) int {
	n, err := strconv.Atoi(id)
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// StartRevision marks c, signed by both parties, as its first revision,
// in force from its start date. spec: contract.md, "Amendments" — every
// revision stays readable; the first is the contract as signed.
func StartRevision(c *contractv1.Contract) {
	c.RevisionId = FirstRevision
	c.RevisionEffectiveDate = proto.CloneOf(c.GetStartDate())
	c.TermEndDate = proto.CloneOf(c.GetEndDate())
}

// InForce returns, of a contract's revisions, the one in force on day:
// the one with the latest effective date on or before it (the higher
// revision when two share a date). ok is false when day is before every
// revision's effective date.
func InForce(revisions []*contractv1.Contract, day *date.Date) (rev *contractv1.Contract, ok bool) {
	d, valid := civil(day)
	if !valid {
		return nil, false
	}
	var best *contractv1.Contract
	var bestFrom time.Time
	for _, r := range revisions {
		from, ok := civil(r.GetRevisionEffectiveDate())
		if !ok || from.After(d) {
			continue
		}
		if best == nil || from.After(bestFrom) || from.Equal(bestFrom) && RevisionNumber(r.GetRevisionId()) > RevisionNumber(best.GetRevisionId()) {
			best, bestFrom = r, from
		}
	}
	return best, best != nil
}

// NoRevisionYet is the refusal of a question about revisions of a
// contract not signed yet: it has none until both parties sign.
func NoRevisionYet(c *contractv1.Contract) error {
	return apperr.New(apperr.FailedPrecondition, "%s is %s: a contract has no revision in force until it is approved and signed by both parties", c.GetName(), protoenum.Short(c.GetState()))
}

// Life copies onto rev, a stored revision of the contract c, what belongs
// to the contract's life rather than to its terms: the state, the service
// commencement, the termination (and one pending), the chronic-failure
// rights, the end of the term after renewals and the update time; and c's etag, so a revision read says which version of
// the contract it was read from.
func Life(rev, c *contractv1.Contract) *contractv1.Contract {
	out := proto.CloneOf(rev)
	out.Name = c.GetName()
	out.State = c.GetState()
	out.ServiceCommencementDate = proto.CloneOf(c.GetServiceCommencementDate())
	out.Termination = proto.CloneOf(c.GetTermination())
	out.ChronicFailureRights = nil
	for _, r := range c.GetChronicFailureRights() {
		out.ChronicFailureRights = append(out.ChronicFailureRights, proto.CloneOf(r))
	}
	out.TermEndDate = proto.CloneOf(c.GetTermEndDate())
	out.PendingTermination = proto.CloneOf(c.GetPendingTermination())
	out.UpdateTime = proto.CloneOf(c.GetUpdateTime())
	out.Etag = c.GetEtag()
	return out
}

// RecordChronicFailure adds right, found by monitoring when it closed
// right.period, to a signed contract, and says whether it changed
// anything: a right for a period already recorded is kept as first
// recorded (monitoring may retry its close), so the call is idempotent per
// period. The right names at least one CRITICAL level of the contract (in
// its current terms or in one of revisions, since monitoring judges each
// period by the revision in force then) and the periods in which it was
// missed (the evidence kept for a termination for cause). field is the
// request path of the right. spec: contract.md,
// "credit regime" — a chronic failure gives the client a right to
// terminate for cause; monitoring.md, period statement step 7.
func RecordChronicFailure(c *contractv1.Contract, right *contractv1.ChronicFailureRight, now time.Time, field string, revisions ...*contractv1.Contract) (changed bool, err error) {
	if !Signed(c.GetState()) {
		return false, apperr.New(apperr.FailedPrecondition, "%s is %s: a chronic-failure right exists only under a contract signed by both parties", c.GetName(), protoenum.Short(c.GetState()))
	}
	var v apperr.Violations
	period := strings.TrimSpace(right.GetPeriod())
	if period == "" || len(period) > 20 {
		v.Add(field+".period", "is required: the period whose statement found the chronic failure, e.g. 2026-10")
	}
	levels := map[string]*typev1.ServiceLevel{}
	for _, r := range append(revisions, c) {
		for _, sl := range r.GetServiceLevels() {
			if prev, ok := levels[sl.GetKey()]; !ok || prev.GetKind() != typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL {
				levels[sl.GetKey()] = sl
			}
		}
	}
	if len(right.GetServiceLevelKeys()) == 0 {
		v.Add(field+".service_level_keys", "names no service level: a chronic failure is of at least one CRITICAL level")
	}
	for i, k := range right.GetServiceLevelKeys() {
		sl, ok := levels[k]
		switch {
		case !ok:
			v.Add(fmt.Sprintf("%s.service_level_keys[%d]", field, i), "%q is not a service level of %s", k, c.GetName())
		case sl.GetKind() != typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL:
			v.Add(fmt.Sprintf("%s.service_level_keys[%d]", field, i), "%q is a KPI; only a CRITICAL level fails chronically", k)
		case slices.Index(right.GetServiceLevelKeys(), k) < i:
			v.Add(fmt.Sprintf("%s.service_level_keys[%d]", field, i), "%q is named twice", k)
		}
	}
	if len(right.GetMissedPeriods()) == 0 {
		v.Add(field+".missed_periods", "is required: the periods in which the levels were missed, the evidence of the right")
	}
	for i, p := range right.GetMissedPeriods() {
		if strings.TrimSpace(p) == "" || len(p) > 20 {
			v.Add(fmt.Sprintf("%s.missed_periods[%d]", field, i), "%q is not a period such as 2026-10", p)
		}
	}
	if err := v.Err(); err != nil {
		return false, err
	}
	for _, r := range c.GetChronicFailureRights() {
		if r.GetPeriod() == period {
			return false, nil
		}
	}
	r := proto.CloneOf(right)
	r.Period = period
	r.RecordTime = timestamppb.New(now)
	c.ChronicFailureRights = append(c.ChronicFailureRights, r)
	return true, nil
}
