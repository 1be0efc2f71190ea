package terms

import (
	"math/big"
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/protobuf/proto"
)

// FuzzValidate feeds arbitrary contracts (as wire bytes) to the
// validators: they never panic and answer nothing or INVALID_ARGUMENT.
func FuzzValidate(f *testing.F) {
	for _, c := range []*contractv1.Contract{reviewable(), {}, {StartDate: day(2026, 2, 30), ServiceTimeZone: "x"}} {
		b, err := proto.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &contractv1.Contract{}
		if proto.Unmarshal(b, c) != nil {
			return
		}
		for _, err := range []error{ValidateNew(c, "contract"), ValidateDraft(c, "contract"), ValidateForReview(c, "contract")} {
			if err != nil && apperr.KindOf(err) != apperr.InvalidArgument {
				t.Fatalf("validation answered %v", err)
			}
		}
	})
}

// FuzzTermEnd: a term of at least a month ends after its start, and at
// most one month's days (31) away from start + months.
func FuzzTermEnd(f *testing.F) {
	f.Add(int32(2026), int32(1), int32(31), 1)
	f.Add(int32(2028), int32(2), int32(29), 12)
	f.Add(int32(2026), int32(4), int32(1), 36)
	f.Fuzz(func(t *testing.T, y, m, d int32, months int) {
		start := day(y, m, d)
		s, ok := civil(start)
		if !ok || months < 1 || months > 1200 || y > 9000 {
			return
		}
		endDate, ok := TermEnd(start, months)
		if !ok {
			t.Fatalf("no end for %v + %d", start, months)
		}
		end, ok := civil(endDate)
		if !ok || !end.After(s) {
			t.Fatalf("%v + %d months ends %v", start, months, endDate)
		}
		if naive := s.AddDate(0, months, -1); end.After(naive) || naive.Sub(end) > 4*24*time.Hour {
			t.Fatalf("%v + %d months ends %v, far from %v", start, months, endDate, naive)
		}
	})
}

// FuzzEscalation: for any two positive prices and cap, the check never
// panics, and it finds the rise above the cap exactly when
// (after − before) × 10 000 > cap × before.
func FuzzEscalation(f *testing.F) {
	f.Add(int64(9_500_000), int64(9_975_000), int32(300))
	f.Add(int64(9_500_000), int64(9_785_000), int32(300))
	f.Add(int64(1), int64(1<<62), int32(10000))
	f.Fuzz(func(t *testing.T, before, after int64, capBps int32) {
		if before <= 0 || after <= 0 || capBps < 0 || capBps > 10000 {
			return
		}
		rev1 := reviewable()
		rev1.MonthlyFee.MinorUnits = before
		StartRevision(rev1)
		amended := proto.CloneOf(rev1)
		amended.MonthlyFee.MinorUnits = after
		amended.EscalationCapBps = capBps
		check := Escalation(amended, []*contractv1.Contract{rev1}, day(2026, 6, 1))
		rise := new(big.Int).Mul(new(big.Int).Sub(big.NewInt(after), big.NewInt(before)), big.NewInt(10_000))
		want := rise.Cmp(new(big.Int).Mul(big.NewInt(int64(capBps)), big.NewInt(before))) > 0
		if check.GetExceedsCap() != want {
			t.Fatalf("%d → %d under %d bps: exceeds %v, want %v", before, after, capBps, check.GetExceedsCap(), want)
		}
	})
}
