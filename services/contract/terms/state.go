package terms

import (
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
)

// Action is something done to a contract that its state must allow.
type Action string

// The actions. spec: contract.md, "States".
const (
	Edit      Action = "edit"
	Submit    Action = "submit"
	Approve   Action = "approve"
	Reject    Action = "reject"
	Sign      Action = "sign"
	Commence  Action = "record the service commencement of"
	Terminate Action = "terminate"
)

// transition is one row of the state machine: the states an action is
// allowed in, the state it leads to (Sign leads to SIGNED only with both
// signatures, see Signatures), and what the caller should do instead when
// the state forbids it.
type transition struct {
	from []contractv1.ContractState
	to   contractv1.ContractState
	hint string
}

// transitions is the contract state machine, DRAFT → IN_REVIEW → APPROVED
// → SIGNED → TERMINATED, with IN_REVIEW → DRAFT when review sends it back.
// A signed contract changes only by amendment or ends by termination; the
// passing of time moves it SIGNED → ACTIVE → EXPIRED (InTime), not a call.
var transitions = map[Action]transition{
	Edit: {
		from: []contractv1.ContractState{contractv1.ContractState_CONTRACT_STATE_DRAFT},
		to:   contractv1.ContractState_CONTRACT_STATE_DRAFT,
		hint: "only a DRAFT can be edited",
	},
	Submit: {
		from: []contractv1.ContractState{contractv1.ContractState_CONTRACT_STATE_DRAFT},
		to:   contractv1.ContractState_CONTRACT_STATE_IN_REVIEW,
		hint: "only a DRAFT can be submitted for review",
	},
	Approve: {
		from: []contractv1.ContractState{contractv1.ContractState_CONTRACT_STATE_IN_REVIEW},
		to:   contractv1.ContractState_CONTRACT_STATE_APPROVED,
		hint: "only a contract IN_REVIEW can be approved; the contract manager submits the draft first",
	},
	Reject: {
		from: []contractv1.ContractState{contractv1.ContractState_CONTRACT_STATE_IN_REVIEW},
		to:   contractv1.ContractState_CONTRACT_STATE_DRAFT,
		hint: "only a contract IN_REVIEW can be sent back to DRAFT",
	},
	Sign: {
		from: []contractv1.ContractState{contractv1.ContractState_CONTRACT_STATE_APPROVED},
		to:   contractv1.ContractState_CONTRACT_STATE_SIGNED,
		hint: "only an APPROVED contract can be signed; it must be submitted and approved first",
	},
	Commence: {
		from: []contractv1.ContractState{contractv1.ContractState_CONTRACT_STATE_SIGNED, contractv1.ContractState_CONTRACT_STATE_ACTIVE},
		to:   contractv1.ContractState_CONTRACT_STATE_SIGNED, // the state is kept (see RecordCommencement)
		hint: "service can commence only under a SIGNED contract; both parties sign it first",
	},
	Terminate: {
		from: []contractv1.ContractState{contractv1.ContractState_CONTRACT_STATE_SIGNED, contractv1.ContractState_CONTRACT_STATE_ACTIVE},
		to:   contractv1.ContractState_CONTRACT_STATE_TERMINATED,
		hint: "only a SIGNED or ACTIVE contract can be terminated; a contract not yet signed is edited or sent back instead, an expired one has ended",
	},
}

// Next returns the state action leads to from state, or FAILED_PRECONDITION
// naming the current state and what to do.
func Next(state contractv1.ContractState, action Action) (contractv1.ContractState, error) {
	t, ok := transitions[action]
	if !ok {
		return state, apperr.New(apperr.Internal, "unknown contract action %q", action)
	}
	for _, s := range t.from {
		if s == state {
			return t.to, nil
		}
	}
	if state == contractv1.ContractState_CONTRACT_STATE_SIGNED && (action == Edit || action == Submit) {
		// spec: contract.md, "A signed contract never changes in place".
		return state, apperr.New(apperr.FailedPrecondition, "the contract is SIGNED and cannot %s: signed contracts change only by amendment", action)
	}
	return state, apperr.New(apperr.FailedPrecondition, "cannot %s a contract that is %s: %s", action, protoenum.Short(state), t.hint)
}
