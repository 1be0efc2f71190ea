package transition

import (
	"context"
	"fmt"
	"strings"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/transition/plan"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The handover: knowledge items, training sessions and the provider's
// parallel-run results — the facts of the knowledge, training and
// parallel-run gates. Each change is written with its audit record and
// settles the plan (CUTOVER_READY follows the gates) in one transaction.

// planChange runs change on plan planName (kept to a provider user's own
// plans, and not over) in one idempotent transaction, then settles the
// plan's state with the gates.
func planChange[T proto.Message](ctx context.Context, s *Server, method, requestID string, req proto.Message, planName transitionv1.TransitionPlanResourceName,
	change func(tx *sqlstore.Tx, p *transitionv1.TransitionPlan) (T, error)) (T, error) {
	s.reconcileTermination(ctx, planName)
	return sqlstore.RetryConflicts(ctx, func() (T, error) {
		return sqlstore.Idempotent(ctx, s.db, method, requestID, auth.Subject(ctx), req, func(tx *sqlstore.Tx) (T, error) {
			var zero T
			p, v, err := loadPlan(ctx, tx, planName, "")
			if err != nil {
				return zero, err
			}
			// Whoever holds the provider role acts for its provider only,
			// whatever other roles it holds (as for task changes).
			if caller := auth.FromContext(ctx); caller.Has(auth.ProviderUser) && caller.Provider != p.GetProvider() {
				return zero, apperr.New(apperr.PermissionDenied, "a provider user may change only its own provider's (%s) transition plans", caller.Provider)
			}
			if err := plan.CheckEditable(p); err != nil {
				return zero, err
			}
			out, err := change(tx, p)
			if err != nil {
				return zero, err
			}
			tasks, err := loadTasks(ctx, tx, planName)
			if err != nil {
				return zero, err
			}
			if _, err := s.settlePlan(ctx, tx, requestID, p, proto.CloneOf(p), v, tasks); err != nil {
				return zero, err
			}
			return out, nil
		})
	})
}

// readChild reads a document of a plan's collection, after the plan
// itself (so a provider user is kept to its own plans).
func readChild[T proto.Message](ctx context.Context, s *Server, c *docstore.Collection[T], planName transitionv1.TransitionPlanResourceName, name string) (T, error) {
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (T, error) {
		var zero T
		if _, _, err := loadPlan(ctx, tx, planName, ""); err != nil {
			return zero, err
		}
		m, _, err := c.Get(ctx, tx, name)
		return m, err
	})
}

// pageChildren lists a page of a plan's collection, after reading the plan.
func pageChildren[T proto.Message](ctx context.Context, s *Server, c *docstore.Collection[T], parent transitionv1.TransitionPlanResourceName, req docstore.ListRequest) ([]T, string, error) {
	var next string
	page, err := sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) ([]T, error) {
		if _, _, err := loadPlan(ctx, tx, parent, ""); err != nil {
			return nil, err
		}
		page, n, err := c.Page(ctx, tx, req, docstore.Query{Parent: parent.String()})
		next = n
		return page, err
	})
	return page, next, err
}

