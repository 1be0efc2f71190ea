package terms

import (
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
