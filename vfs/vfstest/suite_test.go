package vfstest

import "testing"

func TestEmbedded(t *testing.T) { Run(t, Embedded(t)) }

func TestProduction(t *testing.T) { Run(t, Production(t)) }
