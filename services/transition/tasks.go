package transition

import (
	"context"
	"regexp"
	"strings"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/transition/plan"
	"google.golang.org/protobuf/proto"
)

// taskName is the pattern of a task's resource name.
var taskName = regexp.MustCompile(`^transitionPlans/[0-9A-Za-z-]{1,64}/tasks/[0-9A-Za-z-]{1,64}$`)

// planOfTask returns the plan of a task name (`transitionPlans/{p}`).
func planOfTask(name string) string {
	p, _, _ := strings.Cut(name, "/tasks/")
	return p
}

// CreateTask implements transitionv1.TransitionServiceServer.
func (s *Server) CreateTask(ctx context.Context, req *transitionv1.CreateTaskRequest) (*transitionv1.Task, error) {
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.Task, error) {
		return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_CreateTask_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*transitionv1.Task, error) {
				p, v, tasks, err := editablePlan(ctx, tx, req.GetParent())
				if err != nil {
					return nil, err
				}
				if len(tasks) >= maxTasks {
					return nil, apperr.New(apperr.FailedPrecondition, "%s has %d tasks, the most a plan may have; group small tasks into larger ones", p.GetName(), len(tasks))
				}
				t := plan.NewTask(req.GetTask(), req.GetParent()+"/tasks/"+newID())
				if err := plan.NewGraph(p.GetName(), tasks).ValidateTask(t, "task"); err != nil {
					return nil, err
				}
				if err := docstore.Insert(ctx, tx, t.GetName(), t, plan.TaskFacets(t)); err != nil {
					return nil, err
				}
				if err := audit.Record(ctx, tx, t.GetName(), req.GetRequestId(), nil, t); err != nil {
					return nil, err
				}
				if _, err := s.settlePlan(ctx, tx, req.GetRequestId(), p, clone(p), v, append(tasks, t)); err != nil {
					return nil, err
				}
				return t, nil
			})
	})
}

// editablePlan reads the plan name (kept to a provider user's own), read
// at the returned version, with its tasks, and refuses when its tasks can
// no longer be edited.
func editablePlan(ctx context.Context, tx *sqlstore.Tx, name string) (*transitionv1.TransitionPlan, sqlstore.Version, []*transitionv1.Task, error) {
	p := &transitionv1.TransitionPlan{}
	v, err := loadPlan(ctx, tx, name, p)
	if err != nil {
		return nil, v, nil, err
	}
	if err := plan.CheckEditable(p); err != nil {
		return nil, v, nil, err
	}
	tasks, err := loadTasks(ctx, tx, name)
	return p, v, tasks, err
}

// ListTasks implements transitionv1.TransitionServiceServer.
func (s *Server) ListTasks(ctx context.Context, req *transitionv1.ListTasksRequest) (*transitionv1.ListTasksResponse, error) {
	filter, err := listing.ParseFilter(req.GetFilter(), plan.TaskFilterFields...)
	if err != nil {
		return nil, err
	}
	for i := range filter {
		filter[i].Value = plan.NormalizeTaskValue(filter[i].Field, filter[i].Value)
	}
	// Task ids are ULIDs made in template order, so name order is plan order.
	q := docstore.Query{Kind: "tasks", Parent: req.GetParent(), Terms: filter}
	resp := &transitionv1.ListTasksResponse{}
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		if _, err := loadPlan(ctx, tx, req.GetParent(), &transitionv1.TransitionPlan{}); err != nil {
			return err
		}
		resp.Tasks, resp.NextPageToken, err = docstore.Page(ctx, tx, q, req.GetPageSize(), req.GetPageToken(), req.GetParent()+"?"+req.GetFilter(),
			func() *transitionv1.Task { return &transitionv1.Task{} }, (*transitionv1.Task).GetName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// UpdateTask implements transitionv1.TransitionServiceServer.
func (s *Server) UpdateTask(ctx context.Context, req *transitionv1.UpdateTaskRequest) (*transitionv1.Task, error) {
	in := req.GetTask()
	if !taskName.MatchString(in.GetName()) {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "task.name", Description: "must be transitionPlans/{plan}/tasks/{task}"})
	}
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.Task, error) {
		return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_UpdateTask_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*transitionv1.Task, error) {
				p, pv, tasks, err := editablePlan(ctx, tx, planOfTask(in.GetName()))
				if err != nil {
					return nil, err
				}
				before := &transitionv1.Task{}
				v, err := docstore.GetCurrent(ctx, tx, in.GetName(), in.GetEtag(), before)
				if err != nil {
					return nil, err
				}
				t := clone(before)
				if err := plan.ApplyTaskMask(t, in, req.GetUpdateMask().GetPaths()); err != nil {
					return nil, err
				}
				if err := plan.NewGraph(p.GetName(), tasks).ValidateTask(t, "task"); err != nil {
					return nil, err
				}
				if t.GetState() == transitionv1.TaskState_TASK_STATE_DONE {
					if err := plan.CheckDependenciesFinished(t, byName(tasks)); err != nil {
						return nil, err
					}
				}
				if proto.Equal(before, t) {
					return before, nil // nothing changed: no new version, no audit record
				}
				if err := docstore.Update(ctx, tx, t.GetName(), t, v, plan.TaskFacets(t)); err != nil {
					return nil, err
				}
				if err := audit.Record(ctx, tx, t.GetName(), req.GetRequestId(), before, t); err != nil {
					return nil, err
				}
				if _, err := s.settlePlan(ctx, tx, req.GetRequestId(), p, clone(p), pv, replace(tasks, t)); err != nil {
					return nil, err
				}
				return t, nil
			})
	})
}

