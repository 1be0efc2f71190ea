package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// readiness answers GET /readyz with the health of each service behind the
// gateway, one line each ("contract: DOWN"), probed concurrently with
// grpc.health.v1 over the gateway's own connections.
//
// One service down does not make the gateway unready: its routes answer
// 503 naming it while the other services' routes work, and taking every
// gateway replica out of its load balancer would turn those working routes
// into connection errors too. The answer is 503 only when the gateway
// can serve nothing: its own lifecycle view is down, or all four services
// are. With ?strict=true it is 503 when any one is down — for a start-up
// script that waits for the whole platform, not for a readiness probe.
func readiness(up Upstreams) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		ups := up.all()
		serving := make([]bool, len(ups))
		var wg sync.WaitGroup
		for i, u := range ups {
			wg.Go(func() {
				resp, err := healthpb.NewHealthClient(u.conn).Check(ctx, &healthpb.HealthCheckRequest{})
				serving[i] = err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING
			})
		}
		wg.Wait()
		var down, lines []string
		servicesUp, own := 0, true
		for i, u := range ups {
			state := "SERVING"
			switch {
			case !serving[i]:
				state = "DOWN"
				down = append(down, u.name)
				if u.name == "lifecycle" {
					own = false
				}
			case u.name != "lifecycle":
				servicesUp++
			}
			lines = append(lines, fmt.Sprintf("%s: %s", u.name, state))
		}
		code, head := http.StatusOK, "ok"
		if len(down) > 0 {
			head = "degraded: " + strings.Join(down, ", ") + " down; their routes answer 503"
			if !own || servicesUp == 0 || r.URL.Query().Get("strict") == "true" {
				code, head = http.StatusServiceUnavailable, "not ready: "+strings.Join(down, ", ")+" down"
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, "%s\n%s\n", head, strings.Join(lines, "\n"))
	}
}
