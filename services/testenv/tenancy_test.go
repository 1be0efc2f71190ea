package testenv_test

// A provider user reads nothing of another provider: every List and Get of
// every service, called with a token of one provider for every name the
// walk knows, is refused (PERMISSION_DENIED, NOT_FOUND) or answers without
// a trace of any other provider anywhere in the response. The methods come
// from the service descriptors, as in resource_names_test.go: a read added
// later is walked too, and one the walk cannot build a request for fails
// the test saying so.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	_ "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
	"go.einride.tech/aip/fieldbehavior"
	"go.einride.tech/aip/resourcename"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// readServices are the four services and the lifecycle view, which reads
// all four on the caller's behalf.
var readServices = append(slices.Clone(walkedServices), "bpo.lifecycle.v1.LifecycleService")

// isRead: a List or a Get, by name or by its HTTP mapping (a GET such as
// EvaluatePeriod or CheckReadiness reads as much as a Get does).
func isRead(m protoreflect.MethodDescriptor) bool {
	if strings.HasPrefix(string(m.Name()), "List") || strings.HasPrefix(string(m.Name()), "Get") {
		return true
	}
	rule, _ := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
	return rule.GetGet() != ""
}

// traces are what belongs to one provider alone: strings no one else may
// see in any field (its names and ids, its company's names, its
// proposal's and contract's names) and amounts (its proposed price, in
// minor units) no one else may see in any number.
type traces struct {
	strings []string
	amounts []int64
}

// tenancy is one engagement taken live, with the names the walk asks for
// and what each provider alone may see.
type tenancy struct {
	// names are the resources of each pattern the walk asks for: every
	// provider's where a pattern has several, the one there is otherwise.
	names map[string][]string
	// own are each provider's traces, by provider name.
	own map[string]traces
	// providers in a fixed order: the awarded one first.
	providers []string
	live      *testenv.Live
}

