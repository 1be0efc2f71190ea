package testenv_test

// Every method of the four services that takes a resource name refuses a
// name of any other kind, naming the field, and changes nothing. The
// methods and their fields come from the service descriptors and the
// protos' resource annotations, not from a list kept here: a method added
// later is walked too.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/testenv"
	"go.einride.tech/aip/resourcename"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// walkedServices are the four services.
var walkedServices = []protoreflect.FullName{
	"bpo.catalog.v1.CatalogService",
	"bpo.contract.v1.ContractService",
	"bpo.transition.v1.TransitionService",
	"bpo.monitoring.v1.MonitoringService",
}

// resourcePatterns maps every resource type of our protos to its pattern,
// from messages' google.api.resource and files' resource_definition.
func resourcePatterns(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	add := func(rd *annotations.ResourceDescriptor) {
		if rd != nil && len(rd.GetPattern()) == 1 {
			out[rd.GetType()] = rd.GetPattern()[0]
		}
	}
	var walk func(protoreflect.MessageDescriptors)
	walk = func(ms protoreflect.MessageDescriptors) {
		for i := 0; i < ms.Len(); i++ {
			add(proto.GetExtension(ms.Get(i).Options(), annotations.E_Resource).(*annotations.ResourceDescriptor))
			walk(ms.Get(i).Messages())
		}
	}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(string(fd.Package()), "bpo.") {
			for _, rd := range proto.GetExtension(fd.Options(), annotations.E_ResourceDefinition).([]*annotations.ResourceDescriptor) {
				add(rd)
			}
			walk(fd.Messages())
		}
		return true
	})
	return out
}

// target is one name-bearing field of a request: its path and the
// pattern a name there must have.
type target struct {
	path    string
	pattern string
	// body is the resource message holding the name (an Update's), or nil.
	body protoreflect.FieldDescriptor
}

// parentPattern is the pattern of the parent of a resource of pattern p.
func parentPattern(p string) string {
	segs := strings.Split(p, "/")
	if len(segs)%2 == 1 {
		return strings.Join(segs[:len(segs)-1], "/")
	}
	return strings.Join(segs[:len(segs)-2], "/")
}

// targets are the fields of a request message md that hold a resource
// name: `name` and `parent`, which must say what they refer to, and the
// `name` of a resource sent whole (an Update's body).
func targets(t *testing.T, md protoreflect.MessageDescriptor, patterns map[string]string) []target {
	t.Helper()
	var out []target
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		switch {
		case (fd.Name() == "name" || fd.Name() == "parent") && fd.Kind() == protoreflect.StringKind:
			ref := proto.GetExtension(fd.Options(), annotations.E_ResourceReference).(*annotations.ResourceReference)
			var pattern string
			switch {
			case ref.GetType() != "":
				pattern = patterns[ref.GetType()]
			case ref.GetChildType() != "":
				if p := patterns[ref.GetChildType()]; p != "" {
					pattern = parentPattern(p)
				}
			}
			if pattern == "" {
				t.Errorf("%s.%s has no google.api.resource_reference to a resource of ours: say what it names", md.FullName(), fd.Name())
				continue
			}
			out = append(out, target{path: string(fd.Name()), pattern: pattern})
		case fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap():
			rd := proto.GetExtension(fd.Message().Options(), annotations.E_Resource).(*annotations.ResourceDescriptor)
			if rd != nil && fd.Message().Fields().ByName("name") != nil && strings.HasPrefix(string(md.Name()), "Update") {
				out = append(out, target{path: string(fd.Name()) + ".name", pattern: rd.GetPattern()[0], body: fd})
			}
		}
	}
	return out
}

