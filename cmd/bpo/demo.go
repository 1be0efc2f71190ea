package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/acme/bpo/internal/walk"
	"github.com/acme/bpo/kit/auth"
)

// demo walks one engagement through the six steps against a running
// `bpo serve`, over the public REST API, and prints each step and the
// engagement's lifecycle at the end.
func demo(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	baseURL := fs.String("base-url", "http://localhost:8080", "the REST gateway of a running bpo serve")
	dataDir := fs.String("data-dir", "./data", "the server's data directory, whose local key signs the demo's tokens")
	secretFile := fs.String("jwt-secret-file", "", "sign the demo's tokens with this hex HS256 secret, the servers' --jwt-secret-file (instead of the local key of --data-dir)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := envDefaults(fs); err != nil {
		return err
	}
	// The demo acts as many users at once, so it signs their tokens with
	// the server's own key. It never creates one: a fresh key would sign
	// tokens the running server rejects.
	var key []byte
	var err error
	if *secretFile != "" {
		if key, err = secretKey(*secretFile); err != nil {
			return err
		}
	} else {
		if _, err := os.Stat(filepath.Join(*dataDir, auth.LocalKeyFile)); err != nil {
			return fmt.Errorf("no local signing key in %s: start the platform first (make run), or pass the server's --data-dir or its --jwt-secret-file", *dataDir)
		}
		if key, err = auth.LoadOrCreateLocalKey(*dataDir); err != nil {
			return fmt.Errorf("local key: %w", err)
		}
	}
	if err := gatewayUp(ctx, *baseURL); err != nil {
		return err
	}
	w, err := walk.New(walk.NewClient(*baseURL, key), time.Now(), func(step, who, text string) {
		fmt.Fprintln(out, walk.Line(step, who, text))
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Walking an engagement through the six steps at %s (service commencement %s)\n\n", *baseURL, w.Commencement.Format("2006-01-02"))
	lc, err := w.Run(ctx)
	if err != nil {
		return fmt.Errorf("demo stopped: %w", err)
	}
	fmt.Fprintf(out, "\nLifecycle, as the governance manager sees it (GET /v1/%s):\n\n%s", lc.GetName(), walk.FormatLifecycle(lc))
	fmt.Fprintf(out, "\nIn the web console: %s/console/%s (sign in with a token from `bpo token --role governance_manager,auditor`)\n",
		strings.TrimSuffix(*baseURL, "/"), w.Engagement)
	return nil
}

// gatewayUp says plainly when nothing serves at baseURL, rather than
// failing on the demo's first call.
func gatewayUp(ctx context.Context, baseURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(baseURL, "/")+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("--base-url %q: %w", baseURL, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("no REST gateway at %s (%v): start the platform first (make run) or pass --base-url", baseURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the REST gateway at %s answers /healthz with %s", baseURL, resp.Status)
	}
	return nil
}
