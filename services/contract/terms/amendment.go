package terms

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Amendable are the terms of a signed contract an amendment may change.
// The parties, the type, the currency, the start and the service time
// zone are the contract's identity: changing them is a new contract.
var Amendable = []string{
	"display_name", "client_signatory", "provider_signatory",
	"service_levels", "monthly_fee", "rate_card", "monthly_not_to_exceed",
	"base_monthly_fee", "bonus_pool", "bonus_kpis", "end_date", "credit_regime",
	"escalation_cap_bps", "service_hours", "reporting", "auto_renewal_months",
	"renewal_notice_days", "data_protection", "termination_terms",
	"delivery_centers", "required_certifications",
}

// Amend returns base with the change set applied: every field named by
// paths (top-level Contract fields of Amendable, or paths into them such
// as `credit_regime.annual_cap_bps`) takes its value in changes, cleared
// when changes leaves it unset. A path outside Amendable is one
// violation each on field (`amendment.change_mask`).
func Amend(base, changes *contractv1.Contract, paths []string, field string) (*contractv1.Contract, error) {
	var v apperr.Violations
	if len(paths) == 0 {
		v.Add(field, "names no term: list the terms the amendment changes, e.g. monthly_fee, end_date")
	}
	for i, p := range paths {
		top := snake(strings.SplitN(p, ".", 2)[0])
		if !slices.Contains(Amendable, top) {
			v.Add(fmt.Sprintf("%s.paths[%d]", field, i), "%q cannot be amended (the parties, type, currency, start and service time zone are fixed for the life of a contract); amendable: %s", p, strings.Join(Amendable, ", "))
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	out := proto.CloneOf(base)
	if err := fieldmask.Apply(out, changes, paths, "", Amendable); err != nil {
		return nil, err
	}
	return out, nil
}

// snake is a JSON field name (`monthlyFee`) in proto spelling.
func snake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Only returns a copy of changes holding only the terms named by paths, so
// an amendment stores its change set and nothing else.
func Only(changes *contractv1.Contract, paths []string) *contractv1.Contract {
	out := &contractv1.Contract{}
	_ = fieldmask.Apply(out, changes, paths, "", nil)
	return out
}

// AddMonths is d moved by months, on the same day of the month or the
// month's last day when that day does not exist (29 Feb − 12 months is
// 28 Feb).
func AddMonths(d time.Time, months int) time.Time {
	first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, months, 0)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d.Day(), last), 0, 0, 0, 0, time.UTC)
}

// CheckEffectiveDate checks an amendment's effective date against the
// revision it amends (base) and the amended contract: after base's
// effective date, on or before the amended end of the term, and not
// before today in the service time zone — a period already under way keeps
// its terms. field is the request path of the date.
func CheckEffectiveDate(d *date.Date, base, amended *contractv1.Contract, now time.Time, field string) error {
	day, ok := civil(d)
	if !ok {
		return apperr.Invalid(apperr.FieldViolation{Field: field, Description: fmt.Sprintf("%04d-%02d-%02d is not a calendar date", d.GetYear(), d.GetMonth(), d.GetDay())})
	}
	if from, ok := civil(base.GetRevisionEffectiveDate()); ok && !day.After(from) {
		return apperr.Invalid(apperr.FieldViolation{Field: field, Description: fmt.Sprintf("%s is not after %s, when revision %s (the one amended) took effect", day.Format(time.DateOnly), from.Format(time.DateOnly), base.GetRevisionId())})
	}
	if end, ok := civil(amended.GetEndDate()); ok && day.After(end) {
		return apperr.Invalid(apperr.FieldViolation{Field: field, Description: fmt.Sprintf("%s is after the end of the term (%s)", day.Format(time.DateOnly), end.Format(time.DateOnly))})
	}
	if today := Today(amended, now); day.Before(today) {
		return apperr.Invalid(apperr.FieldViolation{Field: field, Description: fmt.Sprintf("%s is in the past (today is %s in %s): an amendment takes effect from today or later", day.Format(time.DateOnly), today.Format(time.DateOnly), zoneName(amended))})
	}
	return nil
}

// price is one price of a contract, by the name PriceChange.item uses.
type price struct {
	item  string
	money *typev1.Money
}

