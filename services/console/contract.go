package console

import (
	"net/http"
	"net/url"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/protobuf/proto"
)

// The contract step and the money of the monitor step: a contract's
// service levels, credit regime and periods; a period's statement.

type contractView struct {
	Contract *contractv1.Contract
	Provider string
	Periods  []*monitoringv1.Period
	Plans    []*transitionv1.TransitionPlan
	Actions  []action
}

// contractPage shows a contract: its terms, service levels, credit
// regime, periods and transition plans.
func (c *console) contractPage(r *http.Request, s *session) (string, *view, int) {
	ids, ok := pathIDs(r, "c")
	if !ok {
		return notFoundPage(r)
	}
	name := "contracts/" + ids[0]
	page := &view{Title: "Contract " + ids[0], Crumbs: []link{{"Engagements", "/console/engagements"}}}
	v := &contractView{Contract: &contractv1.Contract{}}
	if err := c.api.get(r.Context(), s.token, "/v1/"+name, nil, v.Contract); err != nil {
		return page.failed("contract", err)
	}
	ct := v.Contract
	if ct.GetDisplayName() != "" {
		page.Title = ct.GetDisplayName()
	}
	if e := ct.GetEngagement(); e != "" {
		page.Crumbs = append(page.Crumbs, link{"Engagement " + lastSegment(e), consoleURL(e)})
	}
	v.Provider = c.providerName(r, s, map[string]string{}, ct.GetProvider())
	// Periods exist from the service commencement on.
	if ct.GetServiceCommencementDate().GetYear() != 0 {
		var periods monitoringv1.ListPeriodsResponse
		if err := c.api.get(r.Context(), s.token, "/v1/"+name+"/periods", url.Values{"pageSize": {"1000"}}, &periods); err != nil {
			page.Errors = append(page.Errors, asAPIError(err))
		}
		v.Periods = periods.GetPeriods()
	}
	var plans transitionv1.ListTransitionPlansResponse
	if err := c.api.get(r.Context(), s.token, "/v1/transitionPlans", url.Values{"filter": {"contract = " + quote(name)}, "pageSize": {"100"}}, &plans); err != nil {
		page.Errors = append(page.Errors, asAPIError(err))
	}
	v.Plans = plans.GetTransitionPlans()
	switch ct.GetState() {
	case contractv1.ContractState_CONTRACT_STATE_IN_REVIEW:
		if s.has(auth.Approver) {
			a := newAction(s, consoleURL(name+"/approve"), "Approve the contract", ct.GetEtag())
			a.ID, a.Confirm = "approve-contract", "Approve this contract?"
			v.Actions = append(v.Actions, a)
		}
	case contractv1.ContractState_CONTRACT_STATE_APPROVED:
		clientSigns := s.subject != "" && s.subject == ct.GetClientSignatory() && ct.GetClientSignature().GetSigner() == ""
		providerSigns := s.has(auth.ProviderUser) && ct.GetProviderSignature().GetSigner() == ""
		if clientSigns || providerSigns {
			a := newAction(s, consoleURL(name+"/sign"), "Sign the contract", ct.GetEtag())
			a.ID, a.Confirm = "sign-contract", "Sign this contract? A signature cannot be taken back."
			v.Actions = append(v.Actions, a)
		}
	}
	page.Body = v
	return "contract", page, http.StatusOK
}

// contractAction approves or signs a contract.
func (c *console) contractAction(w http.ResponseWriter, r *http.Request, s *session) {
	ids, ok := pathIDs(r, "c")
	if !ok {
		c.notFound(w, r)
		return
	}
	name := "contracts/" + ids[0]
	var body proto.Message
	var done string
	switch r.PathValue("action") {
	case "approve":
		body, done = &contractv1.ApproveContractRequest{Name: name, Etag: formEtag(r), RequestId: formRequestID(r)}, "approved"
	case "sign":
		body, done = &contractv1.SignContractRequest{Name: name, Etag: formEtag(r), RequestId: formRequestID(r)}, "signed"
	default:
		c.notFound(w, r)
		return
	}
	c.act(w, r, s, c.contractPage, "/v1/"+name+":"+r.PathValue("action"), body, done, "")
}

type periodView struct {
	Contract, Period string
	Evaluation       *monitoringv1.PeriodEvaluation
	State            *monitoringv1.Period
	Lines            []statementLine
	// Level is the service level whose trend is charted; Levels link to
	// the others' charts.
	Level                       *monitoringv1.LevelResult
	Levels                      []link
	TrendSrc, CSVHref, TrendAlt string
	Actions                     []action
}

