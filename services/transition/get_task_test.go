package transition_test

import (
	"testing"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// TestGetTaskReadsOneTaskAsListTasksWould: a task is read alone, as
// ListTasks shows it, by the readers ListTasks has, and a provider user
// only in its own provider's plans (a task of another provider's plan is
// refused like one that does not exist). spec: transition.md; issue 7 item 9.
func TestGetTaskReadsOneTaskAsListTasksWould(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		s := e.SignedContract(t)
		p := e.TransitionPlan(t, s)
		kickoff := byTitle(listTasks(t, e, p.GetName()))["Transition kick-off"]
		var other string
		for _, prov := range s.Providers {
			if prov.GetName() != s.Provider {
				other = prov.GetName()
			}
		}
		for _, role := range []auth.Role{auth.TransitionManager, auth.Auditor, auth.ContractManager, auth.GovernanceManager} {
			got, err := e.Transition.GetTask(e.AsRole(t, role), &transitionv1.GetTaskRequest{Name: kickoff.GetName()})
			must(t, err)
			if !proto.Equal(got, kickoff) {
				t.Errorf("GetTask as %s: %v, want the listed task %v", role, got, kickoff)
			}
		}
		own, err := e.Transition.GetTask(e.AsProvider(t, s.Provider), &transitionv1.GetTaskRequest{Name: kickoff.GetName()})
		must(t, err)
		if !proto.Equal(own, kickoff) {
			t.Errorf("the plan's provider reads %v, want %v", own, kickoff)
		}

		stranger := e.AsProvider(t, other)
		_, err = e.Transition.GetTask(stranger, &transitionv1.GetTaskRequest{Name: kickoff.GetName()})
		wantMessage(t, err, codes.PermissionDenied, "a provider user may access only its own provider's ("+other+") transition plans")
		_, err = e.Transition.GetTask(stranger, &transitionv1.GetTaskRequest{Name: "transitionPlans/NOPE/tasks/NOPE"})
		wantCode(t, err, codes.PermissionDenied) // missing and foreign look alike

		tm := e.AsRole(t, auth.TransitionManager)
		_, err = e.Transition.GetTask(tm, &transitionv1.GetTaskRequest{Name: p.GetName() + "/tasks/NOPE"})
		wantMessage(t, err, codes.NotFound, p.GetName()+"/tasks/NOPE does not exist")
		_, err = e.Transition.GetTask(tm, &transitionv1.GetTaskRequest{Name: "transitionPlans/NOPE/tasks/NOPE"})
		wantMessage(t, err, codes.NotFound, "transitionPlans/NOPE does not exist")
		_, err = e.Transition.GetTask(tm, &transitionv1.GetTaskRequest{Name: p.GetName()})
		wantViolations(t, err, "name")

		// A change shows in the next read, with its new etag.
		started, err := e.Transition.StartTask(tm, &transitionv1.StartTaskRequest{Name: kickoff.GetName(), Etag: kickoff.GetEtag()})
		must(t, err)
		got, err := e.Transition.GetTask(tm, &transitionv1.GetTaskRequest{Name: kickoff.GetName()})
		must(t, err)
		if got.GetState() != transitionv1.TaskState_TASK_STATE_IN_PROGRESS || got.GetEtag() != started.GetEtag() || got.GetEtag() == kickoff.GetEtag() {
			t.Errorf("after StartTask: %v state %v etag %q, want IN_PROGRESS with the etag StartTask answered, %q", got.GetName(), got.GetState(), got.GetEtag(), started.GetEtag())
		}
	})
}
