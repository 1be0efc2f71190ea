package provider

import (
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
)

// Action is a state change of a provider.
type Action string

// The actions, one per custom method.
const (
	Suspend  Action = "suspend"
	Block    Action = "block"
	Activate Action = "activate"
)

type transition struct {
	from []catalogv1.ProviderState
	to   catalogv1.ProviderState
}

// transitions is the provider state machine.
var transitions = map[Action]transition{
	Suspend:  {from: []catalogv1.ProviderState{catalogv1.ProviderState_PROVIDER_STATE_ACTIVE}, to: catalogv1.ProviderState_PROVIDER_STATE_SUSPENDED},
	Block:    {from: []catalogv1.ProviderState{catalogv1.ProviderState_PROVIDER_STATE_ACTIVE, catalogv1.ProviderState_PROVIDER_STATE_SUSPENDED}, to: catalogv1.ProviderState_PROVIDER_STATE_BLOCKED},
	Activate: {from: []catalogv1.ProviderState{catalogv1.ProviderState_PROVIDER_STATE_SUSPENDED, catalogv1.ProviderState_PROVIDER_STATE_BLOCKED}, to: catalogv1.ProviderState_PROVIDER_STATE_ACTIVE},
}

// Next returns the state after action from state, or FAILED_PRECONDITION
// naming the current state and the states the action needs.
func Next(state catalogv1.ProviderState, action Action) (catalogv1.ProviderState, error) {
	t := transitions[action]
	var names []string
	for _, s := range t.from {
		if s == state {
			return t.to, nil
		}
		names = append(names, protoenum.Short(s))
	}
	return state, apperr.New(apperr.FailedPrecondition, "cannot %s a provider that is %s; only a provider that is %s can be", action, protoenum.Short(state), strings.Join(names, " or "))
}
