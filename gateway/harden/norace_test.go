//go:build !race

package harden

const raceEnabled = false
