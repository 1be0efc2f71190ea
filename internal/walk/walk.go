// Package walk walks one engagement through the six steps — decide, scope,
// select, contract, transition, monitor — over the public REST API, acting
// at each step as the user whose role does it. `bpo demo` runs the whole
// walk and prints it; the end-to-end test runs it step by step, asserting
// the lifecycle stage in between and that each gate refuses a skipped step.
//
// The story: Northwind Retail, a US online retailer, outsources the
// customer support of its online orders. Three providers bid — from the
// Philippines, Colombia and the US. The winner runs the service from the
// start of last month, and in that month misses the level of calls
// answered within 20 seconds, which costs it a service credit.
//
// Dates: proposals and approvals happen now, but the contract's term and
// the service commencement are put at the first day of the previous month
// in the service time zone, so that a whole month of measurements lies in
// the past and can be evaluated today — as an operator recording a
// go-live that already happened would.
package walk

import (
	"context"
	"fmt"
	"net/url"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"google.golang.org/protobuf/proto"
)

// ServiceZone is the service time zone of the engagement: the retailer's
// contact centre hours are Central time.
const ServiceZone = "America/Chicago"

// Walk is one engagement's walk. Its exported fields name what the walk
// created, for the steps that follow and for tests that call the API
// themselves in between.
type Walk struct {
	Client  *Client
	Cast    Cast
	Bidders []*Bidder
	// Say prints one line of the walk: the step, who acts, what happened.
	Say func(step, who, text string)
	// Commencement is the service commencement date (the first day of the
	// previous month in the service time zone); Period is its month.
	Commencement time.Time
	Period       string

	Process, Engagement, Event, Contract, Plan string
	Awarded                                    *Bidder
	Evaluation                                 *monitoringv1.PeriodEvaluation
}

// Loser is a bidder with a proposal other than the awarded one — after
// the award, one that lost, the provider that must not see the winner's
// proposal; nil when there is none.
func (w *Walk) Loser() *Bidder {
	for _, b := range w.Bidders {
		if b != w.Awarded && b.ProposalName != "" {
			return b
		}
	}
	return nil
}

// New returns a walk with the default cast and bidders, with dates
// relative to now.
func New(c *Client, now time.Time, say func(step, who, text string)) (*Walk, error) {
	loc, err := time.LoadLocation(ServiceZone)
	if err != nil {
		return nil, fmt.Errorf("time zone %s: %w", ServiceZone, err)
	}
	local := now.In(loc)
	commencement := time.Date(local.Year(), local.Month()-1, 1, 0, 0, 0, 0, loc)
	return &Walk{
		Client:       c,
		Cast:         DefaultCast(),
		Bidders:      defaultBidders(now),
		Say:          say,
		Commencement: commencement,
		Period:       commencement.Format("2006-01"),
	}, nil
}

// Run walks every step and returns the lifecycle at the end.
func (w *Walk) Run(ctx context.Context) (*lifecyclev1.EngagementLifecycle, error) {
	if err := w.ThroughMonthEnd(ctx); err != nil {
		return nil, err
	}
	for _, step := range []func(context.Context) error{w.Warn, w.Review, w.Reports} { // warning.go
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return w.Lifecycle(ctx, w.Cast.GovernanceManager)
}

// ThroughMonthEnd walks the engagement from the decision to the first
// month's close and restatement: the walk without the bad evening that
// raises alerts, which tests that watch for them run themselves.
func (w *Walk) ThroughMonthEnd(ctx context.Context) error {
	for _, step := range []func(context.Context) error{
		w.Decide, w.Providers, w.Scope, w.Select,
		w.DraftContract, w.SignContract,
		w.StartTransition, w.Cutover,
		w.Measure, w.Evaluate, w.Amend, w.Audit,
		w.MonthEnd, // monthend.go
	} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (w *Walk) do(ctx context.Context, u User, method, path string, query url.Values, body, out proto.Message) error {
	return w.Client.Do(ctx, u, method, path, query, body, out)
}

// label names a provider for people: "Luzon Contact Solutions (PH)".
func (w *Walk) label(provider string) string {
	for _, b := range w.Bidders {
		if b.Name == provider {
			return fmt.Sprintf("%s (%s)", b.Profile.GetDisplayName(), b.Key)
		}
	}
	return provider
}

func (w *Walk) say(step string, u User, format string, args ...any) {
	if w.Say != nil {
		w.Say(step, u.Title, fmt.Sprintf(format, args...))
	}
}

// Lifecycle reads the engagement's lifecycle view as u.
func (w *Walk) Lifecycle(ctx context.Context, u User) (*lifecyclev1.EngagementLifecycle, error) {
	e, err := w.engagement()
	if err != nil {
		return nil, err
	}
	name := lifecyclev1.EngagementLifecycleResourceName{Engagement: e.Engagement}
	var lc lifecyclev1.EngagementLifecycle
	if err := w.do(ctx, u, "GET", "/v1/"+name.String(), nil, nil, &lc); err != nil {
		return nil, err
	}
	return &lc, nil
}

// engagement is the walk's engagement as a typed name, from which the
// names of its scope and lifecycle are built.
func (w *Walk) engagement() (catalogv1.EngagementResourceName, error) {
	var n catalogv1.EngagementResourceName
	if err := n.UnmarshalString(w.Engagement); err != nil {
		return n, fmt.Errorf("engagement %q: %w", w.Engagement, err)
	}
	return n, nil
}
