package transition

import (
	"context"
	"strings"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/transition/plan"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// CreateTask implements transitionv1.TransitionServiceServer.
func (s *Server) CreateTask(ctx context.Context, req *transitionv1.CreateTaskRequest) (*transitionv1.Task, error) {
	parent, err := names.Parse[transitionv1.TransitionPlanResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	s.reconcileTermination(ctx, parent)
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.Task, error) {
		return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_CreateTask_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*transitionv1.Task, error) {
				p, v, tasks, err := editablePlan(ctx, tx, parent)
				if err != nil {
					return nil, err
				}
				if len(tasks) >= maxTasks {
					return nil, apperr.New(apperr.FailedPrecondition, "%s has %d tasks, the most a plan may have; group small tasks into larger ones", p.GetName(), len(tasks))
				}
				name := transitionv1.TaskResourceName{TransitionPlan: parent.TransitionPlan, Task: names.NewID()}
				t := plan.NewTask(req.GetTask(), name.String())
				if err := plan.NewGraph(parent, tasks).ValidateTask(t, "task"); err != nil {
					return nil, err
				}
				if err := taskDocs.Insert(ctx, tx, t.GetName(), t); err != nil {
					return nil, err
				}
				if err := audit.Record(ctx, tx, t.GetName(), req.GetRequestId(), nil, t); err != nil {
					return nil, err
				}
				if _, err := s.settlePlan(ctx, tx, req.GetRequestId(), p, proto.CloneOf(p), v, append(tasks, t)); err != nil {
					return nil, err
				}
				return t, nil
			})
	})
}

// editablePlan reads the plan name (kept to a provider user's own), read
// at the returned version, with its tasks, and refuses when its tasks can
// no longer be edited.
func editablePlan(ctx context.Context, tx *sqlstore.Tx, name transitionv1.TransitionPlanResourceName) (*transitionv1.TransitionPlan, sqlstore.Version, []*transitionv1.Task, error) {
	p, v, err := loadPlan(ctx, tx, name, "")
	if err != nil {
		return nil, v, nil, err
	}
	if err := plan.CheckEditable(p); err != nil {
		return nil, v, nil, err
	}
	tasks, err := loadTasks(ctx, tx, name)
	return p, v, tasks, err
}

// GetTask implements transitionv1.TransitionServiceServer. The plan is
// read first, as ListTasks does, so that a provider user is kept to its own
// provider's plans, and a task of another provider's plan is refused just
// like a plan that does not exist.
func (s *Server) GetTask(ctx context.Context, req *transitionv1.GetTaskRequest) (*transitionv1.Task, error) {
	name, err := names.Parse[transitionv1.TaskResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*transitionv1.Task, error) {
		if _, _, err := loadPlan(ctx, tx, name.TransitionPlanResourceName(), ""); err != nil {
			return nil, err
		}
		t, _, err := taskDocs.Get(ctx, tx, name.String())
		return t, err
	})
}

// ListTasks implements transitionv1.TransitionServiceServer.
func (s *Server) ListTasks(ctx context.Context, req *transitionv1.ListTasksRequest) (*transitionv1.ListTasksResponse, error) {
	parent, err := names.Parse[transitionv1.TransitionPlanResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*transitionv1.ListTasksResponse, error) {
		if _, _, err := loadPlan(ctx, tx, parent, ""); err != nil {
			return nil, err
		}
		page, next, err := taskDocs.Page(ctx, tx, req, docstore.Query{Parent: parent.String()})
		return &transitionv1.ListTasksResponse{Tasks: page, NextPageToken: next}, err
	})
}

