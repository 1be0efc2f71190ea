package monitoring

import (
	"context"
	"fmt"
	"sort"
	"strings"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"github.com/acme/bpo/services/monitoring/review"
	"github.com/oklog/ulid/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// reviewDocs holds the performance reviews, `contracts/{c}/reviews/{r}`:
// nested under the contract they review, so a provider user's access to
// them is its access to the contract. Ids are ULIDs: name order is
// creation order.
var reviewDocs = docstore.Resource(listing.Schema[*monitoringv1.Review]{Fields: []listing.Field[*monitoringv1.Review]{
	listing.Enum("state", (*monitoringv1.Review).GetState),
	listing.Enum("decision", (*monitoringv1.Review).GetDecision),
}})

var decisionOf = map[monitoringv1.ReviewDecision]review.Decision{
	monitoringv1.ReviewDecision_REVIEW_DECISION_CONTINUE:            review.Continue,
	monitoringv1.ReviewDecision_REVIEW_DECISION_IMPROVEMENT_PLAN:    review.ImprovementPlan,
	monitoringv1.ReviewDecision_REVIEW_DECISION_ESCALATE:            review.Escalate,
	monitoringv1.ReviewDecision_REVIEW_DECISION_TERMINATE_FOR_CAUSE: review.TerminateForCause,
}

// CreateReview implements monitoringv1.MonitoringServiceServer. The review
// is pre-filled before its transaction, from what the caller may read:
// each period's statement as EvaluatePeriod answers it (stored for a
// closed period, provisional for an open one), its scorecard, and the
// alerts raised in the range.
func (s *Server) CreateReview(ctx context.Context, req *monitoringv1.CreateReviewRequest) (*monitoringv1.Review, error) {
	parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	in := proto.CloneOf(req.GetReview())
	fieldmask.ClearOutputOnly(in)
	if in.GetDisplayName() == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "review.display_name", Description: "is required: a title such as \"Q3 2026 quarterly review\""})
	}
	first, err1 := evaluation.ParsePeriod(in.GetFirstPeriod())
	last, err2 := evaluation.ParsePeriod(in.GetLastPeriod())
	if err1 != nil || err2 != nil {
		var v apperr.Violations
		if err1 != nil {
			v.Add("review.first_period", "%q is not a month written YYYY-MM", in.GetFirstPeriod())
		}
		if err2 != nil {
			v.Add("review.last_period", "%q is not a month written YYYY-MM", in.GetLastPeriod())
		}
		return nil, v.Err()
	}
	months, err := review.Range(review.Month{Year: first.Year, Month: first.Month}, review.Month{Year: last.Year, Month: last.Month})
	if err != nil {
		return nil, err
	}
	c, err := s.readContract(ctx, parent)
	if err != nil {
		return nil, err
	}
	r := in
	r.Provider = c.GetProvider()
	r.ChronicFailureRight = len(c.GetChronicFailureRights()) > 0
	r.State = monitoringv1.ReviewState_REVIEW_STATE_OPEN
	r.Creator = auth.Subject(ctx)
	normaliseActionItems(r)
	inRange := map[string]bool{}
	for _, m := range months {
		inRange[m.String()] = true
		rp, err := s.reviewPeriod(ctx, parent, m.String())
		if err != nil {
			return nil, err
		}
		r.Periods = append(r.Periods, rp)
	}
	return sqlstore.Idempotent(ctx, s.db, monitoringv1.MonitoringService_CreateReview_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*monitoringv1.Review, error) {
			out := proto.CloneOf(r)
			alerts, err := alertDocs.List(ctx, tx, docstore.Query{Parent: parent.String()})
			if err != nil {
				return nil, err
			}
			byCondition := map[string]int{}
			for _, a := range alerts {
				var pn monitoringv1.PeriodResourceName
				if pn.UnmarshalString(a.GetPeriod()) == nil && inRange[pn.Period] {
					out.AlertCount++
					byCondition[protoenum.Short(a.GetCondition())]++
				}
			}
			for cond, n := range byCondition {
				out.AlertSummary = append(out.AlertSummary, fmt.Sprintf("%s: %d", cond, n))
			}
			sort.Strings(out.AlertSummary)
			for _, p := range out.Periods {
				sc, _, err := scorecardDocs.Get(ctx, tx, monitoringv1.ScorecardResourceName{Contract: parent.Contract, Scorecard: p.GetPeriod()}.String())
				switch {
				case err == nil:
					score := sc.GetScore()
					p.Score = &score
				case apperr.KindOf(err) != apperr.NotFound:
					return nil, err
				}
			}
			out.Name = monitoringv1.ReviewResourceName{Contract: parent.Contract, Review: ulid.Make().String()}.String()
			now := timestamppb.New(s.now())
			out.CreateTime, out.UpdateTime = now, now
			if err := reviewDocs.Insert(ctx, tx, out.GetName(), out); err != nil {
				return nil, err
			}
			return out, audit.Record(ctx, tx, out.GetName(), req.GetRequestId(), nil, out)
		})
}

