package contract_test

import (
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// signedWith walks an engagement to a contract signed by both parties,
// whose draft was first changed by edit (fields named by paths).
func signedWith(t *testing.T, e *testenv.Env, edit *contractv1.Contract, paths ...string) (*testenv.Awarded, *contractv1.Contract) {
	t.Helper()
	a := e.AwardedEngagement(t)
	cm := e.AsRole(t, auth.ContractManager)
	c := draftFor(t, e, cm, a.Engagement.GetName())
	if len(paths) > 0 {
		edit.Name = c.GetName()
		var err error
		if c, err = e.Contract.UpdateContract(cm, &contractv1.UpdateContractRequest{Contract: edit, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}}); err != nil {
			t.Fatalf("UpdateContract: %v", err)
		}
	}
	if _, err := e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName()}); err != nil {
		t.Fatalf("SubmitContract: %v", err)
	}
	if _, err := e.Contract.ApproveContract(e.AsRole(t, auth.Approver), &contractv1.ApproveContractRequest{Name: c.GetName()}); err != nil {
		t.Fatalf("ApproveContract: %v", err)
	}
	if _, err := e.Contract.SignContract(e.As(t, testenv.ClientSignatory, auth.Approver), &contractv1.SignContractRequest{Name: c.GetName()}); err != nil {
		t.Fatalf("SignContract: %v", err)
	}
	c, err := e.Contract.SignContract(e.AsProvider(t, a.Provider), &contractv1.SignContractRequest{Name: c.GetName()})
	if err != nil {
		t.Fatalf("SignContract: %v", err)
	}
	return a, c
}

// amend takes an amendment through review, approval and both signatures.
func amend(t *testing.T, e *testenv.Env, a *testenv.Awarded, c *contractv1.Contract, am *contractv1.Amendment) *contractv1.Amendment {
	t.Helper()
	cm := e.AsRole(t, auth.ContractManager)
	got, err := e.Contract.CreateAmendment(cm, &contractv1.CreateAmendmentRequest{Parent: c.GetName(), Amendment: am})
	if err != nil {
		t.Fatalf("CreateAmendment: %v", err)
	}
	if _, err := e.Contract.SubmitAmendment(cm, &contractv1.SubmitAmendmentRequest{Name: got.GetName()}); err != nil {
		t.Fatalf("SubmitAmendment: %v", err)
	}
	if _, err := e.Contract.ApproveAmendment(e.AsRole(t, auth.Approver), &contractv1.ApproveAmendmentRequest{Name: got.GetName()}); err != nil {
		t.Fatalf("ApproveAmendment: %v", err)
	}
	if _, err := e.Contract.SignAmendment(e.As(t, testenv.ClientSignatory, auth.Approver), &contractv1.SignAmendmentRequest{Name: got.GetName()}); err != nil {
		t.Fatalf("SignAmendment (client): %v", err)
	}
	got, err = e.Contract.SignAmendment(e.AsProvider(t, a.Provider), &contractv1.SignAmendmentRequest{Name: got.GetName()})
	if err != nil {
		t.Fatalf("SignAmendment (provider): %v", err)
	}
	if got.GetState() != contractv1.AmendmentState_AMENDMENT_STATE_SIGNED {
		t.Fatalf("%s is %v after both signatures", got.GetName(), got.GetState())
	}
	return got
}

func months(d *date.Date, n int) *date.Date {
	t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
	return civil.Of(t.AddDate(0, n, 0))
}

func fee(minor int64) *contractv1.Contract {
	return &contractv1.Contract{MonthlyFee: &typev1.Money{CurrencyCode: testenv.Currency, MinorUnits: minor}}
}

