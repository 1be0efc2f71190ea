package terms

import (
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"google.golang.org/protobuf/proto"
)

// InTime brings the state of a signed contract c up to date with now, in
// its service time zone, and says whether it changed anything:
//
//   - SIGNED becomes ACTIVE on its start date;
//   - past the end of its term, a contract with auto-renewal months
//     renews (`term_end_date` moves on by those months, as often as needed
//     to reach today), and one without becomes EXPIRED.
//
// A contract in any other state is left alone (a draft has no term yet,
// an ended one stays ended). spec: contract.md, "States" — ACTIVE from
// the start date, derived; EXPIRED; "term" — auto-renewal months.
func InTime(c *contractv1.Contract, now time.Time) (changed bool) {
	st := c.GetState()
	if st != contractv1.ContractState_CONTRACT_STATE_SIGNED && st != contractv1.ContractState_CONTRACT_STATE_ACTIVE {
		return false
	}
	today := Today(c, now)
	if end, ok := civil(termEnd(c)); ok && today.After(end) {
		if m := int(c.GetAutoRenewalMonths()); m > 0 {
			for today.After(end) {
				end = AddMonths(end.AddDate(0, 0, 1), m).AddDate(0, 0, -1)
			}
			c.TermEndDate = toDate(end)
			changed = true
		} else {
			c.State = contractv1.ContractState_CONTRACT_STATE_EXPIRED
			if c.GetTermEndDate() == nil {
				c.TermEndDate = proto.CloneOf(c.GetEndDate())
			}
			return true
		}
	}
	if start, ok := civil(c.GetStartDate()); ok && st == contractv1.ContractState_CONTRACT_STATE_SIGNED && !today.Before(start) {
		c.State = contractv1.ContractState_CONTRACT_STATE_ACTIVE
		changed = true
	}
	return changed
}
