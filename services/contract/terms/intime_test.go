package terms

import (
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	kcivil "github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/protoenum"
)

func TestInTime(t *testing.T) {
	active := contractv1.ContractState_CONTRACT_STATE_ACTIVE
	expired := contractv1.ContractState_CONTRACT_STATE_EXPIRED
	// The contract runs 2026-01-01 to 2028-12-31 in America/New_York.
	// 2026-01-01 05:00 UTC is midnight in New York: the start has come;
	// 04:59 UTC it is still 31 December there.
	tests := []struct {
		name    string
		state   contractv1.ContractState
		renew   int32
		now     time.Time
		want    contractv1.ContractState
		changed bool
		termEnd string
	}{
		{"signed before the start stays signed", signed, 0, time.Date(2026, 1, 1, 4, 59, 0, 0, time.UTC), signed, false, "2028-12-31"},
		{"signed on the start is active", signed, 0, time.Date(2026, 1, 1, 5, 0, 0, 0, time.UTC), active, true, "2028-12-31"},
		{"active on the last day stays active", active, 0, time.Date(2029, 1, 1, 4, 59, 0, 0, time.UTC), active, false, "2028-12-31"},
		{"active the day after the end expires", active, 0, time.Date(2029, 1, 1, 5, 0, 0, 0, time.UTC), expired, true, "2028-12-31"},
		{"signed, never read until after the end, expires", signed, 0, time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC), expired, true, "2028-12-31"},
		// 12 months of renewal: the term ends 2029-12-31 (2029-01-01 + 12
		// months − 1 day).
		{"auto-renewal moves the end by a year", active, 12, time.Date(2029, 1, 1, 5, 0, 0, 0, time.UTC), active, true, "2029-12-31"},
		// Read first on 2031-03-01: renewed twice, to 2030-12-31, then to
		// 2031-12-31, and active from the start.
		{"auto-renewal as often as needed", signed, 12, time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC), active, true, "2031-12-31"},
		{"a draft is left alone", draft, 0, time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC), draft, false, ""},
		{"a terminated contract stays terminated", terminated, 0, time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC), terminated, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := reviewable()
			c.State, c.AutoRenewalMonths = tt.state, tt.renew
			if tt.state != draft && tt.state != terminated {
				StartRevision(c)
			}
			changed := InTime(c, tt.now)
			if changed != tt.changed || c.GetState() != tt.want || kcivil.Format(c.GetTermEndDate()) != tt.termEnd {
				t.Errorf("InTime = %v, %s, term end %s; want %v, %s, %s", changed, protoenum.Short(c.GetState()), kcivil.Format(c.GetTermEndDate()), tt.changed, protoenum.Short(tt.want), tt.termEnd)
			}
		})
	}
}