// prices are the prices of c's model: the monthly fee (FIXED_PRICE), each
// role's hourly rate (TIME_AND_MATERIALS), the base fee and the bonus pool
// (PERFORMANCE_BASED). A not-to-exceed cap is a cap, not a price.
func prices(c *contractv1.Contract) []price {
	var out []price
	switch effectiveType(c) {
	case contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS:
		for _, r := range c.GetRateCard() {
			out = append(out, price{fmt.Sprintf("rate_card[%s].hourly_rate", r.GetRole()), r.GetHourlyRate()})
		}
	case contractv1.ContractType_CONTRACT_TYPE_PERFORMANCE_BASED:
		out = append(out, price{"base_monthly_fee", c.GetBaseMonthlyFee()}, price{"bonus_pool", c.GetBonusPool()})
	default:
		out = append(out, price{"monthly_fee", c.GetMonthlyFee()})
	}
	return out
}

// Escalation checks the prices of amended, in force from effective,
// against those of the revision in force twelve months earlier (of
// revisions, the contract's; the first revision when the contract is
// younger), with amended's escalation cap: a price rises above the cap
// when (after − before) × 10 000 > cap × before, computed exactly. A price
// that did not exist a year earlier (a new role) has nothing to rise from
// and is not checked. spec: contract.md, "price escalation" and
// "Amendments" — annualised against the revision in force twelve months
// earlier.
func Escalation(amended *contractv1.Contract, revisions []*contractv1.Contract, effective *date.Date) *contractv1.EscalationCheck {
	eff, _ := civil(effective)
	on := toDate(AddMonths(eff, -12))
	compared, ok := InForce(revisions, on)
	if !ok && len(revisions) > 0 {
		compared = revisions[0]
	}
	check := &contractv1.EscalationCheck{CapBps: amended.GetEscalationCapBps(), ComparedOn: on, ComparedRevisionId: compared.GetRevisionId(), ComparedRevisionInForce: ok}
	before := map[string]*typev1.Money{}
	for _, p := range prices(compared) {
		before[p.item] = p.money
	}
	for _, p := range prices(amended) {
		b, ok := before[p.item]
		if !ok || b.GetMinorUnits() <= 0 || p.money == nil || proto.Equal(b, p.money) {
			continue
		}
		ch := &contractv1.PriceChange{Item: p.item, Before: proto.CloneOf(b), After: proto.CloneOf(p.money)}
		rise := new(big.Int).Sub(big.NewInt(p.money.GetMinorUnits()), big.NewInt(b.GetMinorUnits()))
		bps, err := money.RoundHalfEven(new(big.Rat).SetFrac(new(big.Int).Mul(rise, big.NewInt(10_000)), big.NewInt(b.GetMinorUnits())))
		if err == nil {
			ch.ChangeBps = bps
		}
		lhs := new(big.Int).Mul(rise, big.NewInt(10_000))
		rhs := new(big.Int).Mul(big.NewInt(int64(check.GetCapBps())), big.NewInt(b.GetMinorUnits()))
		ch.ExceedsCap = lhs.Cmp(rhs) > 0
		check.ExceedsCap = check.ExceedsCap || ch.ExceedsCap
		check.Changes = append(check.Changes, ch)
	}
	return check
}

// Marked reports whether a carries marker m.
func Marked(a *contractv1.Amendment, m contractv1.AmendmentMarker) bool {
	return slices.Contains(a.GetMarkers(), m)
}

// CheckEscalation refuses an amendment whose check exceeds the cap unless
// it is marked EXCEEDS_ESCALATION_CAP, naming every price above the cap
// with its numbers.
func CheckEscalation(a *contractv1.Amendment, check *contractv1.EscalationCheck) error {
	if !check.GetExceedsCap() || Marked(a, contractv1.AmendmentMarker_AMENDMENT_MARKER_EXCEEDS_ESCALATION_CAP) {
		return nil
	}
	var over []string
	for _, ch := range check.GetChanges() {
		if ch.GetExceedsCap() {
			over = append(over, fmt.Sprintf("%s from %s to %s (%s)", ch.GetItem(), money.Format(ch.GetBefore()), money.Format(ch.GetAfter()), bpsText(ch.GetChangeBps())))
		}
	}
	against := fmt.Sprintf("revision %s, in force on %s", check.GetComparedRevisionId(), fmtDate(check.GetComparedOn()))
	if check.GetComparedRevisionId() == FirstRevision && !check.GetComparedRevisionInForce() {
		against = "revision 1, the first (the contract is younger than twelve months)"
	}
	return apperr.New(apperr.FailedPrecondition, "%s raises %s against %s, above the escalation cap of %s a year; mark the amendment EXCEEDS_ESCALATION_CAP to have an approver accept it, or lower the price",
		a.GetName(), strings.Join(over, ", "), against, strings.TrimPrefix(bpsText(int64(check.GetCapBps())), "+"))
}