// reviewPeriod summarises one period of a review from its statement; a
// period with none (not begun, before commencement) says why.
func (s *Server) reviewPeriod(ctx context.Context, contract contractv1.ContractResourceName, period string) (*monitoringv1.ReviewPeriod, error) {
	rp := &monitoringv1.ReviewPeriod{Period: period}
	ev, err := s.EvaluatePeriod(ctx, &monitoringv1.EvaluatePeriodRequest{Name: monitoringv1.PeriodResourceName{Contract: contract.Contract, Period: period}.String()})
	if status.Code(err) == codes.FailedPrecondition || apperr.KindOf(err) == apperr.FailedPrecondition {
		rp.Note = status.Convert(err).Message()
		if e, ok := err.(*apperr.Error); ok {
			rp.Note = e.Message
		}
		return rp, nil
	}
	if err != nil {
		return nil, err
	}
	rp.Provisional = ev.GetProvisional()
	met, evaluated := 0, 0
	for _, r := range ev.GetResults() {
		switch r.GetOutcome() {
		case monitoringv1.Outcome_OUTCOME_MET:
			met++
			evaluated++
		case monitoringv1.Outcome_OUTCOME_MISSED, monitoringv1.Outcome_OUTCOME_NO_DATA:
			evaluated++
			rp.Missed = append(rp.Missed, r.GetKey())
		}
	}
	rp.LevelsMet = fmt.Sprintf("%d of %d", met, evaluated)
	rp.Charges, rp.Credits, rp.Net = ev.GetCharges(), ev.GetCredits(), ev.GetNet()
	return rp, nil
}

// normaliseActionItems makes an unset action item state OPEN.
func normaliseActionItems(r *monitoringv1.Review) {
	for _, a := range r.GetActionItems() {
		if a.GetState() == monitoringv1.ActionItemState_ACTION_ITEM_STATE_UNSPECIFIED {
			a.State = monitoringv1.ActionItemState_ACTION_ITEM_STATE_OPEN
		}
	}
}

// GetReview implements monitoringv1.MonitoringServiceServer.
func (s *Server) GetReview(ctx context.Context, req *monitoringv1.GetReviewRequest) (*monitoringv1.Review, error) {
	name, err := names.Parse[monitoringv1.ReviewResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if _, err := s.readContract(ctx, contractv1.ContractResourceName{Contract: name.Contract}); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*monitoringv1.Review, error) {
		r, _, err := reviewDocs.Get(ctx, tx, name.String())
		return r, err
	})
}

// ListReviews implements monitoringv1.MonitoringServiceServer.
func (s *Server) ListReviews(ctx context.Context, req *monitoringv1.ListReviewsRequest) (*monitoringv1.ListReviewsResponse, error) {
	parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	if _, err := s.readContract(ctx, parent); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*monitoringv1.ListReviewsResponse, error) {
		page, next, err := reviewDocs.Page(ctx, tx, req, docstore.Query{Parent: parent.String()})
		return &monitoringv1.ListReviewsResponse{Reviews: page, NextPageToken: next}, err
	})
}

