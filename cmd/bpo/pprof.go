package main

import (
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"go.uber.org/zap"
)

// servePprof serves Go's profiles on addr (--pprof-addr) until the
// returned function is called: CPU, heap, goroutines, mutex and block
// profiles of the running server, for `go tool pprof`. They tell much
// about the server's code and load, so the flag is off by default and the
// address should be loopback; it is plain HTTP even when the other
// listeners have TLS.
func servePprof(log *zap.Logger, addr string) (func(), error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// A CPU profile or trace takes as long as the caller asks (?seconds=).
	s := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.Serve(lis) }()
	log.Info("pprof listening", zap.String("addr", lis.Addr().String()))
	return func() { _ = s.Close() }, nil
}
