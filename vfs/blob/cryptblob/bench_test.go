package cryptblob_test

import (
	"testing"

	"strongroom/vfs/blob/blobtest"
	"strongroom/vfs/blob/cryptblob"
)

func BenchmarkWriteDisk(b *testing.B) {
	blobtest.BenchmarkWrite(b, cryptblob.New(diskStore(b), keyring(b, newKey(b))))
}

func BenchmarkReadDisk(b *testing.B) {
	blobtest.BenchmarkRead(b, cryptblob.New(diskStore(b), keyring(b, newKey(b))))
}

func BenchmarkWriteS3(b *testing.B) {
	blobtest.BenchmarkWrite(b, cryptblob.New(s3Store(b), keyring(b, newKey(b))))
}

func BenchmarkReadS3(b *testing.B) {
	blobtest.BenchmarkRead(b, cryptblob.New(s3Store(b), keyring(b, newKey(b))))
}
