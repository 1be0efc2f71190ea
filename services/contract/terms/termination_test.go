package terms

import (
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	convenience = contractv1.TerminationReason_TERMINATION_REASON_CONVENIENCE
	cause       = contractv1.TerminationReason_TERMINATION_REASON_CAUSE
	mutual      = contractv1.TerminationReason_TERMINATION_REASON_MUTUAL
)

func TestTerminate(t *testing.T) {
	// 2027-03-01 03:30 UTC is still 2027-02-28 (22:30) in New York, the
	// contract's service time zone: "today" there is 28 February.
	now := time.Date(2027, 3, 1, 3, 30, 0, 0, time.UTC)
	tests := []struct {
		name   string
		state  contractv1.ContractState
		reason contractv1.TerminationReason
		day    []int32 // effective date
		kind   apperr.Kind
		field  bool // a field violation of effective_date
	}{
		{name: "for convenience today in the service time zone", state: signed, reason: convenience, day: []int32{2027, 2, 28}},
		{name: "by mutual agreement, recorded after the notice", state: signed, reason: mutual, day: []int32{2027, 1, 31}},
		{name: "before the term starts (signed, never started)", state: signed, reason: mutual, day: []int32{2025, 12, 1}},
		{name: "1 March is today in UTC but tomorrow in New York: in the future", state: signed, reason: convenience, day: []int32{2027, 3, 1}, kind: apperr.InvalidArgument, field: true},
		{name: "not a calendar date", state: signed, reason: convenience, day: []int32{2027, 2, 29}, kind: apperr.InvalidArgument, field: true},
		{name: "for cause: the approval flow is not built", state: signed, reason: cause, day: []int32{2027, 2, 28}, kind: apperr.FailedPrecondition},
		{name: "a draft is not terminated", state: draft, reason: convenience, day: []int32{2027, 2, 28}, kind: apperr.FailedPrecondition},
		{name: "an approved contract not yet signed", state: approved, reason: mutual, day: []int32{2027, 2, 28}, kind: apperr.FailedPrecondition},
		{name: "terminated once only", state: terminated, reason: mutual, day: []int32{2027, 2, 28}, kind: apperr.FailedPrecondition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := reviewable() // 2026-01-01 … 2028-12-31, America/New_York
			c.State = tt.state
			eff := day(tt.day[0], tt.day[1], tt.day[2])
			err := ApplyTermination(c, Termination{Reason: tt.reason, EffectiveDate: eff, Explanation: "  moved in-house ", By: "cm@client"}, now, "effective_date")
			if tt.kind != 0 {
				if tt.field {
					if got := violationFields(t, err); len(got) != 1 || got[0] != "effective_date" {
						t.Fatalf("violations %v, want effective_date", got)
					}
				} else {
					wantKind(t, err, tt.kind)
				}
				if c.GetState() != tt.state || c.GetTermination() != nil {
					t.Errorf("a refused termination changed the contract: %v %v", c.GetState(), c.GetTermination())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := &contractv1.Termination{Reason: tt.reason, EffectiveDate: eff, Explanation: "moved in-house", TerminatedBy: "cm@client", TerminateTime: timestamppb.New(now)}
			if c.GetState() != terminated || !proto.Equal(c.GetTermination(), want) {
				t.Errorf("got %v %v, want TERMINATED %v", c.GetState(), c.GetTermination(), want)
			}
		})
	}
}

func TestTerminateAfterTheTerm(t *testing.T) {
	c := reviewable() // ends 2028-12-31
	c.State = signed
	err := ApplyTermination(c, Termination{Reason: mutual, EffectiveDate: day(2029, 1, 1)}, time.Date(2029, 6, 1, 12, 0, 0, 0, time.UTC), "effective_date")
	if got := violationFields(t, err); len(got) != 1 || got[0] != "effective_date" {
		t.Fatalf("violations %v, want effective_date after the end", got)
	}
}

func TestTerminateForCauseSaysWhatIsMissing(t *testing.T) {
	c := reviewable()
	c.State = signed
	err := ApplyTermination(c, Termination{Reason: cause, EffectiveDate: day(2026, 6, 1)}, time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), "effective_date")
	want := "contracts/C1 has no chronic-failure right: termination for CAUSE needs one recorded by monitoring, or a written reason approved by an approver who is not the requester (RequestTermination, then ApproveTermination)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	wantKind(t, err, apperr.FailedPrecondition)
}

