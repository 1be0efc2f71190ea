package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// --pprof-addr serves Go's profiles there, and nowhere else: not on the
// REST gateway's address.
func TestPprofAddrServesProfilesThereOnly(t *testing.T) {
	dir := t.TempDir()
	grpcAddr, httpAddr, pprofAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	r := startServe(t, "--data-dir", dir, "--grpc-addr", grpcAddr, "--http-addr", httpAddr, "--pprof-addr", pprofAddr)
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	r.waitFor(t, "pprof", func() bool { code, _ := get("http://" + pprofAddr + "/debug/pprof/"); return code == http.StatusOK })
	if code, body := get("http://" + pprofAddr + "/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("goroutine profile: %d %.100s", code, body)
	}
	if code, _ := get("http://" + httpAddr + "/debug/pprof/"); code == http.StatusOK {
		t.Fatal("the REST gateway serves the profiles too")
	}
}
