package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aws/smithy-go"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
)

// blobBackend keeps entries in a gocloud bucket as <kind>/<key>, under the
// URL's prefix for s3.
type blobBackend struct {
	bucket  *blob.Bucket
	maxSize int64
}

// openBlob opens s3://, azblob:// (see openAzure) and file:// URLs through gocloud.dev/blob, with
// gocloud's query parameters. For s3 the URL's path is the prefix
// (s3://bucket/prefix), an endpoint implies path-style requests unless
// use_path_style says otherwise, as MinIO and most S3-compatible stores
// need, and checksums are computed and checked only where required. A file:// directory is created if it is missing; files are written
// to a temporary name beside their final one and renamed, with no
// metadata files.
func openBlob(ctx context.Context, u *url.URL, env func(string) string, opts *Options) (Backend, error) {
	var (
		bucket *blob.Bucket
		err    error
	)
	switch u.Scheme {
	case "s3":
		q := u.Query()
		if q.Has("prefix") {
			return nil, errors.New(`give the prefix as the URL's path (s3://bucket/prefix), not as "prefix="`)
		}
		if q.Has("endpoint") && !q.Has("use_path_style") && !q.Has("s3ForcePathStyle") {
			q.Set("use_path_style", "true")
		}
		// Checksums only where the API requires them: S3-compatible stores
		// do not all accept the SDK's default ones, and the SDK warns on
		// stderr for every object stored without one. Blobs are verified
		// against their SHA-256 on read anyway.
		for _, p := range []string{"request_checksum_calculation", "response_checksum_validation"} {
			if !q.Has(p) {
				q.Set(p, "when_required")
			}
		}
		prefix := strings.Trim(u.Path, "/")
		c := *u
		c.Path, c.RawPath, c.RawQuery = "", "", q.Encode()
		bucket, err = new(s3blob.URLOpener).OpenBucketURL(ctx, &c)
		if err == nil && prefix != "" {
			bucket = blob.PrefixedBucket(bucket, prefix+"/")
		}
	case "azblob":
		bucket, err = openAzure(ctx, u, env)
	case "file":
		o := &fileblob.URLOpener{Options: fileblob.Options{
			CreateDir: true,
			NoTempDir: true,
			Metadata:  fileblob.MetadataDontWrite,
		}}
		bucket, err = o.OpenBucketURL(ctx, u)
	default:
		return nil, fmt.Errorf("scheme %q is not a bucket", u.Scheme)
	}
	if err != nil {
		return nil, err
	}
	return &blobBackend{bucket: bucket, maxSize: opts.MaxSize}, nil
}

func blobKey(kind Kind, key string) string { return string(kind) + "/" + key }

// contain turns a panic of the storage library into the error of the
// request that caused it: a remote that answers what the library does not
// expect (azureblob dereferences headers a broken proxy leaves out) is a
// failing remote, a miss with a warning, not a crash.
func contain(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("the storage library failed on the answer: %v", r)
	}
}

func (b *blobBackend) Get(ctx context.Context, kind Kind, key string) (_ []byte, err error) {
	defer contain(&err)
	r, err := b.bucket.NewReader(ctx, blobKey(kind, key), nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// One byte past the limit is enough for the Store to refuse it.
	return io.ReadAll(io.LimitReader(r, b.maxSize+1))
}

func (b *blobBackend) Has(ctx context.Context, kind Kind, key string) (_ bool, err error) {
	defer contain(&err)
	return b.bucket.Exists(ctx, blobKey(kind, key))
}

func (b *blobBackend) Put(ctx context.Context, kind Kind, key string, data []byte) (err error) {
	defer contain(&err)
	// Upload rather than WriteAll: it hands the driver the whole reader
	// at once, and keeps clear of azureblob's piped writer, whose Close
	// races with a failed upload (gocloud v0.47.0) and panics.
	err = b.bucket.Upload(ctx, blobKey(kind, key), bytes.NewReader(data), &blob.WriterOptions{
		ContentType: "application/octet-stream",
		IfNotExist:  true,
	})
	if err == nil || gcerrors.Code(err) == gcerrors.FailedPrecondition {
		return nil
	}
	// S3 answers 409 to a conditional write that raced with another one
	// to the same key: the other writer won.
	var apiErr smithy.APIError
	if b.bucket.ErrorAs(err, &apiErr) && apiErr.ErrorCode() == "ConditionalRequestConflict" {
		return nil
	}
	return err
}

func (b *blobBackend) Close() error { return b.bucket.Close() }
