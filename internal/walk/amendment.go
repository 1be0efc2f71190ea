package walk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// RaiseBps is the price rise the provider asks for in the demo: 5 %, above
// the contract's 3 % escalation cap.
const RaiseBps = 500

// Amend: the provider asks for 5 % more from next month. The contract
// manager drafts the amendment; review refuses it, the rise being above
// the contract's 3 % annual escalation cap. Marked EXCEEDS_ESCALATION_CAP,
// it goes to an approver, who approves it; both parties sign, and the
// contract has a second revision in force from next month, while this
// month stays under the first. spec: contract.md, "Amendments".
func (w *Walk) Amend(ctx context.Context) error {
	cm := w.Cast.ContractManager
	var c contractv1.Contract
	if err := w.do(ctx, cm, "GET", "/v1/"+w.Contract, nil, nil, &c); err != nil {
		return err
	}
	fee := c.GetMonthlyFee()
	raised, err := money.FromProto(fee).MulBps(10_000 + RaiseBps)
	if err != nil {
		return err
	}
	from := w.Commencement.AddDate(0, 2, 0) // the first of next month
	var a contractv1.Amendment
	if err := w.do(ctx, cm, "POST", "/v1/"+w.Contract+"/amendments", nil, &contractv1.Amendment{
		DisplayName:   "Wage indexation " + from.Format("2006"),
		Description:   "The provider's request: local wages rose; 5 % on the monthly fee.",
		Changes:       &contractv1.Contract{MonthlyFee: raised.Proto()},
		ChangeMask:    &fieldmaskpb.FieldMask{Paths: []string{"monthly_fee"}},
		EffectiveDate: civil.Of(from),
	}, &a); err != nil {
		return err
	}
	w.say("amend", cm, "amendment %s: monthly fee %s → %s from %s", a.GetName(), money.Format(fee), raised, day(a.GetEffectiveDate()))

	err = w.do(ctx, cm, "POST", "/v1/"+a.GetName()+":submit", nil, &contractv1.SubmitAmendmentRequest{}, &a)
	var refused *APIError
	if !errors.As(err, &refused) || refused.Code != codes.FailedPrecondition || refused.HTTPStatus != http.StatusBadRequest {
		return fmt.Errorf("a 5 %% rise above the 3 %% cap was not refused: %v", err)
	}
	w.say("amend", cm, "refused (HTTP %d): %s", refused.HTTPStatus, refused.Message)

	q := url.Values{"updateMask": {"markers"}}
	if err := w.do(ctx, cm, "PATCH", "/v1/"+a.GetName(), q, &contractv1.Amendment{
		Name:    a.GetName(),
		Markers: []contractv1.AmendmentMarker{contractv1.AmendmentMarker_AMENDMENT_MARKER_EXCEEDS_ESCALATION_CAP},
	}, &a); err != nil {
		return err
	}
	if err := w.do(ctx, cm, "POST", "/v1/"+a.GetName()+":submit", nil, &contractv1.SubmitAmendmentRequest{}, &a); err != nil {
		return err
	}
	for _, ch := range a.GetEscalation().GetChanges() {
		w.say("amend", cm, "marked EXCEEDS_ESCALATION_CAP and submitted: %s %s → %s is %s against a cap of %s",
			ch.GetItem(), money.Format(ch.GetBefore()), money.Format(ch.GetAfter()), bps(int32(ch.GetChangeBps())), bps(a.GetEscalation().GetCapBps()))
	}
	if err := w.do(ctx, w.Cast.Approver, "POST", "/v1/"+a.GetName()+":approve", nil, &contractv1.ApproveAmendmentRequest{}, &a); err != nil {
		return err
	}
	w.say("amend", w.Cast.Approver, "approved the rise above the cap: %s", protoenum.Short(a.GetState()))
	for _, u := range []User{w.Cast.ClientSignatory, w.Awarded.User} {
		if err := w.do(ctx, u, "POST", "/v1/"+a.GetName()+":sign", nil, &contractv1.SignAmendmentRequest{}, &a); err != nil {
			return err
		}
		w.say("amend", u, "%s signed: %s", u.Subject, protoenum.Short(a.GetState()))
	}
	if a.GetState() != contractv1.AmendmentState_AMENDMENT_STATE_SIGNED {
		return fmt.Errorf("%s is %s after both signatures", a.GetName(), protoenum.Short(a.GetState()))
	}

	gm := w.Cast.GovernanceManager
	for _, d := range []string{civil.Format(civil.Of(w.Commencement)), civil.Format(a.GetEffectiveDate())} {
		var eff contractv1.Contract
		if err := w.do(ctx, gm, "GET", "/v1/"+w.Contract+":effective", url.Values{"date.year": {d[:4]}, "date.month": {d[5:7]}, "date.day": {d[8:]}}, nil, &eff); err != nil {
			return err
		}
		w.say("amend", gm, "in force on %s: revision %s (from %s), monthly fee %s", d, eff.GetRevisionId(), day(eff.GetRevisionEffectiveDate()), money.Format(eff.GetMonthlyFee()))
	}
	return nil
}
