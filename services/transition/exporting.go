package transition

import (
	"context"
	"fmt"
	"strings"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/services/transition/export"
	"github.com/acme/bpo/services/transition/plan"
	"google.golang.org/genproto/googleapis/api/httpbody"
)

// ExportSchedule implements transitionv1.TransitionServiceServer: the
// schedule as GetSchedule computes it, rendered as CSV or as an SVG Gantt
// chart. The answer is a google.api.HttpBody, so the gateway serves it as
// the file itself (Content-Type text/csv or image/svg+xml), and gRPC
// callers get the same bytes.
func (s *Server) ExportSchedule(ctx context.Context, req *transitionv1.ExportScheduleRequest) (*httpbody.HttpBody, error) {
	sched, err := names.Parse[transitionv1.ScheduleResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	format := strings.ToLower(strings.TrimSpace(req.GetFormat()))
	if format != "csv" && format != "svg" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "format", Description: fmt.Sprintf("%q is not a format; choose csv or svg", req.GetFormat())})
	}
	asOf, err := asOfDate(req.GetAsOf())
	if err != nil {
		return nil, err
	}
	name := sched.TransitionPlanResourceName()
	s.reconcileTermination(ctx, name)
	p, tasks, out, err := s.schedule(ctx, name, asOf)
	if err != nil {
		return nil, err
	}
	rows := make([]export.Row, len(out.GetTasks()))
	for i, st := range out.GetTasks() {
		t := tasks[i]
		r := export.Row{
			Task: st.GetTask(), Title: st.GetTitle(), Phase: protoenum.Short(t.GetPhase()), State: protoenum.Short(st.GetState()),
			Owner: protoenum.Short(t.GetOwnerSide()), Duration: int(t.GetDurationDays()),
			Slack: int(st.GetSlackDays()), Critical: st.GetCritical(),
		}
		r.EarlyStart, _ = plan.Day(st.GetEarliestStart())
		r.EarlyFinish, _ = plan.Day(st.GetEarliestFinish())
		r.LateStart, _ = plan.Day(st.GetLatestStart())
		r.LateFinish, _ = plan.Day(st.GetLatestFinish())
		r.BaselineStart, _ = plan.Day(st.GetBaselineStart())
		r.BaselineFinish, _ = plan.Day(st.GetBaselineFinish())
		if st.VarianceDays != nil {
			r.Variance, r.HasVariance = int(st.GetVarianceDays()), true
		}
		rows[i] = r
	}
	if format == "csv" {
		return &httpbody.HttpBody{ContentType: "text/csv; charset=utf-8", Data: export.CSV(rows)}, nil
	}
	c := export.Chart{Title: fmt.Sprintf("%s — %s (%s)", p.GetName(), p.GetTemplate(), protoenum.Short(p.GetState())), Rows: rows}
	c.GoLive, _ = plan.Day(out.GetForecastGoLive())
	c.Target, _ = plan.Day(p.GetTargetGoLive())
	c.AsOf = asOf
	return &httpbody.HttpBody{ContentType: "image/svg+xml", Data: export.SVG(c)}, nil
}
