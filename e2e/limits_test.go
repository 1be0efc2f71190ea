package e2e

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRequestLimits: an anonymous client cannot make the server hold what
// it sends. Oversized REST bodies, declared or streamed in chunks, are
// answered 413 before they are decoded, and the process's peak memory
// stays far below what they add up to (three 256 MiB bodies once took it
// to 3.1 GB); the gRPC listener caps the streams one connection may open.
//
//	go test ./e2e -run TestRequestLimits -v
func TestRequestLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: builds and starts the real binary (skipped with -short)")
	}
	p := startPlatform(t, buildBinary(t))

	t.Run("concurrent oversized bodies are 413 and leave peak memory under 150 MB", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("reads the peak memory of the server from /proc")
		}
		const (
			bodySize = 64 << 20
			peakMax  = 150_000_000
		)
		pid := p.cmd.Process.Pid
		t.Logf("peak memory before: %d MB", peakRSS(t, pid)/1_000_000)
		addr := strings.TrimPrefix(p.baseURL, "http://")
		var wg sync.WaitGroup
		answers := make([]string, 8)
		for i := range answers {
			chunked := i%2 == 0
			wg.Go(func() { answers[i] = postHuge(addr, bodySize, chunked) })
		}
		wg.Wait()
		for i, a := range answers {
			if a != "" {
				t.Errorf("request %d (chunked %t): %s", i, i%2 == 0, a)
			}
		}
		peak := peakRSS(t, pid)
		t.Logf("peak memory after %d concurrent bodies of %d MiB: %d MB", len(answers), bodySize>>20, peak/1_000_000)
		if peak >= peakMax {
			t.Errorf("peak memory (VmHWM) %d MB; want under %d MB", peak/1_000_000, peakMax/1_000_000)
		}
		// The server is still there for everyone else.
		sm := p.token(t, "sourcing_manager")
		p.createProvider(t, sm, newProvider("Quebec Limits", "PH"))
	})

	t.Run("the gRPC listener caps the streams of a connection", func(t *testing.T) {
		got, ok := grpcMaxConcurrentStreams(t, p.grpcAddr)
		if !ok || got == 0 || got > 1000 {
			t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS %d (sent: %t); want a cap of at most 1000", got, ok)
		}
	})
}

// postHuge POSTs a provider whose display name is size bytes long, with no
// token, from a reader (nothing is held in memory), declaring its length
// or sending it in chunks. It returns "" when the answer is a 413 with the
// JSON error of the gateway, else what was wrong.
func postHuge(addr string, size int64, chunked bool) string {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err.Error()
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(callTimeout))
	framing := "Content-Length: " + strconv.FormatInt(size, 10)
	if chunked {
		framing = "Transfer-Encoding: chunked"
	}
	if _, err := fmt.Fprintf(conn, "POST /v1/providers HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s\r\n\r\n", addr, framing); err != nil {
		return err.Error()
	}
	// The body is written while the answer is read: the server answers
	// without reading it all, and then stops reading.
	go func() {
		var w io.Writer = conn
		if chunked {
			cw := httputil.NewChunkedWriter(conn)
			defer cw.Close()
			w = cw
		}
		prefix := `{"displayName":"`
		_, _ = io.WriteString(w, prefix)
		_, _ = io.Copy(w, io.LimitReader(repeatA{}, size-int64(len(prefix))))
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "no answer: " + err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var st struct {
		Code    *int
		Message string
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge || json.Unmarshal(body, &st) != nil || st.Code == nil || st.Message == "" {
		return fmt.Sprintf("%s %.200s; want 413 with a JSON error", resp.Status, body)
	}
	return ""
}

type repeatA struct{}

func (repeatA) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = 'A'
	}
	return len(b), nil
}

// peakRSS is the peak resident set size of process pid, in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// grpcMaxConcurrentStreams opens an HTTP/2 connection to a gRPC listener
// and returns the SETTINGS_MAX_CONCURRENT_STREAMS of the server's first
// SETTINGS frame, and whether it was sent (no limit when it is not).
func grpcMaxConcurrentStreams(t *testing.T, addr string) (uint32, bool) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(callTimeout))
	// The client preface and an empty SETTINGS frame.
	if _, err := conn.Write(append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, 0, 0, 4, 0, 0, 0, 0, 0)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	for {
		var h [9]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			t.Fatalf("read a frame header: %v", err)
		}
		length := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
		payload := make([]byte, length)
		if _, err := io.ReadFull(r, payload); err != nil {
			t.Fatalf("read a frame: %v", err)
		}
		const settings, ack, maxConcurrentStreams = 0x4, 0x1, 0x3
		if h[3] != settings || h[4]&ack != 0 {
			continue
		}
		for s := bytes.NewReader(payload); s.Len() >= 6; {
			var id uint16
			var v uint32
			_ = binary.Read(s, binary.BigEndian, &id)
			_ = binary.Read(s, binary.BigEndian, &v)
			if id == maxConcurrentStreams {
				return v, true
			}
		}
		return 0, false
	}
}