// The escalation cap, worked by hand. The contract: 95,000.00 USD a month
// from the go-live date S (the first of a month), a cap of 300 bps (3 %) a
// year.
//
//   - From S+1 month, 99,750.00: a rise of 4,750.00. 475,000 × 10,000 =
//     4,750,000,000 > 300 × 9,500,000 = 2,850,000,000: above the cap
//     (+5.00 %), refused unless marked EXCEEDS_ESCALATION_CAP.
//   - 97,850.00 instead: a rise of 2,850.00; 285,000 × 10,000 =
//     2,850,000,000, not above 2,850,000,000: exactly 3.00 %, allowed.
//   - Marked, 99,750.00 is approved and signed: revision 2 from S+1 month.
//   - From S+12 months, 102,000.00: twelve months earlier is S, when
//     revision 1 (95,000.00) was in force; 700,000 × 10,000 =
//     7,000,000,000 > 300 × 9,500,000 = 2,850,000,000: +7.37 % (7,000 ÷
//     95,000 = 0.073684…), refused.
//   - From S+13 months, 102,000.00: twelve months earlier is S+1 month,
//     revision 2 (99,750.00); 225,000 × 10,000 = 2,250,000,000 ≤ 300 ×
//     9,975,000 = 2,992,500,000: +2.26 % (2,250 ÷ 99,750 = 0.022556…),
//     allowed.
func TestAmendmentEscalationCap(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a, c := signedWith(t, e, &contractv1.Contract{EscalationCapBps: 300}, "escalation_cap_bps")
		if c.GetMonthlyFee().GetMinorUnits() != 9_500_000 {
			t.Fatalf("fee %v, want the PH award's 95,000.00", c.GetMonthlyFee())
		}
		cm := e.AsRole(t, auth.ContractManager)
		start := c.GetStartDate()
		raise := func(minor int64, from *date.Date, markers ...contractv1.AmendmentMarker) *contractv1.Amendment {
			return &contractv1.Amendment{
				DisplayName: "Price review", Changes: fee(minor), ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"monthly_fee"}},
				EffectiveDate: from, Markers: markers,
			}
		}

		over, err := e.Contract.CreateAmendment(cm, &contractv1.CreateAmendmentRequest{Parent: c.GetName(), Amendment: raise(9_975_000, months(start, 1))})
		if err != nil {
			t.Fatal(err)
		}
		if over.GetBaseRevisionId() != "1" || over.GetState() != contractv1.AmendmentState_AMENDMENT_STATE_DRAFT {
			t.Fatalf("draft: %v", over)
		}
		_, err = e.Contract.SubmitAmendment(cm, &contractv1.SubmitAmendmentRequest{Name: over.GetName()})
		wantMessage(t, err, codes.FailedPrecondition, "raises monthly_fee from USD 95000.00 to USD 99750.00 (+5.00 %) against revision 1, the first (the contract is younger than twelve months)")
		wantMessage(t, err, codes.FailedPrecondition, "above the escalation cap of 3.00 % a year; mark the amendment EXCEEDS_ESCALATION_CAP")

		// Exactly at the cap: allowed.
		at, err := e.Contract.UpdateAmendment(cm, &contractv1.UpdateAmendmentRequest{Amendment: &contractv1.Amendment{Name: over.GetName(), Changes: fee(9_785_000)}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"changes"}}})
		if err != nil {
			t.Fatal(err)
		}
		at, err = e.Contract.SubmitAmendment(cm, &contractv1.SubmitAmendmentRequest{Name: at.GetName()})
		if err != nil {
			t.Fatalf("a rise of exactly 3.00 %%: %v", err)
		}
		if ch := at.GetEscalation().GetChanges(); len(ch) != 1 || ch[0].GetChangeBps() != 300 || ch[0].GetExceedsCap() || at.GetEscalation().GetExceedsCap() {
			t.Errorf("escalation %v", at.GetEscalation())
		}
		if _, err := e.Contract.RejectAmendment(e.AsRole(t, auth.Approver), &contractv1.RejectAmendmentRequest{Name: at.GetName(), Reason: "we agreed on 5 %, marked"}); err != nil {
			t.Fatal(err)
		}

		// Marked as exceeding the cap: an approver accepts it.
		marked, err := e.Contract.UpdateAmendment(cm, &contractv1.UpdateAmendmentRequest{
			Amendment:  &contractv1.Amendment{Name: over.GetName(), Changes: fee(9_975_000), Markers: []contractv1.AmendmentMarker{contractv1.AmendmentMarker_AMENDMENT_MARKER_EXCEEDS_ESCALATION_CAP}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"changes", "markers"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		marked, err = e.Contract.SubmitAmendment(cm, &contractv1.SubmitAmendmentRequest{Name: marked.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if ch := marked.GetEscalation().GetChanges(); len(ch) != 1 || ch[0].GetChangeBps() != 500 || !ch[0].GetExceedsCap() {
			t.Errorf("escalation %v", marked.GetEscalation())
		}
		// Four eyes: not the contract manager, not a provider user.
		_, err = e.Contract.ApproveAmendment(e.As(t, string(auth.ContractManager), auth.ContractManager, auth.Approver), &contractv1.ApproveAmendmentRequest{Name: marked.GetName()})
		wantCode(t, err, codes.PermissionDenied)
		if _, err := e.Contract.ApproveAmendment(e.AsRole(t, auth.Approver), &contractv1.ApproveAmendmentRequest{Name: marked.GetName()}); err != nil {
			t.Fatal(err)
		}
		// Signing: the client signatory and the provider; nobody else.
		_, err = e.Contract.SignAmendment(e.AsRole(t, auth.Approver), &contractv1.SignAmendmentRequest{Name: marked.GetName()})
		wantCode(t, err, codes.PermissionDenied)
		if _, err := e.Contract.SignAmendment(e.As(t, testenv.ClientSignatory, auth.Approver), &contractv1.SignAmendmentRequest{Name: marked.GetName()}); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.Contract.GetContract(cm, &contractv1.GetContractRequest{Name: c.GetName()}); got.GetRevisionId() != "1" {
			t.Errorf("one signature made revision %s", got.GetRevisionId())
		}
		signedAm, err := e.Contract.SignAmendment(e.AsProvider(t, a.Provider), &contractv1.SignAmendmentRequest{Name: marked.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if signedAm.GetState() != contractv1.AmendmentState_AMENDMENT_STATE_SIGNED || signedAm.GetRevisionId() != "2" {
			t.Fatalf("signed amendment %v", signedAm)
		}

		// Every revision readable; the one in force by date.
		now, err := e.Contract.GetContract(cm, &contractv1.GetContractRequest{Name: c.GetName()})
		if err != nil || now.GetRevisionId() != "2" || now.GetMonthlyFee().GetMinorUnits() != 9_975_000 || !sameDay(now.GetRevisionEffectiveDate(), months(start, 1)) {
			t.Fatalf("contract now: %v %v", now, err)
		}
		for _, tc := range []struct {
			on   *date.Date
			rev  string
			want int64
		}{
			{start, "1", 9_500_000},
			{months(start, 1), "2", 9_975_000},
			{months(start, 6), "2", 9_975_000},
		} {
			eff, err := e.Contract.GetEffectiveContract(cm, &contractv1.GetEffectiveContractRequest{Name: c.GetName(), Date: tc.on})
			if err != nil || eff.GetRevisionId() != tc.rev || eff.GetMonthlyFee().GetMinorUnits() != tc.want {
				t.Errorf("in force on %s: revision %s fee %v (%v), want %s %d", civil.Format(tc.on), eff.GetRevisionId(), eff.GetMonthlyFee(), err, tc.rev, tc.want)
			}
		}
		revs, err := e.Contract.ListContractRevisions(cm, &contractv1.ListContractRevisionsRequest{Name: c.GetName()})
		if err != nil || len(revs.GetContracts()) != 2 || revs.GetContracts()[0].GetMonthlyFee().GetMinorUnits() != 9_500_000 {
			t.Fatalf("revisions %v %v", revs, err)
		}

		// Annualised against the revision in force twelve months earlier.
		year, err := e.Contract.CreateAmendment(cm, &contractv1.CreateAmendmentRequest{Parent: c.GetName(), Amendment: raise(10_200_000, months(start, 12))})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Contract.SubmitAmendment(cm, &contractv1.SubmitAmendmentRequest{Name: year.GetName()})
		wantMessage(t, err, codes.FailedPrecondition, "raises monthly_fee from USD 95000.00 to USD 102000.00 (+7.37 %) against revision 1, in force on ")
		year, err = e.Contract.UpdateAmendment(cm, &contractv1.UpdateAmendmentRequest{Amendment: &contractv1.Amendment{Name: year.GetName(), EffectiveDate: months(start, 13)}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"effective_date"}}})
		if err != nil {
			t.Fatal(err)
		}
		year, err = e.Contract.SubmitAmendment(cm, &contractv1.SubmitAmendmentRequest{Name: year.GetName()})
		if err != nil {
			t.Fatalf("+2.26 %% over twelve months: %v", err)
		}
		if ch := year.GetEscalation().GetChanges(); year.GetEscalation().GetComparedRevisionId() != "2" || len(ch) != 1 || ch[0].GetChangeBps() != 226 {
			t.Errorf("escalation %v", year.GetEscalation())
		}

		// An amendment drafted against revision 1 is stale now.
		stale, err := e.Contract.ListAmendments(cm, &contractv1.ListAmendmentsRequest{Parent: c.GetName(), Filter: "state = SIGNED"})
		if err != nil || len(stale.GetAmendments()) != 1 {
			t.Errorf("signed amendments %v %v", stale, err)
		}
	})
}

func sameDay(a, b *date.Date) bool { return civil.Format(a) == civil.Format(b) }

func TestAmendmentRules(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		s := e.SignedContract(t)
		c := s.Contract
		cm := e.AsRole(t, auth.ContractManager)

		// What cannot be amended, and a change set that makes no sense.
		_, err := e.Contract.CreateAmendment(cm, &contractv1.CreateAmendmentRequest{Parent: c.GetName(), Amendment: &contractv1.Amendment{
			Changes:       &contractv1.Contract{Type: contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS},
			ChangeMask:    &fieldmaskpb.FieldMask{Paths: []string{"type", "start_date", "monthly_fee"}},
			EffectiveDate: months(c.GetStartDate(), 1),
		}})
		wantViolations(t, err, "amendment.change_mask.paths[0]", "amendment.change_mask.paths[1]")
		_, err = e.Contract.CreateAmendment(cm, &contractv1.CreateAmendmentRequest{Parent: c.GetName(), Amendment: &contractv1.Amendment{
			Changes: fee(-5), ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"monthly_fee"}}, EffectiveDate: months(c.GetStartDate(), 1),
		}})
		wantViolations(t, err, "amendment.changes.monthly_fee.minor_units")

		// Review lists every problem of the amended contract; the
		// effective date must follow the revision amended.
		bad, err := e.Contract.CreateAmendment(cm, &contractv1.CreateAmendmentRequest{Parent: c.GetName(), Amendment: &contractv1.Amendment{
			Changes:       &contractv1.Contract{ClientSignatory: ""},
			ChangeMask:    &fieldmaskpb.FieldMask{Paths: []string{"client_signatory", "monthly_fee"}},
			EffectiveDate: c.GetStartDate(),
		}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Contract.SubmitAmendment(cm, &contractv1.SubmitAmendmentRequest{Name: bad.GetName()})
		wantViolations(t, err, "amendment.changes.client_signatory", "amendment.changes.monthly_fee")

		dated, err := e.Contract.CreateAmendment(cm, &contractv1.CreateAmendmentRequest{Parent: c.GetName(), Amendment: &contractv1.Amendment{
			Changes: &contractv1.Contract{RenewalNoticeDays: 90}, ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"renewal_notice_days"}}, EffectiveDate: c.GetStartDate(),
		}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Contract.SubmitAmendment(cm, &contractv1.SubmitAmendmentRequest{Name: dated.GetName()})
		wantViolations(t, err, "amendment.effective_date")

		// A draft contract is edited, not amended.
		other := e.AwardedEngagement(t)
		d := draftFor(t, e, cm, other.Engagement.GetName())
		_, err = e.Contract.CreateAmendment(cm, &contractv1.CreateAmendmentRequest{Parent: d.GetName(), Amendment: &contractv1.Amendment{
			Changes: fee(1), ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"monthly_fee"}}, EffectiveDate: months(c.GetStartDate(), 1),
		}})
		wantMessage(t, err, codes.FailedPrecondition, "only a signed contract is amended")

		// Another provider's user sees none of it.
		otherProvider := s.Providers["CO"].GetName()
		if otherProvider == s.Provider {
			otherProvider = s.Providers["US"].GetName()
		}
		_, err = e.Contract.GetAmendment(e.AsProvider(t, otherProvider), &contractv1.GetAmendmentRequest{Name: dated.GetName()})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.Contract.ListAmendments(e.AsProvider(t, otherProvider), &contractv1.ListAmendmentsRequest{Parent: c.GetName()})
		wantCode(t, err, codes.PermissionDenied)
		if got, err := e.Contract.GetAmendment(e.AsProvider(t, s.Provider), &contractv1.GetAmendmentRequest{Name: dated.GetName()}); err != nil || got.GetName() != dated.GetName() {
			t.Errorf("its own provider: %v", err)
		}
		// A provider user cannot draft one.
		_, err = e.Contract.CreateAmendment(e.AsProvider(t, s.Provider), &contractv1.CreateAmendmentRequest{Parent: c.GetName(), Amendment: &contractv1.Amendment{
			Changes: fee(1), ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"monthly_fee"}}, EffectiveDate: months(c.GetStartDate(), 1),
		}})
		wantCode(t, err, codes.PermissionDenied)
		// Nothing was half-stored by the refusals: two drafts exist.
		list, err := e.Contract.ListAmendments(cm, &contractv1.ListAmendmentsRequest{Parent: c.GetName()})
		if err != nil || len(list.GetAmendments()) != 2 {
			t.Errorf("amendments %d %v, want the two drafts", len(list.GetAmendments()), err)
		}
	})
}