// world is one engagement taken live, so that a resource of every kind
// exists: the names the walk sends where they do not belong.
func world(t *testing.T, e *testenv.Env) map[string]string {
	t.Helper()
	live := e.LiveContract(t)
	ctx := e.AsRole(t, auth.Admin)
	names := map[string]string{
		"providers/{provider}":                                 live.Contract.GetProvider(),
		"engagements/{engagement}":                             live.Engagement.GetName(),
		"engagements/{engagement}/scope":                       live.Scope.GetName(),
		"sourcingEvents/{sourcing_event}":                      live.Event.GetName(),
		"sourcingEvents/{sourcing_event}/proposals/{proposal}": live.Contract.GetProposal(),
		"sourcingEvents/{sourcing_event}/ranking":              live.Event.GetName() + "/ranking",
		"contracts/{contract}":                                 live.Contract.GetName(),
		"contracts/{contract}/periods/{period}":                live.Contract.GetName() + "/periods/2026-01",
		"transitionPlans/{transition_plan}":                    live.Plan.GetName(),
		"transitionPlans/{transition_plan}/schedule":           live.Plan.GetName() + "/schedule",
		"policies/assessment":                                  "policies/assessment",
		"engagements/{engagement}/lifecycle":                   live.Engagement.GetName() + "/lifecycle",
		"processes/{process}":                                  live.Engagement.GetProcesses()[0],
	}
	as, err := e.Catalog.ListAssessments(ctx, &catalogv1.ListAssessmentsRequest{Parent: names["processes/{process}"]})
	if err != nil || len(as.GetAssessments()) == 0 {
		t.Fatalf("ListAssessments: %v, %v", as, err)
	}
	names["processes/{process}/assessments/{assessment}"] = as.GetAssessments()[0].GetName()
	// A contract's amendment (services/contract/amendments.go); UpdateAmendment's body is sampled from it.
	am, err := e.Contract.CreateAmendment(ctx, &contractv1.CreateAmendmentRequest{Parent: live.Contract.GetName(), Amendment: &contractv1.Amendment{
		Changes: &contractv1.Contract{RenewalNoticeDays: 30}, ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"renewal_notice_days"}},
		EffectiveDate: &date.Date{Year: live.Contract.GetStartDate().GetYear() + 1, Month: 1, Day: 1},
	}})
	if err != nil {
		t.Fatalf("CreateAmendment: %v", err)
	}
	names["contracts/{contract}/amendments/{amendment}"] = am.GetName()
	// A provider's notifications (services/catalog/fallback.go): the award told the winner.
	ns, err := e.Catalog.ListNotifications(ctx, &catalogv1.ListNotificationsRequest{Parent: names["providers/{provider}"]})
	if err != nil || len(ns.GetNotifications()) == 0 {
		t.Fatalf("ListNotifications: %v, %v", ns, err)
	}
	names["providers/{provider}/notifications/{notification}"] = ns.GetNotifications()[0].GetName()
	// The month-end's kinds (services/monitoring/periods.go, exclusions.go).
	names["contracts/{contract}/periods/{period}/statements/{statement}"] = live.Contract.GetName() + "/periods/2026-01/statements/1"
	names["contracts/{contract}/exclusions/{exclusion}"] = live.Contract.GetName() + "/exclusions/x1"
	// Early warning, scorecards, reviews (services/monitoring/alerts.go, scorecards.go, reviews.go).
	names["contracts/{contract}/alerts/{alert}"] = live.Contract.GetName() + "/alerts/a1"
	names["contracts/{contract}/scorecards/{scorecard}"] = live.Contract.GetName() + "/scorecards/2026-01"
	rv, err := e.Monitoring.CreateReview(ctx, &monitoringv1.CreateReviewRequest{Parent: live.Contract.GetName(), Review: &monitoringv1.Review{
		DisplayName: "walk", FirstPeriod: "2026-01", LastPeriod: "2026-01",
	}})
	if err != nil {
		t.Fatalf("CreateReview: %v", err)
	}
	names["contracts/{contract}/reviews/{review}"] = rv.GetName() // UpdateReview's body is sampled from it
	tasks, err := e.Transition.ListTasks(ctx, &transitionv1.ListTasksRequest{Parent: live.Plan.GetName()})
	if err != nil || len(tasks.GetTasks()) == 0 {
		t.Fatalf("ListTasks: %v, %v", tasks, err)
	}
	names["transitionPlans/{transition_plan}/tasks/{task}"] = tasks.GetTasks()[0].GetName()
	// The handover's kinds (services/transition/handover.go): MeetHandover
	// made one of each on the live plan.
	items, err := e.Transition.ListKnowledgeItems(ctx, &transitionv1.ListKnowledgeItemsRequest{Parent: live.Plan.GetName()})
	if err != nil || len(items.GetKnowledgeItems()) == 0 {
		t.Fatalf("ListKnowledgeItems: %v, %v", items, err)
	}
	names["transitionPlans/{transition_plan}/knowledgeItems/{knowledge_item}"] = items.GetKnowledgeItems()[0].GetName()
	sessions, err := e.Transition.ListTrainingSessions(ctx, &transitionv1.ListTrainingSessionsRequest{Parent: live.Plan.GetName()})
	if err != nil || len(sessions.GetTrainingSessions()) == 0 {
		t.Fatalf("ListTrainingSessions: %v, %v", sessions, err)
	}
	names["transitionPlans/{transition_plan}/trainingSessions/{training_session}"] = sessions.GetTrainingSessions()[0].GetName()
	results, err := e.Transition.ListParallelRunResults(ctx, &transitionv1.ListParallelRunResultsRequest{Parent: live.Plan.GetName()})
	if err != nil || len(results.GetParallelRunResults()) == 0 {
		t.Fatalf("ListParallelRunResults: %v, %v", results, err)
	}
	names["transitionPlans/{transition_plan}/parallelRunResults/{parallel_run_result}"] = results.GetParallelRunResults()[0].GetName()
	for pattern, name := range names {
		if !resourcename.Match(pattern, name) {
			t.Fatalf("world: %s does not match %s", name, pattern)
		}
	}
	return names
}

