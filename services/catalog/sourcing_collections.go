package catalog

// What step 3 keeps, all in the docstore:
//   - sourcingEvents/{e}                                  the event
//   - sourcingEvents/{e}/guard                            a counter every change to the event's proposals or scores bumps,
//     so that two such changes (a late submission and the close, two evaluators' last scores) never interleave
//     (sourcing_guard.go)
//   - sourcingEvents/{e}/proposals/{provider id}          the latest revision of a provider's proposal (one per provider)
//   - sourcingEvents/{e}/proposals/{p}/revisions/{n}      every revision, as submitted
//   - sourcingEvents/{e}/proposals/{p}/evaluations/{sub}  one evaluator's scores (subject path-escaped)
//   - sourcingEvents/{e}/proposals/{p}/moderations/{CRIT} a sourcing manager's confirmation of one criterion's flagged
//     scores, with the lowest and highest score it confirmed (moderation.go)
//
// The scope revision an event was published on is read from where the
// scope keeps its approved revisions (scopeRevisionDocs).

import (
	"net/url"
	"strconv"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/protoenum"
	"go.einride.tech/aip/resourcename"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// sourcingCollections are the collections of step 3.
var sourcingCollections = []docstore.Preparer{eventDocs, guardDocs, proposalDocs, proposalRevisionDocs, evaluationDocs, moderationDocs, notificationDocs}

// eventDocs are the sourcing events. invited_provider and published are
// not for callers: they restrict a provider user's list to the published
// events it is invited to, and what it may read of a scope.
var eventDocs = docstore.Resource(listing.Schema[*catalogv1.SourcingEvent]{Fields: []listing.Field[*catalogv1.SourcingEvent]{
	{Name: "engagement", Values: listing.One((*catalogv1.SourcingEvent).GetEngagement)},
	listing.Enum("state", (*catalogv1.SourcingEvent).GetState),
	{Name: "invited_provider", Values: (*catalogv1.SourcingEvent).GetInvitedProviders, Restriction: true},
	{Name: "published", Values: eventPublished, Restriction: true},
}})

func eventPublished(e *catalogv1.SourcingEvent) []string {
	if e.GetScopeRevision() > 0 {
		return []string{"true"}
	}
	return nil
}

// guardDocs hold each event's guard counter.
var guardDocs = docstore.Internal[*wrapperspb.Int64Value]("sourcingEvents/{sourcing_event}/guard", listing.Schema[*wrapperspb.Int64Value]{})

func guardName(event catalogv1.SourcingEventResourceName) string {
	return resourcename.Sprint(guardDocs.Pattern(), event.SourcingEvent)
}

// proposalDocs are the proposals, each at its latest revision. provider
// restricts a provider user's list to its own.
var proposalDocs = docstore.Resource(listing.Schema[*catalogv1.Proposal]{Fields: []listing.Field[*catalogv1.Proposal]{
	listing.Enum("state", (*catalogv1.Proposal).GetState),
	{Name: "provider", Values: listing.One((*catalogv1.Proposal).GetProvider), Restriction: true},
}})

// A provider has one proposal per event, with its provider's id, so the
// store itself refuses a second one.
func proposalName(event catalogv1.SourcingEventResourceName, provider catalogv1.ProviderResourceName) catalogv1.ProposalResourceName {
	return event.ProposalResourceName(provider.Provider)
}

// proposalProvider is the provider whose proposal p is.
func proposalProvider(p catalogv1.ProposalResourceName) catalogv1.ProviderResourceName {
	return catalogv1.ProviderResourceName{Provider: p.Proposal}
}

// proposalRevisionDocs keep every revision of a proposal as submitted.
var proposalRevisionDocs = docstore.Internal[*catalogv1.Proposal]("sourcingEvents/{sourcing_event}/proposals/{proposal}/revisions/{revision}", listing.Schema[*catalogv1.Proposal]{})

func proposalRevisionName(p catalogv1.ProposalResourceName, n int64) string {
	return resourcename.Sprint(proposalRevisionDocs.Pattern(), p.SourcingEvent, p.Proposal, strconv.FormatInt(n, 10))
}

// evaluationDocs are the evaluators' scores, one per evaluator and
// proposal.
var evaluationDocs = docstore.Internal[*catalogv1.Evaluation]("sourcingEvents/{sourcing_event}/proposals/{proposal}/evaluations/{evaluation}", listing.Schema[*catalogv1.Evaluation]{})

// evaluationName is path-escaped so that any subject is one name segment.
func evaluationName(p catalogv1.ProposalResourceName, evaluator string) string {
	return resourcename.Sprint(evaluationDocs.Pattern(), p.SourcingEvent, p.Proposal, url.PathEscape(evaluator))
}

// moderationDocs are the moderator's confirmations, one per proposal and
// criterion.
var moderationDocs = docstore.Internal[*catalogv1.Moderation]("sourcingEvents/{sourcing_event}/proposals/{proposal}/moderations/{moderation}", listing.Schema[*catalogv1.Moderation]{})

func moderationName(p catalogv1.ProposalResourceName, c catalogv1.Criterion) string {
	return resourcename.Sprint(moderationDocs.Pattern(), p.SourcingEvent, p.Proposal, protoenum.Short(c))
}
