package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/services/monitoring/report"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// The monitoring routes the gateway serves itself, over the monitoring
// connection (so every call goes through the gRPC stack: token, roles,
// logs and metrics as for any route): alerts as Server-Sent Events, a
// period statement as CSV, a service level's trend as an SVG chart.
// spec: monitoring.md "Early warning" (WatchAlerts also as Server-Sent
// Events through the gateway), "Scorecards and reviews" (reports).
const (
	watchAlertsPath  = "/v1/{parent=contracts/*}/alerts:watch"
	statementCSVPath = "/v1/contracts/{contract}/periods/{period}/statement.csv"
	trendSVGPath     = "/v1/contracts/{contract}/serviceLevels/{key}/trend.svg"
)

// watchOpenHeader is the header WatchAlerts sends once the watch is
// authorised (monitoring.WatchOpenHeader): without it the stream failed.
const watchOpenHeader = "bpo-watch-open"

// sseKeepAlive is how often an idle event stream gets a comment line, so
// proxies and load balancers do not close it as idle.
const sseKeepAlive = 15 * time.Second

// monitoringRoutes adds the routes above to the gateway's muxes. They are
// registered after the generated ones, so the event stream replaces
// grpc-gateway's newline-delimited JSON for `alerts:watch`.
func (g *gateway) monitoringRoutes(conn *grpc.ClientConn) error {
	client := monitoringv1.NewMonitoringServiceClient(conn)
	for _, r := range []struct {
		path string
		h    runtime.HandlerFunc
	}{
		{watchAlertsPath, g.watchAlerts(client)},
		{statementCSVPath, g.statementCSV(client)},
		{trendSVGPath, g.trendSVG(client)},
	} {
		if err := g.mux.HandlePath(http.MethodGet, r.path, r.h); err != nil {
			return fmt.Errorf("route %s: %w", r.path, err)
		}
		if err := g.probe.HandlePath(http.MethodGet, r.path, func(http.ResponseWriter, *http.Request, map[string]string) {}); err != nil {
			return fmt.Errorf("route %s: %w", r.path, err)
		}
	}
	return nil
}

// call prepares the context of a call to method for r (the caller's
// token and request id forwarded as grpc-gateway forwards them), or
// answers the error itself.
func (g *gateway) call(w http.ResponseWriter, r *http.Request, method, path string) (context.Context, bool) {
	ctx, err := runtime.AnnotateContext(r.Context(), g.mux, r, method, runtime.WithHTTPPathPattern(path))
	if err != nil {
		g.answerError(w, r, err)
		return nil, false
	}
	return ctx, true
}

// answerError answers err as every gateway error is answered (JSON
// google.rpc.Status with the standard HTTP mapping).
func (g *gateway) answerError(w http.ResponseWriter, r *http.Request, err error) {
	_, out := runtime.MarshalerForRequest(g.mux, r)
	runtime.HTTPError(r.Context(), g.mux, out, w, r, err)
}