// newTenancy takes an engagement live (three invited providers, each with
// a proposal; the first ranked awarded, with its contract, transition plan
// and tasks) and has the awarded provider report measurements, so that
// every service holds something of it. Service commences on the first of
// the previous month, as in the monitoring tests: LiveContract commences
// on the scope's go-live, months ahead, when monitoring (on the wall
// clock) accepts no measurement and evaluates no period yet.
func newTenancy(t *testing.T, e *testenv.Env) *tenancy {
	t.Helper()
	live := &testenv.Live{Signed: e.SignedContract(t)}
	admin := e.AsRole(t, auth.Admin)
	tm := e.AsRole(t, auth.TransitionManager)

	loc, err := time.LoadLocation(live.Contract.GetServiceTimeZone())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	commencement := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -1, 0)
	live.CommencementDate = &date.Date{Year: int32(commencement.Year()), Month: int32(commencement.Month()), Day: 1}
	plan, err := e.Transition.CreateTransitionPlan(tm, &transitionv1.CreateTransitionPlanRequest{TransitionPlan: &transitionv1.TransitionPlan{
		Contract: live.Contract.GetName(), StartDate: live.CommencementDate, TargetGoLive: live.GoLive,
	}})
	if err != nil {
		t.Fatalf("CreateTransitionPlan: %v", err)
	}
	if plan, err = e.Transition.StartTransitionPlan(tm, &transitionv1.StartTransitionPlanRequest{Name: plan.GetName()}); err != nil {
		t.Fatalf("StartTransitionPlan: %v", err)
	}
	e.FinishPreCutoverTasks(t, plan)
	if live.Plan, err = e.Transition.CompleteCutover(tm, &transitionv1.CompleteCutoverRequest{Name: plan.GetName(), CommencementDate: live.CommencementDate}); err != nil {
		t.Fatalf("CompleteCutover: %v", err)
	}
	if live.Contract, err = e.Contract.GetContract(tm, &contractv1.GetContractRequest{Name: live.Contract.GetName()}); err != nil {
		t.Fatal(err)
	}

	called := commencement.Add(36 * time.Hour)
	res, err := e.Monitoring.BatchCreateMeasurements(e.AsProvider(t, live.Provider), &monitoringv1.BatchCreateMeasurementsRequest{
		Parent: live.Contract.GetName(),
		Measurements: []*monitoringv1.Measurement{
			{ServiceLevelKey: testenv.LevelASA, EventId: "call-1", EventTime: timestamppb.New(called), Value: 12},
			{ServiceLevelKey: testenv.LevelAHT, EventId: "call-1-aht", EventTime: timestamppb.New(called), Value: 280},
		},
	})
	if err != nil {
		t.Fatalf("BatchCreateMeasurements: %v", err)
	}
	for _, r := range res.GetResults() {
		if r.GetOutcome() != monitoringv1.MeasurementOutcome_MEASUREMENT_OUTCOME_ACCEPTED {
			t.Fatalf("measurement not accepted: %v", r)
		}
	}

	w := &tenancy{names: map[string][]string{}, own: map[string]traces{}, live: live}
	add := func(pattern string, names ...string) { w.names[pattern] = append(w.names[pattern], names...) }
	w.providers = append(w.providers, live.Provider)
	for _, p := range live.Providers {
		if p.GetName() != live.Provider {
			w.providers = append(w.providers, p.GetName())
		}
	}
	slices.Sort(w.providers[1:])
	for _, name := range w.providers {
		var p *catalogv1.Provider
		for _, q := range live.Providers {
			if q.GetName() == name {
				p = q
			}
		}
		proposal := live.Proposals[name]
		tr := traces{
			strings: []string{name, idOf(name), p.GetDisplayName(), p.GetLegalName(), p.GetWebsite(), proposal.GetName(), idOf(proposal.GetName())},
			amounts: []int64{proposal.GetPricing().GetMonthlyFee().GetMinorUnits()},
		}
		for _, dc := range p.GetDeliveryCenters() {
			tr.strings = append(tr.strings, dc.GetName())
		}
		if name == live.Provider {
			tr.strings = append(tr.strings, live.Contract.GetName(), idOf(live.Contract.GetName()), live.Plan.GetName(), idOf(live.Plan.GetName()))
		}
		slices.Sort(tr.strings)
		tr.strings = slices.Compact(tr.strings) // a proposal's id is its provider's
		w.own[name] = tr
		add("providers/{provider}", name)
		add("sourcingEvents/{sourcing_event}/proposals/{proposal}", proposal.GetName())
	}

	eng := live.Engagement.GetName()
	add("processes/{process}", live.Engagement.GetProcesses()...)
	as, err := e.Catalog.ListAssessments(admin, &catalogv1.ListAssessmentsRequest{Parent: live.Engagement.GetProcesses()[0]})
	if err != nil || len(as.GetAssessments()) == 0 {
		t.Fatalf("ListAssessments: %v, %v", as, err)
	}
	add("processes/{process}/assessments/{assessment}", as.GetAssessments()[0].GetName())
	add("policies/assessment", "policies/assessment")
	add("engagements/{engagement}", eng)
	add("engagements/{engagement}/scope", live.Scope.GetName())
	add("engagements/{engagement}/lifecycle", eng+"/lifecycle")
	add("sourcingEvents/{sourcing_event}", live.Event.GetName())
	add("sourcingEvents/{sourcing_event}/ranking", live.Event.GetName()+"/ranking")
	add("contracts/{contract}", live.Contract.GetName())
	add("contracts/{contract}/periods/{period}", live.Contract.GetName()+"/periods/"+commencement.Format("2006-01"))
	add("contracts/{contract}/periods/{period}/statements/{statement}", live.Contract.GetName()+"/periods/"+commencement.Format("2006-01")+"/statements/1")
	add("contracts/{contract}/exclusions/{exclusion}", live.Contract.GetName()+"/exclusions/x1")
	add("contracts/{contract}/scorecards/{scorecard}", live.Contract.GetName()+"/scorecards/"+commencement.Format("2006-01"))
	add("contracts/{contract}/reviews/{review}", live.Contract.GetName()+"/reviews/r1")
	am, err := e.Contract.CreateAmendment(admin, &contractv1.CreateAmendmentRequest{Parent: live.Contract.GetName(), Amendment: &contractv1.Amendment{
		Changes: &contractv1.Contract{RenewalNoticeDays: 30}, ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"renewal_notice_days"}},
		EffectiveDate: &date.Date{Year: live.Contract.GetStartDate().GetYear() + 1, Month: 1, Day: 1},
	}})
	if err != nil {
		t.Fatalf("CreateAmendment: %v", err)
	}
	add("contracts/{contract}/amendments/{amendment}", am.GetName())
	add("transitionPlans/{transition_plan}", live.Plan.GetName())
	add("transitionPlans/{transition_plan}/schedule", live.Plan.GetName()+"/schedule")
	tasks, err := e.Transition.ListTasks(admin, &transitionv1.ListTasksRequest{Parent: live.Plan.GetName(), PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// One task of each side: a provider user works on the PROVIDER ones.
	sides := map[transitionv1.OwnerSide]bool{}
	for _, task := range tasks.GetTasks() {
		if !sides[task.GetOwnerSide()] {
			sides[task.GetOwnerSide()] = true
			add("transitionPlans/{transition_plan}/tasks/{task}", task.GetName())
		}
	}
	// The handover (FinishPreCutoverTasks made one of each).
	items, err := e.Transition.ListKnowledgeItems(admin, &transitionv1.ListKnowledgeItemsRequest{Parent: live.Plan.GetName()})
	if err != nil || len(items.GetKnowledgeItems()) == 0 {
		t.Fatalf("ListKnowledgeItems: %v, %v", items, err)
	}
	add("transitionPlans/{transition_plan}/knowledgeItems/{knowledge_item}", items.GetKnowledgeItems()[0].GetName())
	sessions, err := e.Transition.ListTrainingSessions(admin, &transitionv1.ListTrainingSessionsRequest{Parent: live.Plan.GetName()})
	if err != nil || len(sessions.GetTrainingSessions()) == 0 {
		t.Fatalf("ListTrainingSessions: %v, %v", sessions, err)
	}
	add("transitionPlans/{transition_plan}/trainingSessions/{training_session}", sessions.GetTrainingSessions()[0].GetName())
	results, err := e.Transition.ListParallelRunResults(admin, &transitionv1.ListParallelRunResultsRequest{Parent: live.Plan.GetName()})
	if err != nil || len(results.GetParallelRunResults()) == 0 {
		t.Fatalf("ListParallelRunResults: %v, %v", results, err)
	}
	add("transitionPlans/{transition_plan}/parallelRunResults/{parallel_run_result}", results.GetParallelRunResults()[0].GetName())
	for pattern, names := range w.names {
		for _, name := range names {
			if !resourcename.Match(pattern, name) {
				t.Fatalf("tenancy: %s does not match %s", name, pattern)
			}
		}
	}
	return w
}

// idOf is the last segment of a name: an id, which a response could carry
// without the rest of the name.
func idOf(name string) string {
	return name[strings.LastIndex(name, "/")+1:]
}

// foreign are the traces of every provider but caller.
func (w *tenancy) foreign(caller string) traces {
	var out traces
	for _, p := range w.providers {
		if p != caller {
			out.strings = append(out.strings, w.own[p].strings...)
			out.amounts = append(out.amounts, w.own[p].amounts...)
		}
	}
	return out
}

// probe is one request the walk sends.
type probe struct {
	req proto.Message
	// what the request says, for messages.
	what string
	// sent are the strings the caller put in the request: a refusal may
	// repeat them.
	sent []string
	// filtered: the request filters by provider, which a List may refuse
	// as a field it does not filter on (INVALID_ARGUMENT).
	filtered bool
}

// probes are the requests of method m for caller: one per name the walk
// knows of the kind m reads (for its name or parent field), one without
// any when m takes neither, and for a List with a filter, one filtering
// on each other provider. It fails the test for a request it cannot build.
func (w *tenancy) probes(t *testing.T, m protoreflect.MethodDescriptor, caller string, patterns map[string]string) []probe {
	t.Helper()
	in := m.Input()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(in.FullName())
	if err != nil {
		t.Fatal(err)
	}
	var key protoreflect.FieldDescriptor
	var pattern string
	for i := 0; i < in.Fields().Len(); i++ {
		fd := in.Fields().Get(i)
		switch fd.Name() {
		case "name", "parent":
			ref, _ := proto.GetExtension(fd.Options(), annotations.E_ResourceReference).(*annotations.ResourceReference)
			switch {
			case ref.GetType() != "":
				pattern = patterns[ref.GetType()]
			case ref.GetChildType() != "":
				pattern = parentPattern(patterns[ref.GetChildType()])
			}
			key = fd
		case "filter", "page_size", "page_token":
		case "service_level_key": // GetServiceLevelTrend: set below
		case "date": // GetEffectiveContract: set below
		case "format": // ExportSchedule: set below
		default:
			if fieldbehavior.Has(fd, annotations.FieldBehavior_REQUIRED) {
				t.Errorf("%s: the walk does not know what to send in required field %s: teach tenancy.probes to fill it", m.FullName(), fd.Name())
				return nil
			}
		}
	}
	var out []probe
	if key == nil {
		out = append(out, probe{req: mt.New().Interface(), what: "no name"})
	} else {
		names := w.names[pattern]
		if pattern == "" || len(names) == 0 {
			t.Errorf("%s: the walk knows no %q to send in %s: add names of that kind to newTenancy", m.FullName(), pattern, key.Name())
			return nil
		}
		for _, name := range names {
			req := mt.New()
			req.Set(key, protoreflect.ValueOfString(name))
			if k := in.Fields().ByName("service_level_key"); k != nil {
				req.Set(k, protoreflect.ValueOfString(testenv.LevelASA))
			}
			if k := in.Fields().ByName("date"); k != nil && k.Message() != nil {
				req.Set(k, protoreflect.ValueOfMessage((&date.Date{Year: w.live.Contract.GetStartDate().GetYear(), Month: w.live.Contract.GetStartDate().GetMonth(), Day: w.live.Contract.GetStartDate().GetDay()}).ProtoReflect()))
			}
			if k := in.Fields().ByName("format"); k != nil {
				req.Set(k, protoreflect.ValueOfString("csv"))
			}
			out = append(out, probe{req: req.Interface(), what: fmt.Sprintf("%s = %s", key.Name(), name), sent: []string{name}})
		}
	}
	if filter := in.Fields().ByName("filter"); filter != nil {
		for _, other := range w.providers {
			if other == caller {
				continue
			}
			base := out[0]
			req := proto.Clone(base.req).ProtoReflect()
			f := fmt.Sprintf("provider = %q", other)
			req.Set(filter, protoreflect.ValueOfString(f))
			out = append(out, probe{req: req.Interface(), what: base.what + ", filter " + f, sent: append(slices.Clone(base.sent), f), filtered: true})
		}
	}
	return out
}

// read calls m with req and collects every response message (one, or all
// a server stream sends).
func read(ctx context.Context, conn *grpc.ClientConn, m protoreflect.MethodDescriptor, req proto.Message) ([]proto.Message, error) {
	full := fmt.Sprintf("/%s/%s", m.Parent().FullName(), m.Name())
	rt, err := protoregistry.GlobalTypes.FindMessageByName(m.Output().FullName())
	if err != nil {
		return nil, err
	}
	if m.IsStreamingClient() {
		return nil, fmt.Errorf("%s streams requests: teach the tenancy walk to send them", m.FullName())
	}
	if !m.IsStreamingServer() {
		resp := rt.New().Interface()
		return []proto.Message{resp}, conn.Invoke(ctx, full, req, resp)
	}
	// A server stream may not end by itself (WatchAlerts waits for the
	// next alert): what it sends within a moment is what the walk reads.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, full)
	if err != nil {
		return nil, err
	}
	if err := stream.SendMsg(req); err != nil {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	// The server learns the deadline from the call (grpc-timeout) and may
	// end the stream with it a moment before the client's own timer fires.
	deadline, _ := ctx.Deadline()
	var out []proto.Message
	for {
		resp := rt.New().Interface()
		if err := stream.RecvMsg(resp); errors.Is(err, io.EOF) || (status.Code(err) == codes.DeadlineExceeded && time.Until(deadline) < 500*time.Millisecond) {
			return out, nil
		} else if err != nil {
			return out, err
		}
		out = append(out, resp)
	}
}

// leaks are the places in m holding a trace of tr: a string field
// containing one of its strings, a number equal to one of its amounts.
func leaks(m protoreflect.Message, tr traces, path string) []string {
	var out []string
	value := func(fd protoreflect.FieldDescriptor, v protoreflect.Value, at string) {
		switch fd.Kind() {
		case protoreflect.MessageKind, protoreflect.GroupKind:
			out = append(out, leaks(v.Message(), tr, at)...)
		case protoreflect.StringKind, protoreflect.BytesKind:
			text := v.String()
			if fd.Kind() == protoreflect.BytesKind {
				text = string(v.Bytes())
			}
			if i := slices.IndexFunc(tr.strings, func(s string) bool { return strings.Contains(text, s) }); i >= 0 {
				out = append(out, fmt.Sprintf("%s = %q holds %q", at, text, tr.strings[i]))
			}
		case protoreflect.EnumKind, protoreflect.BoolKind:
		default:
			if i := slices.IndexFunc(tr.amounts, func(a int64) bool { return numberIs(fd.Kind(), v, a) }); i >= 0 {
				out = append(out, fmt.Sprintf("%s = %v, the amount %d", at, v, tr.amounts[i]))
			}
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		at := path + "." + string(fd.Name())
		switch {
		case fd.IsList():
			for i := 0; i < v.List().Len(); i++ {
				value(fd, v.List().Get(i), fmt.Sprintf("%s[%d]", at, i))
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				value(fd.MapKey(), k.Value(), at+"[key]")
				value(fd.MapValue(), mv, fmt.Sprintf("%s[%v]", at, k.Interface()))
				return true
			})
		default:
			value(fd, v, at)
		}
		return true
	})
	return out
}

func numberIs(k protoreflect.Kind, v protoreflect.Value, a int64) bool {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind, protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return v.Int() == a
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return a >= 0 && v.Uint() == uint64(a)
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return v.Float() == float64(a)
	}
	return false
}