// UpdateReview implements monitoringv1.MonitoringServiceServer: an open
// review's display_name, findings and action_items; a decided one's
// action_items only (as they are done), since its findings are what the
// decision was taken on.
func (s *Server) UpdateReview(ctx context.Context, req *monitoringv1.UpdateReviewRequest) (*monitoringv1.Review, error) {
	in := req.GetReview()
	name, err := names.Parse[monitoringv1.ReviewResourceName]("review.name", in.GetName())
	if err != nil {
		return nil, err
	}
	if _, err := s.readContract(ctx, contractv1.ContractResourceName{Contract: name.Contract}); err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*monitoringv1.Review, error) {
		return sqlstore.Idempotent(ctx, s.db, monitoringv1.MonitoringService_UpdateReview_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*monitoringv1.Review, error) {
				before, v, err := reviewDocs.GetForChange(ctx, tx, name.String(), in.GetEtag())
				if err != nil {
					return nil, err
				}
				paths := req.GetUpdateMask().GetPaths()
				if before.GetState() == monitoringv1.ReviewState_REVIEW_STATE_DECIDED {
					for _, p := range paths {
						if p != "action_items" && p != "actionItems" && p != "etag" {
							return nil, apperr.New(apperr.FailedPrecondition, "%s is DECIDED (%s): only its action_items may change, not %s", name, protoenum.Short(before.GetDecision()), p)
						}
					}
					if len(paths) == 0 {
						paths = []string{"action_items"}
					}
				}
				r := proto.CloneOf(before)
				if err := fieldmask.Apply(r, in, paths, "create a new review for another range of periods", nil); err != nil {
					return nil, err
				}
				if r.GetDisplayName() == "" {
					return nil, apperr.Invalid(apperr.FieldViolation{Field: "review.display_name", Description: "is required"})
				}
				normaliseActionItems(r)
				if proto.Equal(r, before) {
					return before, nil
				}
				r.UpdateTime = timestamppb.New(s.now())
				if err := reviewDocs.Update(ctx, tx, r.GetName(), r, v); err != nil {
					return nil, err
				}
				return r, audit.Record(ctx, tx, r.GetName(), req.GetRequestId(), before, r)
			})
	})
}

// DecideReview implements monitoringv1.MonitoringServiceServer. Whether
// the contract holds a chronic-failure right is read from the contract
// service now, not from when the review was created: a right recorded
// since (a period closed meanwhile) counts.
func (s *Server) DecideReview(ctx context.Context, req *monitoringv1.DecideReviewRequest) (*monitoringv1.Review, error) {
	name, err := names.Parse[monitoringv1.ReviewResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	c, err := s.readContract(ctx, contractv1.ContractResourceName{Contract: name.Contract})
	if err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*monitoringv1.Review, error) {
		return sqlstore.Idempotent(ctx, s.db, monitoringv1.MonitoringService_DecideReview_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*monitoringv1.Review, error) {
				before, v, err := reviewDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
				if err != nil {
					return nil, err
				}
				if st := before.GetState(); st != monitoringv1.ReviewState_REVIEW_STATE_OPEN {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is %s (%s by %s): a review is decided once; create a new review to decide again",
						name, protoenum.Short(st), protoenum.Short(before.GetDecision()), before.GetDecidedBy())
				}
				open := 0
				for _, a := range before.GetActionItems() {
					if a.GetState() == monitoringv1.ActionItemState_ACTION_ITEM_STATE_OPEN {
						open++
					}
				}
				facts := review.Facts{ChronicFailureRight: len(c.GetChronicFailureRights()) > 0, OpenActionItems: open}
				if err := review.CheckDecision(decisionOf[req.GetDecision()], facts); err != nil {
					return nil, err
				}
				r := proto.CloneOf(before)
				now := timestamppb.New(s.now())
				r.State, r.Decision = monitoringv1.ReviewState_REVIEW_STATE_DECIDED, req.GetDecision()
				r.DecisionRationale = strings.TrimSpace(req.GetRationale())
				r.DecidedBy, r.DecideTime, r.UpdateTime = auth.Subject(ctx), now, now
				r.ChronicFailureRight = facts.ChronicFailureRight
				if err := reviewDocs.Update(ctx, tx, r.GetName(), r, v); err != nil {
					return nil, err
				}
				return r, audit.Record(ctx, tx, r.GetName(), req.GetRequestId(), before, r)
			})
	})
}
