package s3blob

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// OpenURL opens the bucket an s3:// URL names, in the manner of
// gocloud.dev's blob URLs:
//
//	s3://BUCKET?endpoint=HOST:PORT&region=R&tls=false&prefix=P&style=path
//
// Every parameter is optional. endpoint defaults to AWS
// (s3.amazonaws.com); region to the one the service reports for the
// bucket; tls to true; prefix to opts.Prefix, or DefaultPrefix; style,
// path or virtual (bucket in the host name), to what suits the endpoint.
// An unknown parameter is an error, so that a misspelt one is not
// silently ignored. Requests are signed with opts.Credentials.
func OpenURL(ctx context.Context, rawURL string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}

	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("s3blob: %w", err)
	}
	if u.Scheme != "s3" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("s3blob: %q is not of the form s3://BUCKET?endpoint=HOST:PORT", rawURL)
	}
	q := u.Query()
	mo := &minio.Options{Creds: o.Credentials, Secure: true, Region: q.Get("region")}
	endpoint := "s3.amazonaws.com"
	for name, values := range q {
		v := values[len(values)-1]
		switch name {
		case "endpoint":
			endpoint = v
		case "region":
		case "tls":
			if mo.Secure, err = strconv.ParseBool(v); err != nil {
				return nil, fmt.Errorf("s3blob: URL parameter tls=%q is neither true nor false", v)
			}
		case "prefix":
			if v == "" {
				return nil, fmt.Errorf("s3blob: URL parameter prefix is empty; leave it out for %q", DefaultPrefix)
			}
			o.Prefix = v
		case "style":
			switch v {
			case "path":
				mo.BucketLookup = minio.BucketLookupPath
			case "virtual":
				mo.BucketLookup = minio.BucketLookupDNS
			default:
				return nil, fmt.Errorf("s3blob: URL parameter style=%q is neither path nor virtual", v)
			}
		default:
			return nil, fmt.Errorf("s3blob: unknown URL parameter %q (known: endpoint, region, tls, prefix, style)", name)
		}
	}
	if mo.Creds == nil {
		mo.Creds = credentials.NewStaticV4("", "", "") // anonymous
	}

	client, err := minio.New(endpoint, mo)
	if err != nil {
		return nil, fmt.Errorf("s3blob: endpoint %q: %w", endpoint, err)
	}
	return Open(ctx, client, u.Host, &o)
}

// CredentialsFromEnv returns the static credentials that every S3 tool
// reads from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for temporary
// credentials, AWS_SESSION_TOKEN, looked up with getenv (os.Getenv, in
// package main). It returns nil, for anonymous requests, if neither key
// is set.
func CredentialsFromEnv(getenv func(string) string) *credentials.Credentials {
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" && secret == "" {
		return nil
	}
	return credentials.NewStaticV4(id, secret, getenv("AWS_SESSION_TOKEN"))
}