// countChildren refuses a new document when the plan has maxItems of
// that kind already.
func countChildren[T proto.Message](ctx context.Context, tx *sqlstore.Tx, c *docstore.Collection[T], p *transitionv1.TransitionPlan, what string) error {
	all, err := c.List(ctx, tx, docstore.Query{Parent: p.GetName(), Limit: maxItems + 1})
	if err != nil {
		return err
	}
	if len(all) >= maxItems {
		return apperr.New(apperr.FailedPrecondition, "%s has %d %s, the most a plan may have", p.GetName(), len(all), what)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Knowledge items

// CreateKnowledgeItem implements transitionv1.TransitionServiceServer.
func (s *Server) CreateKnowledgeItem(ctx context.Context, req *transitionv1.CreateKnowledgeItemRequest) (*transitionv1.KnowledgeItem, error) {
	parent, err := names.Parse[transitionv1.TransitionPlanResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	in := proto.CloneOf(req.GetKnowledgeItem())
	fieldmask.ClearOutputOnly(in)
	if err := plan.ValidateKnowledgeItem(in, "knowledge_item"); err != nil {
		return nil, err
	}
	return planChange(ctx, s, transitionv1.TransitionService_CreateKnowledgeItem_FullMethodName, req.GetRequestId(), req, parent,
		func(tx *sqlstore.Tx, p *transitionv1.TransitionPlan) (*transitionv1.KnowledgeItem, error) {
			if err := countChildren(ctx, tx, itemDocs, p, "knowledge items"); err != nil {
				return nil, err
			}
			it := proto.CloneOf(in)
			it.Name = transitionv1.KnowledgeItemResourceName{TransitionPlan: parent.TransitionPlan, KnowledgeItem: names.NewID()}.String()
			now := timestamppb.New(s.now())
			it.CreateTime, it.UpdateTime, it.Etag = now, now, ""
			if err := itemDocs.Insert(ctx, tx, it.GetName(), it); err != nil {
				return nil, err
			}
			return it, audit.Record(ctx, tx, it.GetName(), req.GetRequestId(), nil, it)
		})
}

// GetKnowledgeItem implements transitionv1.TransitionServiceServer.
func (s *Server) GetKnowledgeItem(ctx context.Context, req *transitionv1.GetKnowledgeItemRequest) (*transitionv1.KnowledgeItem, error) {
	name, err := names.Parse[transitionv1.KnowledgeItemResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return readChild(ctx, s, itemDocs, name.TransitionPlanResourceName(), name.String())
}

// ListKnowledgeItems implements transitionv1.TransitionServiceServer.
func (s *Server) ListKnowledgeItems(ctx context.Context, req *transitionv1.ListKnowledgeItemsRequest) (*transitionv1.ListKnowledgeItemsResponse, error) {
	parent, err := names.Parse[transitionv1.TransitionPlanResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	page, next, err := pageChildren(ctx, s, itemDocs, parent, req)
	if err != nil {
		return nil, err
	}
	return &transitionv1.ListKnowledgeItemsResponse{KnowledgeItems: page, NextPageToken: next}, nil
}

// SignOffKnowledgeItem implements transitionv1.TransitionServiceServer.
// The side is the caller's: whoever holds the provider role signs for the
// provider (and only on its own provider's plans: loadPlan), anyone else
// allowed by the policy (the transition manager) for the client. Each side
// signs once; a second signature of the same side is refused, naming who
// signed.
func (s *Server) SignOffKnowledgeItem(ctx context.Context, req *transitionv1.SignOffKnowledgeItemRequest) (*transitionv1.KnowledgeItem, error) {
	name, err := names.Parse[transitionv1.KnowledgeItemResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	caller := auth.FromContext(ctx)
	providerSide := caller.Has(auth.ProviderUser)
	return planChange(ctx, s, transitionv1.TransitionService_SignOffKnowledgeItem_FullMethodName, req.GetRequestId(), req, name.TransitionPlanResourceName(),
		func(tx *sqlstore.Tx, p *transitionv1.TransitionPlan) (*transitionv1.KnowledgeItem, error) {
			before, v, err := itemDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
			if err != nil {
				return nil, err
			}
			it := proto.CloneOf(before)
			now := timestamppb.New(s.now())
			sig := &transitionv1.SignOff{Signer: caller.Subject, SignTime: now}
			side, held := "client", it.GetClientSignOff()
			if providerSide {
				side, held = "provider", it.GetProviderSignOff()
			}
			if held != nil {
				return nil, apperr.New(apperr.FailedPrecondition, "%s is already signed off for the %s by %s on %s; each side signs once",
					name, side, held.GetSigner(), held.GetSignTime().AsTime().UTC().Format("2006-01-02"))
			}
			if providerSide {
				it.ProviderSignOff = sig
			} else {
				it.ClientSignOff = sig
			}
			it.UpdateTime = now
			if err := itemDocs.Update(ctx, tx, it.GetName(), it, v); err != nil {
				return nil, err
			}
			return it, audit.Record(ctx, tx, it.GetName(), req.GetRequestId(), before, it)
		})
}

// ---------------------------------------------------------------------------
// Training sessions

// CreateTrainingSession implements transitionv1.TransitionServiceServer.
func (s *Server) CreateTrainingSession(ctx context.Context, req *transitionv1.CreateTrainingSessionRequest) (*transitionv1.TrainingSession, error) {
	parent, err := names.Parse[transitionv1.TransitionPlanResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	in := proto.CloneOf(req.GetTrainingSession())
	fieldmask.ClearOutputOnly(in)
	if err := plan.ValidateTrainingSession(in, "training_session"); err != nil {
		return nil, err
	}
	return planChange(ctx, s, transitionv1.TransitionService_CreateTrainingSession_FullMethodName, req.GetRequestId(), req, parent,
		func(tx *sqlstore.Tx, p *transitionv1.TransitionPlan) (*transitionv1.TrainingSession, error) {
			if err := countChildren(ctx, tx, sessionDocs, p, "training sessions"); err != nil {
				return nil, err
			}
			ts := proto.CloneOf(in)
			ts.Name = transitionv1.TrainingSessionResourceName{TransitionPlan: parent.TransitionPlan, TrainingSession: names.NewID()}.String()
			now := timestamppb.New(s.now())
			ts.CreateTime, ts.UpdateTime, ts.Etag = now, now, ""
			if err := sessionDocs.Insert(ctx, tx, ts.GetName(), ts); err != nil {
				return nil, err
			}
			return ts, audit.Record(ctx, tx, ts.GetName(), req.GetRequestId(), nil, ts)
		})
}

// GetTrainingSession implements transitionv1.TransitionServiceServer.
func (s *Server) GetTrainingSession(ctx context.Context, req *transitionv1.GetTrainingSessionRequest) (*transitionv1.TrainingSession, error) {
	name, err := names.Parse[transitionv1.TrainingSessionResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return readChild(ctx, s, sessionDocs, name.TransitionPlanResourceName(), name.String())
}

// ListTrainingSessions implements transitionv1.TransitionServiceServer.
func (s *Server) ListTrainingSessions(ctx context.Context, req *transitionv1.ListTrainingSessionsRequest) (*transitionv1.ListTrainingSessionsResponse, error) {
	parent, err := names.Parse[transitionv1.TransitionPlanResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	page, next, err := pageChildren(ctx, s, sessionDocs, parent, req)
	if err != nil {
		return nil, err
	}
	return &transitionv1.ListTrainingSessionsResponse{TrainingSessions: page, NextPageToken: next}, nil
}

// RecordTrainingResults implements transitionv1.TransitionServiceServer.
// Each result names a trainee of the session, once; a result may be
// recorded again (a correction), and the audit log keeps the earlier one.
func (s *Server) RecordTrainingResults(ctx context.Context, req *transitionv1.RecordTrainingResultsRequest) (*transitionv1.TrainingSession, error) {
	name, err := names.Parse[transitionv1.TrainingSessionResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if len(req.GetResults()) == 0 {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "results", Description: "is required: one result per trainee recorded"})
	}
	return planChange(ctx, s, transitionv1.TransitionService_RecordTrainingResults_FullMethodName, req.GetRequestId(), req, name.TransitionPlanResourceName(),
		func(tx *sqlstore.Tx, p *transitionv1.TransitionPlan) (*transitionv1.TrainingSession, error) {
			before, v, err := sessionDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
			if err != nil {
				return nil, err
			}
			ts := proto.CloneOf(before)
			if err := plan.ApplyResults(ts, req.GetResults(), "results"); err != nil {
				return nil, err
			}
			if proto.Equal(before, ts) {
				return before, nil
			}
			ts.UpdateTime = timestamppb.New(s.now())
			if err := sessionDocs.Update(ctx, tx, ts.GetName(), ts, v); err != nil {
				return nil, err
			}
			return ts, audit.Record(ctx, tx, ts.GetName(), req.GetRequestId(), before, ts)
		})
}

// ---------------------------------------------------------------------------
// Parallel-run results

// ReportParallelRunResult implements transitionv1.TransitionServiceServer.
// The provider reports its observed value of a CRITICAL level over the
// parallel run; transition judges it against the target and comparator of
// the contract's level (copied onto the plan when it was created). A new
// report of the same level replaces the earlier one, which the audit log
// keeps. Monitoring never sees these values: its periods start at the
// service commencement, so live periods stay clean.
func (s *Server) ReportParallelRunResult(ctx context.Context, req *transitionv1.ReportParallelRunResultRequest) (*transitionv1.ParallelRunResult, error) {
	parent, err := names.Parse[transitionv1.TransitionPlanResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	in := proto.CloneOf(req.GetParallelRunResult())
	fieldmask.ClearOutputOnly(in)
	key := strings.TrimSpace(in.GetServiceLevel())
	if err := plan.ValidateParallelRunResult(in, "parallel_run_result"); err != nil {
		return nil, err
	}
	caller := auth.FromContext(ctx)
	return planChange(ctx, s, transitionv1.TransitionService_ReportParallelRunResult_FullMethodName, req.GetRequestId(), req, parent,
		func(tx *sqlstore.Tx, p *transitionv1.TransitionPlan) (*transitionv1.ParallelRunResult, error) {
			var level = findLevel(p, key)
			if level == nil {
				var keys []string
				for _, l := range p.GetCriticalServiceLevels() {
					keys = append(keys, l.GetKey())
				}
				return nil, apperr.Invalid(apperr.FieldViolation{Field: "parallel_run_result.service_level",
					Description: fmt.Sprintf("%q is not a CRITICAL level of %s; its CRITICAL levels are %s", key, p.GetContract(), orNone(keys))})
			}
			name := transitionv1.ParallelRunResultResourceName{TransitionPlan: parent.TransitionPlan, ParallelRunResult: key}.String()
			r := proto.CloneOf(in)
			r.Name, r.ServiceLevel, r.Etag = name, key, ""
			r.Target, r.Comparator = level.GetTarget(), level.GetComparator()
			r.Met = plan.Met(r.GetValue(), level.GetComparator(), level.GetTarget())
			r.Reporter = caller.Subject
			r.UpdateTime = timestamppb.New(s.now())
			before, v, err := resultDocs.Get(ctx, tx, name)
			switch {
			case apperr.KindOf(err) == apperr.NotFound:
				before = nil
				err = resultDocs.Insert(ctx, tx, name, r)
			case err == nil:
				err = resultDocs.Update(ctx, tx, name, r, v)
			}
			if err != nil {
				return nil, err
			}
			return r, audit.Record(ctx, tx, name, req.GetRequestId(), before, r)
		})
}

func orNone(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

// GetParallelRunResult implements transitionv1.TransitionServiceServer.
func (s *Server) GetParallelRunResult(ctx context.Context, req *transitionv1.GetParallelRunResultRequest) (*transitionv1.ParallelRunResult, error) {
	name, err := names.Parse[transitionv1.ParallelRunResultResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return readChild(ctx, s, resultDocs, name.TransitionPlanResourceName(), name.String())
}

// ListParallelRunResults implements transitionv1.TransitionServiceServer.
func (s *Server) ListParallelRunResults(ctx context.Context, req *transitionv1.ListParallelRunResultsRequest) (*transitionv1.ListParallelRunResultsResponse, error) {
	parent, err := names.Parse[transitionv1.TransitionPlanResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	page, next, err := pageChildren(ctx, s, resultDocs, parent, req)
	if err != nil {
		return nil, err
	}
	return &transitionv1.ListParallelRunResultsResponse{ParallelRunResults: page, NextPageToken: next}, nil
}

// findLevel returns the plan's CRITICAL level with key, or nil.
func findLevel(p *transitionv1.TransitionPlan, key string) *typev1.ServiceLevel {
	for _, l := range p.GetCriticalServiceLevels() {
		if l.GetKey() == key {
			return l
		}
	}
	return nil
}