// replace returns tasks with the one named like t replaced by t.
func replace(tasks []*transitionv1.Task, t *transitionv1.Task) []*transitionv1.Task {
	out := make([]*transitionv1.Task, len(tasks))
	for i, x := range tasks {
		if x.GetName() == t.GetName() {
			x = t
		}
		out[i] = x
	}
	return out
}

// byName indexes tasks by name.
func byName(tasks []*transitionv1.Task) map[string]*transitionv1.Task {
	out := make(map[string]*transitionv1.Task, len(tasks))
	for _, t := range tasks {
		out[t.GetName()] = t
	}
	return out
}

// taskChange is what the requests of the task state changes share.
type taskChange interface {
	proto.Message
	GetName() string
	GetEtag() string
	GetRequestId() string
}

// changeTask runs one task state change: the caller may take it (role,
// provider, owner side), the etag matches, the plan is under way, the state
// machine allows it, and for completion every dependency is finished. The
// task gets its actual start or finish, and the plan its counts.
func (s *Server) changeTask(ctx context.Context, method string, req taskChange, action plan.Action, reason string) (*transitionv1.Task, error) {
	caller := auth.FromContext(ctx)
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.Task, error) {
		return sqlstore.Idempotent(ctx, s.db, method, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*transitionv1.Task, error) {
				p := &transitionv1.TransitionPlan{}
				pv, err := loadPlan(ctx, tx, planOfTask(req.GetName()), p)
				if err != nil {
					return nil, err
				}
				before := &transitionv1.Task{}
				v, err := docstore.Get(ctx, tx, req.GetName(), before)
				if err != nil {
					return nil, err
				}
				if err := plan.Authorize(caller, action, before, p.GetProvider()); err != nil {
					return nil, err
				}
				if err := sqlstore.CheckETag(req.GetName(), req.GetEtag(), before.GetEtag()); err != nil {
					return nil, err
				}
				if err := plan.CheckWorking(p); err != nil {
					return nil, err
				}
				next, err := plan.NextTaskState(before, action)
				if err != nil {
					return nil, err
				}
				tasks, err := loadTasks(ctx, tx, p.GetName())
				if err != nil {
					return nil, err
				}
				if action == plan.Complete {
					if err := plan.CheckDependenciesFinished(before, byName(tasks)); err != nil {
						return nil, err
					}
				}
				now := timestamp(s.now())
				t := clone(before)
				t.State, t.StateReason = next, strings.TrimSpace(reason)
				switch next {
				case transitionv1.TaskState_TASK_STATE_IN_PROGRESS:
					if t.ActualStart == nil { // resuming a blocked task keeps its start
						t.ActualStart = now
					}
				case transitionv1.TaskState_TASK_STATE_DONE:
					t.ActualFinish = now
				}
				if err := docstore.Update(ctx, tx, t.GetName(), t, v, plan.TaskFacets(t)); err != nil {
					return nil, err
				}
				if err := audit.Record(ctx, tx, t.GetName(), req.GetRequestId(), before, t); err != nil {
					return nil, err
				}
				if _, err := s.settlePlan(ctx, tx, req.GetRequestId(), p, clone(p), pv, replace(tasks, t)); err != nil {
					return nil, err
				}
				return t, nil
			})
	})
}

// StartTask implements transitionv1.TransitionServiceServer.
func (s *Server) StartTask(ctx context.Context, req *transitionv1.StartTaskRequest) (*transitionv1.Task, error) {
	return s.changeTask(ctx, transitionv1.TransitionService_StartTask_FullMethodName, req, plan.Start, "")
}

// CompleteTask implements transitionv1.TransitionServiceServer.
func (s *Server) CompleteTask(ctx context.Context, req *transitionv1.CompleteTaskRequest) (*transitionv1.Task, error) {
	return s.changeTask(ctx, transitionv1.TransitionService_CompleteTask_FullMethodName, req, plan.Complete, "")
}

// SkipTask implements transitionv1.TransitionServiceServer. A skipped task
// gets no actual dates: no work was done.
func (s *Server) SkipTask(ctx context.Context, req *transitionv1.SkipTaskRequest) (*transitionv1.Task, error) {
	if strings.TrimSpace(req.GetReason()) == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "reason", Description: "is required: say why the task is skipped"})
	}
	return s.changeTask(ctx, transitionv1.TransitionService_SkipTask_FullMethodName, req, plan.Skip, req.GetReason())
}

// BlockTask implements transitionv1.TransitionServiceServer. The reason
// says what blocks the task (spec: "BLOCKED (with reason)"); StartTask
// resumes it, clearing the reason and keeping an actual start it had.
func (s *Server) BlockTask(ctx context.Context, req *transitionv1.BlockTaskRequest) (*transitionv1.Task, error) {
	if strings.TrimSpace(req.GetReason()) == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "reason", Description: "is required: say what blocks the task"})
	}
	return s.changeTask(ctx, transitionv1.TransitionService_BlockTask_FullMethodName, req, plan.Block, req.GetReason())
}
