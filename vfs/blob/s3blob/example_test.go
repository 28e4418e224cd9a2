package s3blob_test

import (
	"context"
	"log"
	"os"

	"strongroom/vfs/blob/s3blob"
)

func ExampleOpenURL() {
	ctx := context.Background()
	s, err := s3blob.OpenURL(ctx, "s3://strongroom?endpoint=127.0.0.1:9000&region=us-east-1&tls=false", &s3blob.Options{
		// Package main reads the environment and passes the result down.
		Credentials: s3blob.CredentialsFromEnv(os.Getenv),
	})
	if err != nil {
		log.Fatal(err) // names the endpoint, the bucket and what to check
	}
	defer s.Close()
}