// refusalLeaks are the traces of tr in a refusal that the request did not
// carry itself: a refusal may repeat the name it was asked for, never
// say more.
func refusalLeaks(err error, tr traces, sent []string) []string {
	st := status.Convert(err)
	var unsent traces
	for _, s := range tr.strings {
		if !slices.ContainsFunc(sent, func(x string) bool { return strings.Contains(x, s) }) {
			unsent.strings = append(unsent.strings, s)
		}
	}
	unsent.amounts = tr.amounts
	out := leaks(st.Proto().ProtoReflect(), unsent, "status")
	for _, d := range st.Details() {
		if m, ok := d.(proto.Message); ok {
			out = append(out, leaks(m.ProtoReflect(), unsent, "status.details")...)
		}
	}
	return out
}

func TestNoProviderReadsAnythingOfAnother(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		w := newTenancy(t, e)
		patterns := resourcePatterns(t)

		// The traces are found where they are: staff read the awarded
		// provider's contract and every proposal's price.
		admin := e.AsRole(t, auth.Admin)
		c, err := e.Contract.GetContract(admin, &contractv1.GetContractRequest{Name: w.live.Contract.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if got := leaks(c.ProtoReflect(), w.own[w.live.Provider], "contract"); len(got) == 0 {
			t.Fatalf("no trace of %s found in its own contract %v: the walk would see no leak", w.live.Provider, c)
		}
		ps, err := e.Catalog.ListProposals(admin, &catalogv1.ListProposalsRequest{Parent: w.live.Event.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range w.providers[1:] {
			if got := leaks(ps.ProtoReflect(), traces{amounts: w.own[p].amounts}, "proposals"); len(got) == 0 {
				t.Fatalf("the price of %s is not found among the proposals staff read", p)
			}
		}

		var methods []string
		for _, svc := range readServices {
			d, err := protoregistry.GlobalFiles.FindDescriptorByName(svc)
			if err != nil {
				t.Fatal(err)
			}
			ms := d.(protoreflect.ServiceDescriptor).Methods()
			for i := 0; i < ms.Len(); i++ {
				if isRead(ms.Get(i)) {
					methods = append(methods, string(ms.Get(i).FullName()))
				}
			}
		}

		calls, answers := 0, map[string]int{}
		for _, caller := range w.providers {
			ctx := e.AsProvider(t, caller)
			foreign := w.foreign(caller)
			for _, full := range methods {
				d, _ := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(full))
				m := d.(protoreflect.MethodDescriptor)
				for _, p := range w.probes(t, m, caller, patterns) {
					calls++
					what := fmt.Sprintf("%s as a user of %s, %s", m.Name(), caller, p.what)
					resps, err := read(ctx, e.Conn, m, p.req)
					if err != nil {
						code := status.Code(err)
						switch {
						case code == codes.PermissionDenied || code == codes.NotFound || (p.filtered && code == codes.InvalidArgument):
							for _, l := range refusalLeaks(err, foreign, p.sent) {
								t.Errorf("%s: the refusal tells of another provider: %s", what, l)
							}
						default:
							t.Errorf("%s: %v: neither a refusal nor an answer; teach the walk to build a request %s answers", what, err, m.Name())
						}
						continue
					}
					answers[caller]++
					for _, resp := range resps {
						for _, l := range leaks(resp.ProtoReflect(), foreign, string(m.Output().Name())) {
							t.Errorf("%s: answers something of another provider: %s", what, l)
						}
					}
				}
			}
		}

		// The walk is not empty: the awarded provider reads its own
		// contract, plan and evaluation; each loser its own provider and
		// proposal, and the event it was invited to.
		own, err := e.Contract.GetContract(e.AsProvider(t, w.live.Provider), &contractv1.GetContractRequest{Name: w.live.Contract.GetName()})
		if err != nil || own.GetProvider() != w.live.Provider {
			t.Errorf("the awarded provider reads its contract: %v, %v", own, err)
		}
		for _, caller := range w.providers {
			if answers[caller] < 4 {
				t.Errorf("a user of %s got %d answers: the walk reads too little to show anything", caller, answers[caller])
			}
		}
		if len(methods) < 25 {
			t.Fatalf("%d read methods; the descriptors give more", len(methods))
		}
		answered := make([]int, len(w.providers))
		for i, p := range w.providers {
			answered[i] = answers[p]
		}
		t.Logf("%d reads of %d methods by users of %d providers; answered, the awarded provider first: %v; the rest refused", calls, len(methods), len(w.providers), answered)
	})
}