// statementLine is one line of the statement as the page shows it.
type statementLine struct {
	Kind, Step, Level, Amount, Explanation string
}

// periodPage shows a period's statement — every line with its amount and
// how it was computed — with the level results, the trend chart of a
// level and the statement as CSV; for a governance manager, the button
// that closes an open period.
func (c *console) periodPage(r *http.Request, s *session) (string, *view, int) {
	ids, ok := pathIDs(r, "c", "period")
	if !ok {
		return notFoundPage(r)
	}
	contract := "contracts/" + ids[0]
	name := contract + "/periods/" + ids[1]
	page := &view{Title: "Statement of " + ids[1], Crumbs: []link{{"Contract " + ids[0], consoleURL(contract)}}}
	v := &periodView{Contract: contract, Period: ids[1], Evaluation: &monitoringv1.PeriodEvaluation{}}
	if err := c.api.get(r.Context(), s.token, "/v1/"+name+":evaluate", nil, v.Evaluation); err != nil {
		return page.failed("period", err)
	}
	ev := v.Evaluation
	v.State = &monitoringv1.Period{}
	if err := c.api.get(r.Context(), s.token, "/v1/"+name, nil, v.State); err != nil {
		page.Errors = append(page.Errors, asAPIError(err))
		v.State = nil
	}
	for _, l := range ev.GetLines() {
		v.Lines = append(v.Lines, statementLine{
			Kind: enumWord(l.GetKind()), Step: itoa(int(l.GetStep())), Level: l.GetServiceLevelKey(),
			Amount: formatMoney(l.GetAmount()), Explanation: l.GetExplanation(),
		})
	}
	want := r.URL.Query().Get("level")
	for _, lr := range ev.GetResults() {
		if lr.GetKey() == want && keyPattern.MatchString(want) {
			v.Level = lr
		}
	}
	if v.Level == nil {
		v.Level = chartedLevel(ev.GetResults())
	}
	for _, lr := range ev.GetResults() {
		if lr != v.Level {
			v.Levels = append(v.Levels, link{lr.GetKey(), consoleURL(name) + "?level=" + url.QueryEscape(lr.GetKey()) + "#trend-h"})
		}
	}
	if v.Level != nil {
		v.TrendSrc = consoleURL(contract + "/serviceLevels/" + v.Level.GetKey() + "/trend.svg")
		v.TrendAlt = "Trend of " + v.Level.GetKey() + " (" + v.Level.GetDisplayName() + ") over the contract's periods against its target " + v.Level.GetTarget() +
			"; in " + ids[1] + " " + orNoData(v.Level.GetValue()) + ", " + enumWord(v.Level.GetOutcome())
	}
	v.CSVHref = consoleURL(name + "/statement.csv")
	if ev.GetState() == monitoringv1.PeriodState_PERIOD_STATE_OPEN && s.has(auth.GovernanceManager) {
		a := newAction(s, consoleURL(name+"/close"), "Close the period", "")
		a.ID, a.Confirm = "close-period", "Close "+ids[1]+"? Its statement is then stored, and corrections need a restatement."
		v.Actions = append(v.Actions, a)
	}
	page.Body = v
	return "period", page, http.StatusOK
}

// chartedLevel is the level a statement's chart shows first: the first
// critical level missed, else the first level.
func chartedLevel(results []*monitoringv1.LevelResult) *monitoringv1.LevelResult {
	for _, lr := range results {
		if lr.GetKind() == typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL && lr.GetOutcome() != monitoringv1.Outcome_OUTCOME_MET {
			return lr
		}
	}
	if len(results) > 0 {
		return results[0]
	}
	return nil
}

func orNoData(v string) string {
	if v == "" {
		return "no data"
	}
	return v
}

// closePeriod closes an open period.
func (c *console) closePeriod(w http.ResponseWriter, r *http.Request, s *session) {
	ids, ok := pathIDs(r, "c", "period")
	if !ok {
		c.notFound(w, r)
		return
	}
	name := "contracts/" + ids[0] + "/periods/" + ids[1]
	c.act(w, r, s, c.periodPage, "/v1/"+name+":close", &monitoringv1.ClosePeriodRequest{Name: name, RequestId: formRequestID(r)}, "closed", "")
}