// bpsText is bps as a signed percentage: 500 → "+5.00 %".
func bpsText(bps int64) string {
	sign := "+"
	if bps < 0 {
		sign, bps = "-", -bps
	}
	return fmt.Sprintf("%s%d.%02d %%", sign, bps/100, bps%100)
}

func fmtDate(d *date.Date) string {
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

// AmendmentAction is something done to an amendment that its state must
// allow.
type amendmentRow struct {
	from contractv1.AmendmentState
	to   contractv1.AmendmentState
	hint string
}

// amendmentStates is the amendment state machine, DRAFT → IN_REVIEW →
// APPROVED → SIGNED, with IN_REVIEW → DRAFT when review sends it back.
var amendmentStates = map[Action]amendmentRow{
	Edit:    {contractv1.AmendmentState_AMENDMENT_STATE_DRAFT, contractv1.AmendmentState_AMENDMENT_STATE_DRAFT, "only a DRAFT amendment can be edited; a new amendment changes a signed one"},
	Submit:  {contractv1.AmendmentState_AMENDMENT_STATE_DRAFT, contractv1.AmendmentState_AMENDMENT_STATE_IN_REVIEW, "only a DRAFT amendment can be submitted for review"},
	Approve: {contractv1.AmendmentState_AMENDMENT_STATE_IN_REVIEW, contractv1.AmendmentState_AMENDMENT_STATE_APPROVED, "only an amendment IN_REVIEW can be approved; the contract manager submits it first"},
	Reject:  {contractv1.AmendmentState_AMENDMENT_STATE_IN_REVIEW, contractv1.AmendmentState_AMENDMENT_STATE_DRAFT, "only an amendment IN_REVIEW can be sent back to DRAFT"},
	Sign:    {contractv1.AmendmentState_AMENDMENT_STATE_APPROVED, contractv1.AmendmentState_AMENDMENT_STATE_SIGNED, "only an APPROVED amendment can be signed; it must be submitted and approved first"},
}

// NextAmendment returns the state action leads an amendment to from state,
// or FAILED_PRECONDITION naming the current state and what to do.
func NextAmendment(state contractv1.AmendmentState, action Action) (contractv1.AmendmentState, error) {
	row, ok := amendmentStates[action]
	if !ok {
		return state, apperr.New(apperr.Internal, "unknown amendment action %q", action)
	}
	if row.from != state {
		return state, apperr.New(apperr.FailedPrecondition, "cannot %s an amendment that is %s: %s", action, protoenum.Short(state), row.hint)
	}
	return row.to, nil
}

// CanAmend refuses an amendment of a contract that is not in force: a
// draft is edited instead, an ended contract is not changed.
func CanAmend(c *contractv1.Contract) error {
	switch c.GetState() {
	case contractv1.ContractState_CONTRACT_STATE_SIGNED, contractv1.ContractState_CONTRACT_STATE_ACTIVE:
		return nil
	case contractv1.ContractState_CONTRACT_STATE_EXPIRED, contractv1.ContractState_CONTRACT_STATE_TERMINATED:
		return apperr.New(apperr.FailedPrecondition, "%s is %s: an ended contract is not amended; draft a new contract for the engagement", c.GetName(), protoenum.Short(c.GetState()))
	}
	return apperr.New(apperr.FailedPrecondition, "%s is %s: only a signed contract is amended; edit the draft (or send it back from review) instead", c.GetName(), protoenum.Short(c.GetState()))
}

// CheckBase refuses to act on an amendment whose base revision is no
// longer the contract's latest: another amendment took effect first.
func CheckBase(a *contractv1.Amendment, c *contractv1.Contract) error {
	if a.GetBaseRevisionId() != c.GetRevisionId() {
		return apperr.New(apperr.FailedPrecondition, "%s amends revision %s, but %s is now at revision %s (another amendment was signed since); draft a new amendment against revision %s",
			a.GetName(), a.GetBaseRevisionId(), c.GetName(), c.GetRevisionId(), c.GetRevisionId())
	}
	return nil
}

// CheckAmendmentApprover is four eyes on an amendment: the approver is
// neither its author nor an editor nor a provider user.
func CheckAmendmentApprover(a *contractv1.Amendment, approver Party) error {
	if approver.ProviderUser {
		return apperr.New(apperr.PermissionDenied, "a provider user cannot approve an amendment; an approver of the client approves it")
	}
	if approver.Subject == a.GetAuthor() || slices.Contains(a.GetEditors(), approver.Subject) {
		return apperr.New(apperr.PermissionDenied, "an approver cannot approve an amendment they drafted or edited; another approver must approve %s", a.GetName())
	}
	return nil
}

// AddAmendmentEditor records subject among the amendment's editors, once.
func AddAmendmentEditor(a *contractv1.Amendment, subject string) {
	if !slices.Contains(a.GetEditors(), subject) {
		a.Editors = append(a.Editors, subject)
	}
}

// SignAmendment records signer's signature on an APPROVED amendment of c
// and says whether it changed anything, by the rules that sign contracts
// (AddSignature): the contract's client signatory for the client, a user
// of the contracted provider (its named signatory, when there is one) for
// the provider. With both it is SIGNED.
func SignAmendment(a *contractv1.Amendment, c *contractv1.Contract, signer Party, now time.Time) (changed bool, err error) {
	if _, err := NextAmendment(a.GetState(), Sign); err != nil {
		return false, err
	}
	sig := &contractv1.Signature{Signer: signer.Subject, SignTime: timestamppb.New(now)}
	switch {
	case signer.ProviderUser:
		if err := mayProviderSign(c, signer); err != nil {
			return false, err
		}
		if a.GetProviderSignature() != nil {
			return false, nil
		}
		a.ProviderSignature = sig
	case signer.Subject == c.GetClientSignatory():
		if a.GetClientSignature() != nil {
			return false, nil
		}
		a.ClientSignature = sig
	default:
		return false, apperr.New(apperr.PermissionDenied, "only the client signatory (%s) or a user of the contracted provider (%s) can sign %s", c.GetClientSignatory(), c.GetProvider(), a.GetName())
	}
	if a.GetClientSignature() != nil && a.GetProviderSignature() != nil {
		a.State = contractv1.AmendmentState_AMENDMENT_STATE_SIGNED
	}
	return true, nil
}

// mayProviderSign: a provider user signs only for the contracted provider,
// and only as its named signatory when the contract names one.
func mayProviderSign(c *contractv1.Contract, signer Party) error {
	if signer.Provider != c.GetProvider() {
		return apperr.New(apperr.PermissionDenied, "only a user of the contracted provider (%s) can sign for the provider", c.GetProvider())
	}
	if s := c.GetProviderSignatory(); s != "" && s != signer.Subject {
		return apperr.New(apperr.PermissionDenied, "%s names %s as the provider's signatory; only they sign for the provider", c.GetName(), s)
	}
	return nil
}

// NewRevision is the contract c after amendment a took effect: amended,
// numbered after c's revision, in force from a's effective date, with c's
// life (state, commencement, rights) kept.
func NewRevision(c, amended *contractv1.Contract, a *contractv1.Amendment) *contractv1.Contract {
	out := Life(amended, c)
	out.RevisionId = NextRevision(c.GetRevisionId())
	out.RevisionEffectiveDate = proto.CloneOf(a.GetEffectiveDate())
	if !proto.Equal(amended.GetEndDate(), c.GetEndDate()) {
		// A new end of the term replaces the renewals so far.
		out.TermEndDate = proto.CloneOf(amended.GetEndDate())
	} else {
		out.TermEndDate = proto.CloneOf(c.GetTermEndDate())
	}
	return out
}
