package sqlstore

import (
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/acme/bpo/kit/apperr"
)

// Version is a stored resource's revision, counted up by every write; it
// is the basis of etags and of optimistic locking (`WHERE revision = ?`).
type Version struct {
	Revision int64
}

// ETag derives the opaque etag of revision of the resource with id.
func ETag(id string, revision int64) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return strconv.FormatInt(revision, 36) + "-" + fmt.Sprintf("%08x", h.Sum32())
}

// CheckETag answers ABORTED when the caller sent an etag (AIP-154) that is
// not the resource's current one.
func CheckETag(resource, sent, current string) error {
	if sent != "" && sent != current {
		return apperr.New(apperr.Aborted, "%s was changed by someone else (etag %q is stale, current is %q); read it again and retry", resource, sent, current)
	}
	return nil
}

// Stale is the error of a write that lost an optimistic-locking race: the
// revision it read changed before it wrote. Unlike a stale etag the caller
// sent, such a write can simply run again (RetryConflicts).
func Stale(resource string) error {
	return Conflict("%s was changed by someone else meanwhile; read it again and retry", resource)
}
