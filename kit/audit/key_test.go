package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateKeyCreatesAnOwnerOnlyKeyOnceAndReadsItAfterwards(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	again, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != first.ID() || !bytes.Equal(again.chain, first.chain) {
		t.Fatalf("second start read key %s, want the first start's %s", again.ID(), first.ID())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestConcurrentFirstStartsAgreeOnOneKey(t *testing.T) {
	dir := t.TempDir()
	const starts = 10
	ids := make([]string, starts)
	var wg sync.WaitGroup
	for i := range starts {
		wg.Go(func() {
			k, err := LoadOrCreateKey(dir)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.ID()
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("starts loaded keys %v; want one key", ids)
		}
	}
}

func TestADamagedKeyFileIsRefusedWithHowToRecover(t *testing.T) {
	for _, tt := range []struct{ name, content string }{
		{"empty, as a crash before the first write leaves it", ""},
		{"cut short", "0123456789abcdef\n"},
		{"not hex", strings.Repeat("z", 64)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, KeyFile)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateKey(dir)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "restore it from a backup") {
				t.Fatalf("LoadOrCreateKey = %v; want a refusal naming %s and how to recover", err, path)
			}
			// A damaged key is never replaced: the log's events need the old one.
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Fatalf("key file now holds %q; want it left as it was", b)
			}
		})
	}
}

func TestReadKeyFileReadsAGivenKeyAndSaysWhenThereIsNone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if _, err := ReadKeyFile(path); !os.IsNotExist(err) {
		t.Fatalf("ReadKeyFile of a missing file = %v, want a not-exist error", err)
	}
	if err := os.WriteFile(path, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	same, err := NewKey(bytes.Repeat([]byte{0xab}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if k.ID() != same.ID() {
		t.Fatalf("key id %s, want %s: the file's hex is the secret", k.ID(), same.ID())
	}
}

func TestKeysAreNamedByTheirPublicKeyAndNeedThirtyTwoBytes(t *testing.T) {
	a, b := newKey(t), newKey(t)
	if a.ID() == b.ID() || len(a.ID()) != 16 {
		t.Fatalf("ids %q and %q; want 16 hex digits each, different", a.ID(), b.ID())
	}
	if _, err := NewKey(make([]byte, 31)); err == nil {
		t.Fatal("NewKey accepted a 31-byte secret")
	}
}