// snapshot is everything stored: each document at its revision, the
// length of each audit log, and the measurements.
func snapshot(t *testing.T, e *testenv.Env) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for service, db := range e.DB {
		err := db.Read(t.Context(), func(tx *sqlstore.Tx) error {
			rows, err := tx.Query(t.Context(), `SELECT name, revision FROM documents`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var name string
				var rev int64
				if err := rows.Scan(&name, &rev); err != nil {
					return err
				}
				out[service+" "+name] = rev
			}
			var n int64
			if err := tx.QueryRow(t.Context(), `SELECT COUNT(*) FROM audit_events`).Scan(&n); err != nil {
				return err
			}
			out[service+" audit events"] = n
			if service == "monitoring" {
				if err := tx.QueryRow(t.Context(), `SELECT COUNT(*) FROM measurements`).Scan(&n); err != nil {
					return err
				}
				out["measurements"] = n
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// call invokes method with req as an admin (who may call every method),
// streaming the one request to a client-streaming method.
func call(ctx context.Context, conn *grpc.ClientConn, method protoreflect.MethodDescriptor, req proto.Message) error {
	full := fmt.Sprintf("/%s/%s", method.Parent().FullName(), method.Name())
	respType, err := protoregistry.GlobalTypes.FindMessageByName(method.Output().FullName())
	if err != nil {
		return err
	}
	resp := respType.New().Interface()
	if !method.IsStreamingClient() && !method.IsStreamingServer() {
		return conn.Invoke(ctx, full, req, resp)
	}
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: method.IsStreamingClient(), ServerStreams: method.IsStreamingServer()}, full)
	if err != nil {
		return err
	}
	if err := stream.SendMsg(req); err != nil {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	return stream.RecvMsg(resp)
}

// sample reads the resource named name, to send it back whole under
// another name: through the Get method of its service, or, for a resource
// without one, by listing its parent.
func sample(t *testing.T, ctx context.Context, conn *grpc.ClientConn, md protoreflect.MessageDescriptor, name string) proto.Message {
	t.Helper()
	for _, svc := range walkedServices {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(svc)
		if err != nil {
			t.Fatal(err)
		}
		methods := d.(protoreflect.ServiceDescriptor).Methods()
		for i := 0; i < methods.Len(); i++ {
			m := methods.Get(i)
			if m.Output().FullName() == md.FullName() && strings.HasPrefix(string(m.Name()), "Get") {
				resp := invoke(t, ctx, conn, m, "name", name)
				return resp.Interface()
			}
		}
		for i := 0; i < methods.Len(); i++ {
			m := methods.Get(i)
			if !strings.HasPrefix(string(m.Name()), "List") || m.Input().Fields().ByName("parent") == nil {
				continue
			}
			items := m.Output().Fields().Get(0)
			if !items.IsList() || items.Message() == nil || items.Message().FullName() != md.FullName() {
				continue
			}
			list := invoke(t, ctx, conn, m, "parent", parentOf(name)).Get(items).List()
			for j := 0; j < list.Len(); j++ {
				item := list.Get(j).Message()
				if item.Get(md.Fields().ByName("name")).String() == name {
					return item.Interface()
				}
			}
		}
	}
	t.Fatalf("no Get or List method answers %s %s", md.FullName(), name)
	return nil
}

// invoke calls m with one string field set.
func invoke(t *testing.T, ctx context.Context, conn *grpc.ClientConn, m protoreflect.MethodDescriptor, field, value string) protoreflect.Message {
	t.Helper()
	reqType, err := protoregistry.GlobalTypes.FindMessageByName(m.Input().FullName())
	if err != nil {
		t.Fatal(err)
	}
	req := reqType.New()
	req.Set(m.Input().Fields().ByName(protoreflect.Name(field)), protoreflect.ValueOfString(value))
	respType, err := protoregistry.GlobalTypes.FindMessageByName(m.Output().FullName())
	if err != nil {
		t.Fatal(err)
	}
	resp := respType.New()
	if err := conn.Invoke(ctx, fmt.Sprintf("/%s/%s", m.Parent().FullName(), m.Name()), req.Interface(), resp.Interface()); err != nil {
		t.Fatalf("%s(%s = %s): %v", m.Name(), field, value, err)
	}
	return resp
}

// parentOf is the parent of a collection member's name.
func parentOf(name string) string {
	segs := strings.Split(name, "/")
	return strings.Join(segs[:len(segs)-2], "/")
}

func TestEveryMethodRefusesANameOfAnotherKind(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		patterns := resourcePatterns(t)
		names := world(t, e)
		ctx := e.AsRole(t, auth.Admin)
		walked := 0
		for _, svc := range walkedServices {
			d, err := protoregistry.GlobalFiles.FindDescriptorByName(svc)
			if err != nil {
				t.Fatal(err)
			}
			methods := d.(protoreflect.ServiceDescriptor).Methods()
			for i := 0; i < methods.Len(); i++ {
				method := methods.Get(i)
				reqType, err := protoregistry.GlobalTypes.FindMessageByName(method.Input().FullName())
				if err != nil {
					t.Fatal(err)
				}
				for _, tg := range targets(t, method.Input(), patterns) {
					if _, ok := names[tg.pattern]; !ok {
						t.Errorf("%s.%s names a %s, of which the walk has no example: add one to world", method.Name(), tg.path, tg.pattern)
					}
					for pattern, other := range names {
						if pattern == tg.pattern {
							continue
						}
						walked++
						req := reqType.New()
						if tg.body != nil {
							body := sample(t, ctx, e.Conn, tg.body.Message(), names[tg.pattern]).ProtoReflect()
							body.Set(body.Descriptor().Fields().ByName("name"), protoreflect.ValueOfString(other))
							req.Set(tg.body, protoreflect.ValueOfMessage(body))
						} else {
							req.Set(method.Input().Fields().ByName(protoreflect.Name(tg.path)), protoreflect.ValueOfString(other))
						}
						before := snapshot(t, e)
						err := call(ctx, e.Conn, method, req.Interface())
						what := fmt.Sprintf("%s with %s = %s", method.Name(), tg.path, other)
						if status.Code(err) != codes.InvalidArgument {
							t.Errorf("%s: %v, want INVALID_ARGUMENT", what, err)
						} else if fields := violations(err); !slices.Contains(fields, tg.path) {
							t.Errorf("%s: violations on %v, want one on %s (%v)", what, fields, tg.path, err)
						}
						if after := snapshot(t, e); !mapsEqual(before, after) {
							t.Errorf("%s changed what is stored: %s", what, diff(before, after))
						}
					}
				}
			}
		}
		if walked < 100 {
			t.Fatalf("walked %d calls; the descriptors should give far more", walked)
		}
		t.Logf("%d calls, each with a name of another kind, all refused", walked)
	})
}

func violations(err error) []string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func diff(a, b map[string]int64) string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			out = append(out, fmt.Sprintf("%s: %d → %d", k, v, w))
		}
	}
	for k, w := range b {
		if _, ok := a[k]; !ok {
			out = append(out, fmt.Sprintf("%s: new at %d", k, w))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}
