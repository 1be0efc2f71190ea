package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/internal/walk"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/money"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestLifecycle is the six steps end to end (issue 3, "Done when"): one
// engagement walked over REST by the people of each role — the same walk
// as `bpo demo` — with the lifecycle stage asserted after each step, and
// each gate asked to let a step be skipped, which it must refuse with
// FAILED_PRECONDITION saying what is missing.
//
//	go test ./e2e -run TestLifecycle -v
func TestLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: builds and starts the real binary (skipped with -short)")
	}
	p := startPlatform(t, buildBinary(t))
	key, err := auth.LoadOrCreateLocalKey(p.dataDir)
	if err != nil {
		t.Fatalf("the server's local key: %v", err)
	}
	ctx := context.Background()
	w, err := walk.New(walk.NewClient(p.baseURL, key), time.Now(), func(step, who, text string) {
		t.Log(walk.Line(step, who, text))
	})
	if err != nil {
		t.Fatal(err)
	}
	step := func(name string, run func(context.Context) error) {
		t.Helper()
		if err := run(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// The governance manager sees every step, monitoring included.
	wantStage := func(want lifecyclev1.Stage) *lifecyclev1.EngagementLifecycle {
		t.Helper()
		lc, err := w.Lifecycle(ctx, w.Cast.GovernanceManager)
		if err != nil {
			t.Fatalf("lifecycle: %v", err)
		}
		if lc.GetStage() != want {
			t.Fatalf("stage %s; want %s\n%s", lc.GetStage(), want, walk.FormatLifecycle(lc))
		}
		return lc
	}

	step("decide", w.Decide)
	lc := wantStage(lifecyclev1.Stage_STAGE_DECIDED)
	if s := stepOf(t, lc, "scope"); s.GetState() != "DRAFT" || !strings.Contains(s.GetBlocker(), "DRAFT") {
		t.Errorf("scope step %v; want DRAFT with a blocker saying so", s)
	}
	if s := stepOf(t, lc, "decide"); !s.GetDone() || s.GetFacts()["recommendation"] != "OUTSOURCE" || s.GetFacts()["score"] == "" {
		t.Errorf("decide step %v; want done with score and recommendation OUTSOURCE", s)
	}
	step("providers", w.Providers)

	t.Run("gate: no publishing on a scope that is not approved", func(t *testing.T) {
		err := w.DraftSourcingEvent(ctx)
		if err == nil {
			// The RFP is prepared while the scope is still a draft; it is
			// published (by Select) once the scope is approved.
			err = w.Client.Do(ctx, w.Cast.SourcingManager, "POST", "/v1/"+w.Event+":publish", nil, &catalogv1.PublishSourcingEventRequest{}, nil)
		}
		wantRefused(t, err, "scope")
	})

	step("scope", w.Scope)
	wantStage(lifecyclev1.Stage_STAGE_SCOPED)

	t.Run("gate: no contract before the award", func(t *testing.T) {
		err := w.Client.Do(ctx, w.Cast.ContractManager, "POST", "/v1/contracts", nil, &contractv1.Contract{Engagement: w.Engagement}, nil)
		wantRefused(t, err, "award")
	})

	step("select", w.Select)
	lc = wantStage(lifecyclev1.Stage_STAGE_SELECTED)
	if f := stepOf(t, lc, "select").GetFacts(); f["provider"] != w.Awarded.Name || !strings.HasPrefix(f["total_contract_value"], "USD ") {
		t.Errorf("select facts %v; want the awarded provider %s and its TCV", f, w.Awarded.Name)
	}

	step("draft and approve the contract", w.DraftContract)
	wantStage(lifecyclev1.Stage_STAGE_SELECTED)

	t.Run("gate: no transition plan before the signatures", func(t *testing.T) {
		err := w.Client.Do(ctx, w.Cast.TransitionManager, "POST", "/v1/transitionPlans", nil, &transitionv1.TransitionPlan{
			Contract: w.Contract, StartDate: civil.Of(w.Commencement.AddDate(0, 0, -84)),
		}, nil)
		wantRefused(t, err, "sign")
	})

	step("sign the contract", w.SignContract)
	wantStage(lifecyclev1.Stage_STAGE_CONTRACTED)

	step("start the transition", w.StartTransition)
	lc = wantStage(lifecyclev1.Stage_STAGE_TRANSITIONING)
	if s := stepOf(t, lc, "transition"); s.GetState() != "ACTIVE" || s.GetFacts()["progress"] == "" {
		t.Errorf("transition step %v; want ACTIVE with its progress", s)
	}

	t.Run("gate: no measurements before cutover", func(t *testing.T) {
		err := w.Client.Do(ctx, w.Awarded.User, "POST", "/v1/"+w.Contract+"/measurements:batchCreate", nil, &monitoringv1.BatchCreateMeasurementsRequest{
			Measurements: []*monitoringv1.Measurement{{ServiceLevelKey: "asa_20s", EventId: "too-early-1", EventTime: timestamppb.New(time.Now().Add(-time.Hour)), Value: 12}},
		}, nil)
		wantRefused(t, err, "commence", "cutover", "live")
	})

	step("cut over", w.Cutover)
	wantStage(lifecyclev1.Stage_STAGE_LIVE)

	step("report a month of measurements", w.Measure)
	step("evaluate the month", w.Evaluate)
	// An implausible CSAT is rejected and every audit log verifies with a
	// signed checkpoint (Audit fails the walk otherwise).
	step("audit", w.Audit)

	t.Run("the month: calls answered within 20 s missed, a credit", func(t *testing.T) {
		if w.Awarded.Key != "PH" {
			t.Fatalf("award went to %s; the evaluators' scores and prices make Luzon (PH) the top-ranked proposal", w.Awarded.Key)
		}
		results := map[string]*monitoringv1.LevelResult{}
		for _, r := range w.Evaluation.GetResults() {
			results[r.GetKey()] = r
		}
		// 153 of every 200 calls within 20 s: 76.5 % against at least 80.
		if r := results["asa_20s"]; r.GetOutcome() != monitoringv1.Outcome_OUTCOME_MISSED || r.GetMeasurementsUsed() != 3000 {
			t.Errorf("asa_20s = %v; want MISSED over 3000 calls", r)
		}
		// 431 points per 100 surveys: 4.31 against at least 4.2.
		if r := results["csat"]; r.GetOutcome() != monitoringv1.Outcome_OUTCOME_MET {
			t.Errorf("csat = %v; want MET", r)
		}
		// Charges: the fixed fee, USD 124 500.00. At risk 12 %: 14 940.00.
		// asa_20s carries 60 % of it: 8 964.00. Net 124 500.00 − 8 964.00.
		for _, c := range []struct {
			what string
			got  string
			want string
		}{
			{"charges", money.Format(w.Evaluation.GetCharges()), "USD 124500.00"},
			{"at risk", money.Format(w.Evaluation.GetAtRiskAmount()), "USD 14940.00"},
			{"asa_20s credit", money.Format(results["asa_20s"].GetCredit()), "USD 8964.00"},
			{"credits", money.Format(w.Evaluation.GetCredits()), "USD 8964.00"},
			{"net", money.Format(w.Evaluation.GetNet()), "USD 115536.00"},
		} {
			if c.got != c.want {
				t.Errorf("%s = %s; want %s", c.what, c.got, c.want)
			}
		}
	})

	t.Run("the lifecycle shows the missed level and its credit", func(t *testing.T) {
		lc := wantStage(lifecyclev1.Stage_STAGE_LIVE)
		for _, s := range lc.GetSteps() {
			if !s.GetDone() || s.GetBlocker() != "" {
				t.Errorf("step %s: done %v, blocker %q; want every step done, nothing blocking", s.GetStep(), s.GetDone(), s.GetBlocker())
			}
		}
		f := stepOf(t, lc, "monitor").GetFacts()
		if f["period"] == "" || f["missed"] != "asa_20s" || !strings.HasPrefix(f["level asa_20s"], "MISSED") || !strings.Contains(f["level asa_20s"], "credit USD 8964.00") {
			t.Errorf("monitor facts %v; want period %s with asa_20s missed and its credit USD 8964.00", f, w.Period)
		}
		t.Logf("the lifecycle at the end:\n%s", walk.FormatLifecycle(lc))
	})

	t.Run("a provider user sees its own engagement's later steps, not the client's processes", func(t *testing.T) {
		lc, err := w.Lifecycle(ctx, w.Awarded.User)
		if err != nil {
			t.Fatalf("lifecycle as %s: %v", w.Awarded.User.Subject, err)
		}
		if lc.GetStage() != lifecyclev1.Stage_STAGE_LIVE {
			t.Errorf("stage %s; want LIVE, which the contract and plan prove\n%s", lc.GetStage(), walk.FormatLifecycle(lc))
		}
		t.Logf("the lifecycle as %s sees it:\n%s", w.Awarded.User.Subject, walk.FormatLifecycle(lc))
		if s := stepOf(t, lc, "decide"); s.GetState() != "HIDDEN" {
			t.Errorf("decide step as the provider %v; want HIDDEN (processes are the client's)", s)
		}
		for _, b := range w.Bidders {
			if b == w.Awarded {
				continue
			}
			_, err := w.Lifecycle(ctx, b.User)
			var ae *walk.APIError
			if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusForbidden {
				t.Errorf("lifecycle as the losing bidder %s: %v; want 403", b.Key, err)
			}
		}
	})

	// The month-end (internal/walk/monthend.go): the month closes, a late
	// batch of it is refused and then restated, a maintenance window is
	// approved, and the second month earns the ASA credit back (MonthEnd
	// fails the walk otherwise).
	step("month-end", w.MonthEnd)
}

// wantRefused fails unless err is a gate's refusal: HTTP 400 with code 9
// FAILED_PRECONDITION and a message naming what is missing (one of the
// words, case-insensitive).
func wantRefused(t *testing.T, err error, words ...string) {
	t.Helper()
	var ae *walk.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v; want the gate to refuse with FAILED_PRECONDITION", err)
	}
	if ae.HTTPStatus != http.StatusBadRequest || ae.Code != codes.FailedPrecondition {
		t.Fatalf("%s %s: HTTP %d, code %d (%s); want 400 with code 9 FAILED_PRECONDITION", ae.Method, ae.Path, ae.HTTPStatus, ae.Code, ae.Message)
	}
	msg := strings.ToLower(ae.Message)
	for _, w := range words {
		if strings.Contains(msg, w) {
			t.Logf("refused as it should be: %s", ae.Message)
			return
		}
	}
	t.Errorf("refusal %q does not say what is missing (want it to mention %s)", ae.Message, strings.Join(words, " or "))
}

func stepOf(t *testing.T, lc *lifecyclev1.EngagementLifecycle, name string) *lifecyclev1.Step {
	t.Helper()
	for _, s := range lc.GetSteps() {
		if s.GetStep() == name {
			return s
		}
	}
	t.Fatalf("lifecycle has no step %q:\n%s", name, walk.FormatLifecycle(lc))
	return nil
}