// watchAlerts serves WatchAlerts as Server-Sent Events: each alert is an
// event `alert` whose id is its cursor and whose data is the AlertEvent as
// JSON; a client that reconnects with `Last-Event-ID` (or
// `?after_cursor=`) resumes after it. An error before the stream starts
// is answered as any other (401, 403, 404, …); one after it is an event
// `error` with the google.rpc.Status as data, and the stream ends.
func (g *gateway) watchAlerts(client monitoringv1.MonitoringServiceClient) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		flusher, ok := w.(http.Flusher)
		if !ok {
			g.answerError(w, r, status.Error(codes.Unimplemented, "this connection cannot stream events"))
			return
		}
		ctx, ok := g.call(w, r, monitoringv1.MonitoringService_WatchAlerts_FullMethodName, watchAlertsPath)
		if !ok {
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cursor := r.Header.Get("Last-Event-ID")
		if cursor == "" {
			cursor = r.URL.Query().Get("after_cursor")
		}
		stream, err := client.WatchAlerts(ctx, &monitoringv1.WatchAlertsRequest{Parent: params["parent"], AfterCursor: cursor})
		if err != nil {
			g.answerError(w, r, err)
			return
		}
		// The service sends its headers once the caller is authorised and
		// the contract found; without them the stream ended with an error.
		md, err := stream.Header()
		if err == nil && len(md.Get(watchOpenHeader)) == 0 {
			if _, err = stream.Recv(); err == nil {
				err = status.Error(codes.Internal, "the alert stream did not start")
			}
		}
		if err != nil {
			g.answerError(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "retry: 2000\n\n")
		flusher.Flush()

		type received struct {
			e   *monitoringv1.AlertEvent
			err error
		}
		events := make(chan received)
		go func() {
			for {
				e, err := stream.Recv()
				select {
				case events <- received{e, err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}()
		ping := time.NewTicker(sseKeepAlive)
		defer ping.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ping.C:
				fmt.Fprint(w, ": keep-alive\n\n")
			case got := <-events:
				if got.err != nil {
					data, _ := protojson.Marshal(status.Convert(got.err).Proto())
					fmt.Fprintf(w, "event: error\ndata: %s\n\n", data)
					flusher.Flush()
					return
				}
				data, err := protojson.Marshal(got.e)
				if err != nil {
					return
				}
				fmt.Fprintf(w, "id: %s\nevent: alert\ndata: %s\n\n", got.e.GetCursor(), data)
			}
			flusher.Flush()
		}
	}
}

// statementCSV serves a period's statement (EvaluatePeriod: the stored
// statement of a closed period, the provisional one of an open period) as
// CSV, one line per statement line.
func (g *gateway) statementCSV(client monitoringv1.MonitoringServiceClient) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		ctx, ok := g.call(w, r, monitoringv1.MonitoringService_EvaluatePeriod_FullMethodName, statementCSVPath)
		if !ok {
			return
		}
		name := monitoringv1.PeriodResourceName{Contract: params["contract"], Period: params["period"]}
		ev, err := client.EvaluatePeriod(ctx, &monitoringv1.EvaluatePeriodRequest{Name: name.String()})
		if err != nil {
			g.answerError(w, r, err)
			return
		}
		b, err := report.StatementCSV(params["period"], ev)
		if err != nil {
			g.answerError(w, r, status.Error(codes.Internal, "the statement could not be written as CSV"))
			return
		}
		writeFile(w, "text/csv; charset=utf-8", fmt.Sprintf("statement-%s-%s.csv", params["contract"], params["period"]), b)
	}
}

// trendSVG serves a service level's trend (GetServiceLevelTrend; `?periods=`
// as there) as an SVG chart.
func (g *gateway) trendSVG(client monitoringv1.MonitoringServiceClient) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		ctx, ok := g.call(w, r, monitoringv1.MonitoringService_GetServiceLevelTrend_FullMethodName, trendSVGPath)
		if !ok {
			return
		}
		req := &monitoringv1.GetServiceLevelTrendRequest{Name: "contracts/" + params["contract"], ServiceLevelKey: params["key"]}
		if p := r.URL.Query().Get("periods"); p != "" {
			n, err := strconv.ParseInt(p, 10, 32)
			if err != nil {
				g.answerError(w, r, status.Error(codes.InvalidArgument, "periods must be a whole number of periods (at most 36)"))
				return
			}
			req.Periods = int32(n)
		}
		trend, err := client.GetServiceLevelTrend(ctx, req)
		if err != nil {
			g.answerError(w, r, err)
			return
		}
		b, err := report.TrendSVG(trend)
		if err != nil {
			g.answerError(w, r, status.Error(codes.FailedPrecondition, err.Error()))
			return
		}
		writeFile(w, "image/svg+xml", fmt.Sprintf("trend-%s-%s.svg", params["contract"], params["key"]), b)
	}
}

// writeFile answers b as a file a browser shows (inline) and saves under
// filename.
func writeFile(w http.ResponseWriter, contentType, filename string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", "inline; filename*=UTF-8''"+url.PathEscape(filename))
	h.Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}
