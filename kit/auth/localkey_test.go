package auth

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/acme/bpo/kit/keyfile"
)

// crashDirEnv makes the test binary a process that starts creating the
// local key in that directory and dies before the key is published.
const (
	crashDirEnv = "BPO_AUTH_TEST_CRASH_IN"
	crashExit   = 75
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		keyfile.AfterTempWritten = func() { os.Exit(crashExit) }
		_, err := LoadOrCreateLocalKey(dir)
		fmt.Fprintln(os.Stderr, "the crash point was never reached:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func TestAKeyFileThatIsNotAWholeKeyIsRefusedWithHowToRecover(t *testing.T) {
	full := strings.Repeat("ab", 32) + "\n"
	for _, tt := range []struct {
		name, content, says string
	}{
		{"empty", "", "is empty"},
		{"only a newline", "\n", "is empty"},
		{"cut short after 40 of 64 digits", full[:40], "is not a key of at least 64 hex digits (it holds 40 bytes)"},
		{"cut short in the middle of a byte", full[:63], "is not a key of at least 64 hex digits (it holds 63 bytes)"},
		{"garbled", strings.Repeat("zz", 32), "is not a key of at least 64 hex digits (it holds 64 bytes)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, LocalKeyFile)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateLocalKey(dir)
			if err == nil {
				t.Fatal("the key file was accepted")
			}
			for _, want := range []string{path + " " + tt.says, "remove the file to create a new key", "every token signed with the old key then stops working"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			// Replacing it silently would invalidate every token issued:
			// that is the operator's call.
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Errorf("the refused file now holds %q, want it untouched", b)
			}
		})
	}
}

func TestACrashBeforeTheKeyIsPublishedLeavesNoKeyFileAndTheNextStartCreatesOne(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != crashExit {
		t.Fatalf("the creating process ended with %v (%s), want exit %d at the crash point", err, out, crashExit)
	}

	path := filepath.Join(dir, LocalKeyFile)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after the crash the key file exists (stat: %v); it must be absent, never empty", err)
	}
	left, err := filepath.Glob(filepath.Join(dir, "."+LocalKeyFile+".*.tmp"))
	if err != nil || len(left) != 1 {
		t.Fatalf("temporary files after the crash: %v, %v; want the one the crash interrupted", left, err)
	}
	if b, _ := os.ReadFile(left[0]); len(b) != 65 {
		t.Fatalf("the interrupted temporary file holds %d bytes, want 64 hex digits and a newline", len(b))
	}

	key, err := LoadOrCreateLocalKey(dir)
	if err != nil {
		t.Fatalf("the start after the crash: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != hex.EncodeToString(key)+"\n" {
		t.Fatalf("key file holds %q (%v), want the returned key %x", b, err, key)
	}
	again, err := LoadOrCreateLocalKey(dir)
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("a restart read %x, %v; want %x", again, err, key)
	}
}

func TestALeftoverTemporaryFileDoesNotStandInForTheKey(t *testing.T) {
	dir := t.TempDir()
	// What a crash during a write leaves: an empty temporary file.
	if err := os.WriteFile(filepath.Join(dir, "."+LocalKeyFile+".123.tmp"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := LoadOrCreateLocalKey(dir)
	if err != nil || len(key) != 32 {
		t.Fatalf("got a %d-byte key, %v; want a new 32-byte key", len(key), err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, LocalKeyFile)); string(b) != hex.EncodeToString(key)+"\n" {
		t.Fatalf("key file holds %q, want the returned key", b)
	}
}

func TestProcessesStartingTogetherAllUseTheOneKeyOnDisk(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	const n = 16
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = LoadOrCreateLocalKey(dir) })
	}
	wg.Wait()
	onDisk, err := os.ReadFile(filepath.Join(dir, LocalKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil || hex.EncodeToString(keys[i])+"\n" != string(onDisk) {
			t.Fatalf("caller %d got %x, %v; the file holds %q", i, keys[i], errs[i], onDisk)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}
