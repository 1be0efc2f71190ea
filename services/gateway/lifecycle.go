package gateway

import (
	"context"
	"fmt"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/services/gateway/stage"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// lifecycle composes an engagement's lifecycle from the four services,
// asking each with the caller's token (kit/downstream forwards it).
//
// It gathers the facts, and stage.Derive turns them into steps and a
// stage. A step the caller may not see (its service answers
// PERMISSION_DENIED) shows as HIDDEN; a service that is down makes the
// whole view UNAVAILABLE naming it — a view that silently left a step out
// would show a wrong stage, so it answers honestly and the caller retries.
type lifecycle struct {
	lifecyclev1.UnimplementedLifecycleServiceServer
	catalog    catalogv1.CatalogServiceClient
	contract   contractv1.ContractServiceClient
	transition transitionv1.TransitionServiceClient
	monitoring monitoringv1.MonitoringServiceClient
	// now is the clock that picks the latest period.
	now func() time.Time
}

// NewLifecycle is the lifecycle view over the services of up, on the clock
// now. It is a gRPC service like the others (platform.Services), so it has
// their authentication, logs, metrics and error mapping; the gateway
// reaches it over up.Lifecycle.
func NewLifecycle(up Upstreams, now func() time.Time) lifecyclev1.LifecycleServiceServer {
	return &lifecycle{
		catalog:    catalogv1.NewCatalogServiceClient(up.Catalog),
		contract:   contractv1.NewContractServiceClient(up.Contract),
		transition: transitionv1.NewTransitionServiceClient(up.Transition),
		monitoring: monitoringv1.NewMonitoringServiceClient(up.Monitoring),
		now:        now,
	}
}

// LifecyclePolicy lets every role that reads the catalog ask for a
// lifecycle: what each step shows is up to the service that holds it.
var LifecyclePolicy = auth.Policy{
	lifecyclev1.LifecycleService_GetEngagementLifecycle_FullMethodName: auth.Readers,
}

// listPageSize is the page size of the lists the view reads: one page
// holds any real engagement's events, contracts and plans.
const listPageSize = 1000

// GetEngagementLifecycle implements lifecyclev1.LifecycleServiceServer.
func (l *lifecycle) GetEngagementLifecycle(ctx context.Context, req *lifecyclev1.GetEngagementLifecycleRequest) (*lifecyclev1.EngagementLifecycle, error) {
	n, err := names.Parse[lifecyclev1.EngagementLifecycleResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	engagement := catalogv1.EngagementResourceName{Engagement: n.Engagement}
	name := engagement.String()
	eng, err := l.catalog.GetEngagement(ctx, &catalogv1.GetEngagementRequest{Name: name})
	if err != nil {
		return nil, err
	}
	var f stage.Facts
	if f.Decide, err = l.decide(ctx, eng); err != nil {
		return nil, err
	}
	if f.Scope, err = l.scope(ctx, engagement.ScopeResourceName()); err != nil {
		return nil, err
	}
	if f.Select, err = l.selection(ctx, eng); err != nil {
		return nil, err
	}
	c, err := l.contractOf(ctx, name)
	switch {
	case hidden(err):
		// Plans and periods belong to the contract: unseen with it.
		f.Contract = stage.Contract{Hidden: true}
		f.Transition, f.Monitor = stage.Transition{Hidden: true}, stage.Monitor{Hidden: true}
	case err != nil:
		return nil, err
	case c != nil:
		f.Contract = contractFacts(c)
		plan, err := l.planOf(ctx, c.GetName())
		switch {
		case hidden(err):
			f.Transition = stage.Transition{Hidden: true}
		case err != nil:
			return nil, err
		default:
			f.Transition = transitionFacts(plan)
		}
		if f.Monitor, err = l.monitor(ctx, c, plan); err != nil {
			return nil, err
		}
	}

	v := stage.Derive(f)
	out := &lifecyclev1.EngagementLifecycle{
		Name:        req.GetName(),
		Engagement:  name,
		DisplayName: eng.GetDisplayName(),
		Stage:       stageProto[v.Stage],
	}
	for _, s := range v.Steps {
		out.Steps = append(out.Steps, &lifecyclev1.Step{
			Step: s.Name, State: s.State, Done: s.Done, Facts: s.Facts, Blocker: s.Blocker,
		})
	}
	return out, nil
}

var stageProto = map[stage.Stage]lifecyclev1.Stage{
	stage.Unspecified:   lifecyclev1.Stage_STAGE_UNSPECIFIED,
	stage.Decided:       lifecyclev1.Stage_STAGE_DECIDED,
	stage.Scoped:        lifecyclev1.Stage_STAGE_SCOPED,
	stage.Selected:      lifecyclev1.Stage_STAGE_SELECTED,
	stage.Contracted:    lifecyclev1.Stage_STAGE_CONTRACTED,
	stage.Transitioning: lifecyclev1.Stage_STAGE_TRANSITIONING,
	stage.Live:          lifecyclev1.Stage_STAGE_LIVE,
	stage.Closed:        lifecyclev1.Stage_STAGE_CLOSED,
}

// decide reads each process's latest assessment.
func (l *lifecycle) decide(ctx context.Context, eng *catalogv1.Engagement) (stage.Decide, error) {
	var d stage.Decide
	for _, p := range eng.GetProcesses() {
		proc, err := l.catalog.GetProcess(ctx, &catalogv1.GetProcessRequest{Name: p})
		if hidden(err) {
			return stage.Decide{Hidden: true}, nil
		}
		if err != nil {
			return d, err
		}
		a := stage.Assessment{Process: p}
		if name := proc.GetLatestAssessment(); name != "" {
			as, err := l.catalog.GetAssessment(ctx, &catalogv1.GetAssessmentRequest{Name: name})
			if hidden(err) {
				return stage.Decide{Hidden: true}, nil
			}
			if err != nil {
				return d, err
			}
			// The score is rounded to one decimal by catalog (catalog.md §1).
			a.Score = fmt.Sprintf("%.1f", as.GetScore())
			a.Recommendation = protoenum.Short(as.GetRecommendation())
			a.Stale = proc.GetAssessmentStale()
		}
		d.Assessments = append(d.Assessments, a)
	}
	return d, nil
}

func (l *lifecycle) scope(ctx context.Context, name catalogv1.ScopeResourceName) (stage.Scope, error) {
	sc, err := l.catalog.GetScope(ctx, &catalogv1.GetScopeRequest{Name: name.String()})
	switch {
	case hidden(err):
		return stage.Scope{Hidden: true}, nil
	case status.Code(err) == codes.NotFound:
		return stage.Scope{}, nil
	case err != nil:
		return stage.Scope{}, err
	}
	return stage.Scope{Revision: sc.GetRevision(), State: protoenum.Short(sc.GetState())}, nil
}

// selection reads the engagement's sourcing events and its award. The
// event that matters is the awarded one, else the latest not cancelled,
// else the latest.
func (l *lifecycle) selection(ctx context.Context, eng *catalogv1.Engagement) (stage.Select, error) {
	var events []*catalogv1.SourcingEvent
	token := ""
	for {
		resp, err := l.catalog.ListSourcingEvents(ctx, &catalogv1.ListSourcingEventsRequest{
			Filter: filterOn("engagement", eng.GetName()), PageSize: listPageSize, PageToken: token,
		})
		if hidden(err) {
			return stage.Select{Hidden: true}, nil
		}
		if err != nil {
			return stage.Select{}, err
		}
		events = append(events, resp.GetSourcingEvents()...)
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	var s stage.Select
	if a := eng.GetAward(); a != nil && a.GetProvider() != "" {
		s.Award = &stage.Award{
			Provider:           a.GetProvider(),
			Proposal:           a.GetProposal(),
			TotalContractValue: money.Format(a.GetTotalContractValue()),
			TotalScore:         a.GetTotalScore(),
		}
	}
	ev := pick(events, func(e *catalogv1.SourcingEvent) int {
		switch e.GetState() {
		case catalogv1.SourcingEventState_SOURCING_EVENT_STATE_AWARDED:
			return 2
		case catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CANCELLED:
			return 0
		}
		return 1
	})
	if ev == nil {
		return s, nil
	}
	s.Event = ev.GetName()
	s.EventState = protoenum.Short(ev.GetState())
	s.ProposalDeadline = ev.GetProposalDeadline().AsTime()
	if a := ev.GetAward(); a != nil && a.GetApprovedBy() == "" {
		s.ProposedProvider = a.GetProvider()
	}
	return s, nil
}

// contractOf reads the engagement's contract: the one furthest along (a
// signed contract over a draft), the latest among equals. A terminated or
// expired one counts only when there is no other.
func (l *lifecycle) contractOf(ctx context.Context, engagement string) (*contractv1.Contract, error) {
	var all []*contractv1.Contract
	token := ""
	for {
		resp, err := l.contract.ListContracts(ctx, &contractv1.ListContractsRequest{
			Filter: filterOn("engagement", engagement), PageSize: listPageSize, PageToken: token,
		})
		if err != nil {
			return nil, err
		}
		all = append(all, resp.GetContracts()...)
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	return pick(all, func(c *contractv1.Contract) int {
		switch c.GetState() {
		case contractv1.ContractState_CONTRACT_STATE_SIGNED, contractv1.ContractState_CONTRACT_STATE_ACTIVE:
			return 5
		case contractv1.ContractState_CONTRACT_STATE_APPROVED:
			return 4
		case contractv1.ContractState_CONTRACT_STATE_IN_REVIEW:
			return 3
		case contractv1.ContractState_CONTRACT_STATE_DRAFT:
			return 2
		}
		return 1
	}), nil
}

// planOf reads the contract's transition plan: the latest not aborted,
// else the latest.
func (l *lifecycle) planOf(ctx context.Context, contract string) (*transitionv1.TransitionPlan, error) {
	var all []*transitionv1.TransitionPlan
	token := ""
	for {
		resp, err := l.transition.ListTransitionPlans(ctx, &transitionv1.ListTransitionPlansRequest{
			Filter: filterOn("contract", contract), PageSize: listPageSize, PageToken: token,
		})
		if err != nil {
			return nil, err
		}
		all = append(all, resp.GetTransitionPlans()...)
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	return pick(all, func(p *transitionv1.TransitionPlan) int {
		if p.GetState() == transitionv1.PlanState_PLAN_STATE_ABORTED {
			return 0
		}
		return 1
	}), nil
}

// monitor evaluates the latest period since commencement: the last
// complete month when one has ended since commencement — the result that
// counts, rather than the current month's first days — else the current
// month, provisional. Months are calendar months in the contract's
// service time zone (monitoring.md, "Periods and evaluation").
func (l *lifecycle) monitor(ctx context.Context, c *contractv1.Contract, plan *transitionv1.TransitionPlan) (stage.Monitor, error) {
	start := c.GetServiceCommencementDate()
	if start == nil {
		start = plan.GetCommencementDate()
	}
	if start == nil || start.GetYear() == 0 {
		return stage.Monitor{}, nil
	}
	var contract contractv1.ContractResourceName
	if err := contract.UnmarshalString(c.GetName()); err != nil {
		return stage.Monitor{}, fmt.Errorf("contract of the engagement: %w", err)
	}
	period := latestPeriod(start, l.now(), c.GetServiceTimeZone())
	ev, err := l.monitoring.EvaluatePeriod(ctx, &monitoringv1.EvaluatePeriodRequest{
		Name: monitoringv1.PeriodResourceName{Contract: contract.Contract, Period: period}.String(),
	})
	switch {
	case hidden(err):
		return stage.Monitor{Hidden: true}, nil
	case status.Code(err) == codes.FailedPrecondition, status.Code(err) == codes.NotFound:
		// Not evaluable yet (e.g. the contract's commencement has not
		// reached monitoring): the service is live, nothing to show.
		return stage.Monitor{}, nil
	case err != nil:
		return stage.Monitor{}, err
	}
	m := stage.Monitor{
		Period:      period,
		Provisional: ev.GetProvisional(),
		Charges:     money.Format(ev.GetCharges()),
		Credits:     money.Format(ev.GetCredits()),
		Net:         money.Format(ev.GetNet()),
	}
	for _, r := range ev.GetResults() {
		outcome := protoenum.Short(r.GetOutcome())
		if r.GetOutcome() == monitoringv1.Outcome_OUTCOME_UNSPECIFIED {
			outcome = stage.NotEvaluated
		}
		m.Levels = append(m.Levels, stage.Level{
			Key:        r.GetKey(),
			Kind:       protoenum.Short(r.GetKind()),
			Outcome:    outcome,
			Value:      r.GetValue(),
			Comparator: protoenum.Short(r.GetComparator()),
			Target:     r.GetTarget(),
			Credit:     money.Format(r.GetCredit()),
		})
	}
	return m, nil
}

// latestPeriod is the `YYYY-MM` of the last month that ended at or
// before now, or of now's month when commencement is in it (or later).
func latestPeriod(commencement *date.Date, now time.Time, zone string) string {
	loc, err := civil.Location(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	// Months are counted, not built with time.Date: where a DST change
	// skips midnight on the 1st, time.Date gives 23:00 of the month before.
	now = now.In(loc)
	current := now.Year()*12 + int(now.Month()) - 1
	if first := int(commencement.GetYear())*12 + int(commencement.GetMonth()) - 1; first < current {
		current--
	}
	return fmt.Sprintf("%04d-%02d", current/12, current%12+1)
}

func contractFacts(c *contractv1.Contract) stage.Contract {
	return stage.Contract{
		Name:            c.GetName(),
		State:           protoenum.Short(c.GetState()),
		Provider:        c.GetProvider(),
		MonthlyFee:      money.Format(c.GetMonthlyFee()),
		ClientSignatory: c.GetClientSignatory(),
		ClientSigned:    c.GetClientSignature().GetSigner() != "",
		ProviderSigned:  c.GetProviderSignature().GetSigner() != "",
		Commencement:    civil.Format(c.GetServiceCommencementDate()),
	}
}

func transitionFacts(p *transitionv1.TransitionPlan) stage.Transition {
	if p == nil {
		return stage.Transition{}
	}
	return stage.Transition{
		Plan:          p.GetName(),
		State:         protoenum.Short(p.GetState()),
		TasksFinished: p.GetTasksFinished(),
		TasksTotal:    p.GetTasksTotal(),
		Commencement:  civil.Format(p.GetCommencementDate()),
	}
}

// pick returns the item of the highest rank, the latest (last listed, the
// lists being by creation) among equals; nil for none.
func pick[T any](items []T, rank func(T) int) T {
	var best T
	bestRank := -1
	for _, it := range items {
		if r := rank(it); r >= bestRank {
			best, bestRank = it, r
		}
	}
	return best
}

// hidden says the caller may not see what it asked for.
func hidden(err error) bool { return status.Code(err) == codes.PermissionDenied }

// filterOn is the list filter `field = "value"` (kit/listing grammar).
func filterOn(field, value string) string { return fmt.Sprintf("%s = %q", field, value) }