func TestTerminateForCauseOnAChronicFailure(t *testing.T) {
	c := reviewable()
	c.State = signed
	now := time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)
	right := &contractv1.ChronicFailureRight{Period: "2026-10", ServiceLevelKeys: []string{"asa_20s"}, MissedPeriods: []string{"2026-06", "2026-08", "2026-10"}}
	if _, err := RecordChronicFailure(c, right, now, "right"); err != nil {
		t.Fatal(err)
	}
	if err := ApplyTermination(c, Termination{Reason: cause, EffectiveDate: day(2026, 11, 3), By: "cm@client"}, now, "effective_date"); err != nil {
		t.Fatal(err)
	}
	ev := c.GetTermination().GetChronicFailureRight()
	if c.GetState() != terminated || ev.GetPeriod() != "2026-10" || len(ev.GetMissedPeriods()) != 3 || ev.GetServiceLevelKeys()[0] != "asa_20s" {
		t.Errorf("terminated %v with evidence %v", c.GetState(), ev)
	}
}

func TestTerminateForCauseOnAWrittenReasonNeedsFourEyes(t *testing.T) {
	c := reviewable()
	c.State = signed
	now := time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)
	req := Termination{Reason: cause, EffectiveDate: day(2026, 11, 3), Explanation: "repeated data-protection breaches", By: "lead@client"}
	wantKind(t, ApproveTermination(c, Party{Subject: "approver@client"}, now), apperr.FailedPrecondition)
	if got := violationFields(t, RequestTermination(c, Termination{Reason: cause, EffectiveDate: day(2026, 11, 3), By: "lead@client"}, now, "effective_date")); len(got) != 1 || got[0] != "explanation" {
		t.Errorf("no reason: %v", got)
	}
	if err := RequestTermination(c, req, now, "effective_date"); err != nil {
		t.Fatal(err)
	}
	if c.GetState() != signed || c.GetPendingTermination().GetRequestedBy() != "lead@client" {
		t.Fatalf("after the request: %v %v", c.GetState(), c.GetPendingTermination())
	}
	wantKind(t, RequestTermination(c, req, now, "effective_date"), apperr.FailedPrecondition) // one at a time
	// The requester, even holding the approver role, cannot approve it.
	wantKind(t, ApproveTermination(c, Party{Subject: "lead@client"}, now), apperr.PermissionDenied)
	wantKind(t, ApproveTermination(c, Party{Subject: "p@provider", ProviderUser: true, Provider: "providers/P1"}, now), apperr.PermissionDenied)
	if err := ApproveTermination(c, Party{Subject: "approver@client"}, now); err != nil {
		t.Fatal(err)
	}
	tm := c.GetTermination()
	if c.GetState() != terminated || c.GetPendingTermination() != nil || tm.GetRequestedBy() != "lead@client" || tm.GetApprovedBy() != "approver@client" ||
		tm.GetExplanation() != "repeated data-protection breaches" || tm.GetReason() != cause {
		t.Errorf("terminated %v: %v", c.GetState(), tm)
	}

	d := reviewable()
	d.State = signed
	if err := RequestTermination(d, req, now, "effective_date"); err != nil {
		t.Fatal(err)
	}
	if err := RejectTermination(d, "the breaches were fixed"); err != nil || d.GetPendingTermination() != nil || d.GetTerminationRejectionReason() != "the breaches were fixed" || d.GetState() != signed {
		t.Errorf("rejected: %v %v", d.GetPendingTermination(), err)
	}
	wantKind(t, RejectTermination(d, "again"), apperr.FailedPrecondition)
}
