package transition

import (
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/listing"
)

// planFilter is ListTransitionPlans' filter: contract, engagement and
// state (ACTIVE or PLAN_STATE_ACTIVE). The provider is how a provider
// user's list is restricted to its own plans, not a filter of callers.
var planFilter = listing.Schema[*transitionv1.TransitionPlan]{Fields: []listing.Field[*transitionv1.TransitionPlan]{
	{Name: "contract", Values: listing.One((*transitionv1.TransitionPlan).GetContract)},
	{Name: "engagement", Values: listing.One((*transitionv1.TransitionPlan).GetEngagement)},
	listing.Enum("state", (*transitionv1.TransitionPlan).GetState),
	{Name: "provider", Values: listing.One((*transitionv1.TransitionPlan).GetProvider), Restriction: true},
}}

// taskFilter is ListTasks' filter: phase, state and owner_side, each with
// or without its enum prefix.
var taskFilter = listing.Schema[*transitionv1.Task]{Fields: []listing.Field[*transitionv1.Task]{
	listing.Enum("phase", (*transitionv1.Task).GetPhase),
	listing.Enum("state", (*transitionv1.Task).GetState),
	listing.Enum("owner_side", (*transitionv1.Task).GetOwnerSide),
}}

// itemFilter is ListKnowledgeItems' filter: kind (SOP or
// KNOWLEDGE_ITEM_KIND_SOP).
var itemFilter = listing.Schema[*transitionv1.KnowledgeItem]{Fields: []listing.Field[*transitionv1.KnowledgeItem]{
	listing.Enum("kind", (*transitionv1.KnowledgeItem).GetKind),
}}

// sessionFilter is ListTrainingSessions' filter: topic.
var sessionFilter = listing.Schema[*transitionv1.TrainingSession]{Fields: []listing.Field[*transitionv1.TrainingSession]{
	{Name: "topic", Values: listing.One((*transitionv1.TrainingSession).GetTopic)},
}}