// UpdateTask implements transitionv1.TransitionServiceServer.
func (s *Server) UpdateTask(ctx context.Context, req *transitionv1.UpdateTaskRequest) (*transitionv1.Task, error) {
	in := req.GetTask()
	name, err := names.Parse[transitionv1.TaskResourceName]("task.name", in.GetName())
	if err != nil {
		return nil, err
	}
	s.reconcileTermination(ctx, name.TransitionPlanResourceName())
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.Task, error) {
		return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_UpdateTask_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*transitionv1.Task, error) {
				p, pv, tasks, err := editablePlan(ctx, tx, name.TransitionPlanResourceName())
				if err != nil {
					return nil, err
				}
				before, v, err := taskDocs.GetForChange(ctx, tx, name.String(), in.GetEtag())
				if err != nil {
					return nil, err
				}
				t := proto.CloneOf(before)
				if err := plan.ApplyTaskMask(t, in, req.GetUpdateMask().GetPaths()); err != nil {
					return nil, err
				}
				if err := plan.NewGraph(name.TransitionPlanResourceName(), tasks).ValidateTask(t, "task"); err != nil {
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
				if err := taskDocs.Update(ctx, tx, t.GetName(), t, v); err != nil {
					return nil, err
				}
				if err := audit.Record(ctx, tx, t.GetName(), req.GetRequestId(), before, t); err != nil {
					return nil, err
				}
				if _, err := s.settlePlan(ctx, tx, req.GetRequestId(), p, proto.CloneOf(p), pv, replace(tasks, t)); err != nil {
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

// actualDated is a task change that may carry the day the work actually
// started or finished (StartTask, CompleteTask).
type actualDated interface {
	GetActualDate() *date.Date
}

// changeTask runs one task state change: the etag matches, the caller may
// take it (the policy checked the role; the provider and owner side are
// checked here), the plan is under way, the state machine allows it, and
// for completion every dependency is finished. The task gets its actual
// start or finish, and the plan its counts.
func (s *Server) changeTask(ctx context.Context, method string, req taskChange, action plan.Action, reason string) (*transitionv1.Task, error) {
	name, err := names.Parse[transitionv1.TaskResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	caller := taskCaller(auth.FromContext(ctx))
	var actual *date.Date
	if d, ok := req.(actualDated); ok && d.GetActualDate() != nil {
		actual = d.GetActualDate()
		if _, ok := plan.Day(actual); !ok {
			return nil, apperr.Invalid(apperr.FieldViolation{Field: "actual_date", Description: "is not a full calendar date"})
		}
	}
	s.reconcileTermination(ctx, name.TransitionPlanResourceName())
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.Task, error) {
		return sqlstore.Idempotent(ctx, s.db, method, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*transitionv1.Task, error) {
				p, pv, err := loadPlan(ctx, tx, name.TransitionPlanResourceName(), "")
				if err != nil {
					return nil, err
				}
				before, v, err := taskDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
				if err != nil {
					return nil, err
				}
				if err := plan.Authorize(caller, action, before, p.GetProvider()); err != nil {
					return nil, err
				}
				if err := plan.CheckWorking(p); err != nil {
					return nil, err
				}
				next, err := plan.NextTaskState(before, action)
				if err != nil {
					return nil, err
				}
				tasks, err := loadTasks(ctx, tx, name.TransitionPlanResourceName())
				if err != nil {
					return nil, err
				}
				if action == plan.Complete {
					if err := plan.CheckDependenciesFinished(before, byName(tasks)); err != nil {
						return nil, err
					}
				}
				when, err := plan.ActualTime(p, before, action, actual, s.now())
				if err != nil {
					return nil, err
				}
				t := proto.CloneOf(before)
				t.State, t.StateReason = next, strings.TrimSpace(reason)
				switch next {
				case transitionv1.TaskState_TASK_STATE_IN_PROGRESS:
					if t.ActualStart == nil { // resuming a blocked task keeps its start
						t.ActualStart = timestamppb.New(when)
					}
				case transitionv1.TaskState_TASK_STATE_DONE:
					t.ActualFinish = timestamppb.New(when)
				}
				if err := taskDocs.Update(ctx, tx, t.GetName(), t, v); err != nil {
					return nil, err
				}
				if err := audit.Record(ctx, tx, t.GetName(), req.GetRequestId(), before, t); err != nil {
					return nil, err
				}
				if _, err := s.settlePlan(ctx, tx, req.GetRequestId(), p, proto.CloneOf(p), pv, replace(tasks, t)); err != nil {
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

// DeleteTask implements transitionv1.TransitionServiceServer. A task that
// other tasks depend on is refused, naming them (remove those dependencies
// first); so is a task that has started or finished (its actual dates are
// the plan's history: skip it instead). The deletion is audited with the
// task as it was.
func (s *Server) DeleteTask(ctx context.Context, req *transitionv1.DeleteTaskRequest) (*emptypb.Empty, error) {
	name, err := names.Parse[transitionv1.TaskResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	s.reconcileTermination(ctx, name.TransitionPlanResourceName())
	return sqlstore.RetryConflicts(ctx, func() (*emptypb.Empty, error) {
		return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_DeleteTask_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*emptypb.Empty, error) {
				p, pv, tasks, err := editablePlan(ctx, tx, name.TransitionPlanResourceName())
				if err != nil {
					return nil, err
				}
				before, v, err := taskDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
				if err != nil {
					return nil, err
				}
				if err := plan.CheckDeletable(before, tasks); err != nil {
					return nil, err
				}
				if err := taskDocs.Delete(ctx, tx, before.GetName(), v); err != nil {
					return nil, err
				}
				if err := audit.Record(ctx, tx, before.GetName(), req.GetRequestId(), before, nil); err != nil {
					return nil, err
				}
				rest := make([]*transitionv1.Task, 0, len(tasks))
				for _, t := range tasks {
					if t.GetName() != before.GetName() {
						rest = append(rest, t)
					}
				}
				if _, err := s.settlePlan(ctx, tx, req.GetRequestId(), p, proto.CloneOf(p), pv, rest); err != nil {
					return nil, err
				}
				return &emptypb.Empty{}, nil
			})
	})
}