func usdMoney(minor int64) *typev1.Money {
	return &typev1.Money{CurrencyCode: testenv.Currency, MinorUnits: minor}
}

// A time-and-materials and a performance-based contract, each taken
// through an amendment; the escalation cap (300 bps) applies to their own
// prices.
//
//   - T&M: agents at 18.50 → 19.00 USD an hour: +0.50 ÷ 18.50 = 2.70 %
//     (270 bps), within the cap; team leads at 26.00 unchanged. Then team
//     leads 26.00 → 27.00: +1.00 ÷ 26.00 = 3.85 % (385 bps), refused.
//   - Performance-based: the bonus pool 5,000.00 → 6,000.00 is +20.00 %
//     (2000 bps), above the cap: marked, approved and signed; the base fee
//     80,000.00 is unchanged.
func TestEveryModelThroughAmendment(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		cm := e.AsRole(t, auth.ContractManager)
		rates := func(agent, lead int64) []*typev1.RateCardEntry {
			return []*typev1.RateCardEntry{
				{Role: "agent", HourlyRate: usdMoney(agent), EstimatedMonthlyHours: 8000},
				{Role: "team_lead", HourlyRate: usdMoney(lead), EstimatedMonthlyHours: 800},
			}
		}
		a, tm := signedWith(t, e, &contractv1.Contract{
			Type: contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS, RateCard: rates(1850, 2600),
			MonthlyNotToExceed: usdMoney(20_000_000), EscalationCapBps: 300,
		}, "type", "rate_card", "monthly_not_to_exceed", "monthly_fee", "escalation_cap_bps")
		if tm.GetType() != contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS || tm.GetMonthlyFee() != nil {
			t.Fatalf("T&M contract %v", tm)
		}
		am := amend(t, e, a, tm, &contractv1.Amendment{
			Changes: &contractv1.Contract{RateCard: rates(1900, 2600)}, ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"rate_card"}},
			EffectiveDate: months(tm.GetStartDate(), 1),
		})
		if ch := am.GetEscalation().GetChanges(); len(ch) != 1 || ch[0].GetItem() != "rate_card[agent].hourly_rate" || ch[0].GetChangeBps() != 270 || ch[0].GetExceedsCap() {
			t.Errorf("T&M escalation %v", am.GetEscalation())
		}
		eff, err := e.Contract.GetEffectiveContract(cm, &contractv1.GetEffectiveContractRequest{Name: tm.GetName(), Date: months(tm.GetStartDate(), 2)})
		if err != nil || eff.GetRevisionId() != "2" || eff.GetRateCard()[0].GetHourlyRate().GetMinorUnits() != 1900 {
			t.Errorf("T&M in force: %v %v", eff.GetRateCard(), err)
		}
		lead, err := e.Contract.CreateAmendment(cm, &contractv1.CreateAmendmentRequest{Parent: tm.GetName(), Amendment: &contractv1.Amendment{
			Changes: &contractv1.Contract{RateCard: rates(1900, 2700)}, ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"rate_card"}},
			EffectiveDate: months(tm.GetStartDate(), 2),
		}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Contract.SubmitAmendment(cm, &contractv1.SubmitAmendmentRequest{Name: lead.GetName()})
		wantMessage(t, err, codes.FailedPrecondition, "raises rate_card[team_lead].hourly_rate from USD 26.00 to USD 27.00 (+3.85 %)")

		b, pb := signedWith(t, e, &contractv1.Contract{
			Type: contractv1.ContractType_CONTRACT_TYPE_PERFORMANCE_BASED, BaseMonthlyFee: usdMoney(8_000_000),
			BonusPool: usdMoney(500_000), BonusKpis: []string{testenv.LevelAHT}, EscalationCapBps: 300,
		}, "type", "base_monthly_fee", "bonus_pool", "bonus_kpis", "monthly_fee", "escalation_cap_bps")
		am = amend(t, e, b, pb, &contractv1.Amendment{
			Changes: &contractv1.Contract{BonusPool: usdMoney(600_000)}, ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"bonus_pool"}},
			EffectiveDate: months(pb.GetStartDate(), 3),
			Markers:       []contractv1.AmendmentMarker{contractv1.AmendmentMarker_AMENDMENT_MARKER_EXCEEDS_ESCALATION_CAP},
		})
		if ch := am.GetEscalation().GetChanges(); len(ch) != 1 || ch[0].GetItem() != "bonus_pool" || ch[0].GetChangeBps() != 2000 || !ch[0].GetExceedsCap() {
			t.Errorf("PB escalation %v", am.GetEscalation())
		}
		eff, err = e.Contract.GetEffectiveContract(cm, &contractv1.GetEffectiveContractRequest{Name: pb.GetName(), Date: months(pb.GetStartDate(), 3)})
		if err != nil || eff.GetBonusPool().GetMinorUnits() != 600_000 || eff.GetBaseMonthlyFee().GetMinorUnits() != 8_000_000 || eff.GetBonusKpis()[0] != testenv.LevelAHT {
			t.Errorf("PB in force: %v %v", eff, err)
		}
	})
}
