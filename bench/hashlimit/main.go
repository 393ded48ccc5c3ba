// Command hashlimit measures this machine's hashing limit for a set of
// files already in the page cache: the single-core speed of crypto/sha256
// (or BLAKE3) reading with ReadAt into a 1 MiB buffer, times the number of
// cores. bench/sign.sh prints it beside modelward's timings.
//
//	go run ./bench/hashlimit [-hash sha256|blake3] FILE...
package main

import (
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"time"

	"lukechampine.com/blake3"
)

func main() {
	alg := flag.String("hash", "sha256", "sha256 or blake3")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: hashlimit [-hash sha256|blake3] FILE...")
		os.Exit(2)
	}
	buf := make([]byte, 1<<20)
	var total int64
	start := time.Now()
	for _, name := range flag.Args() {
		n, err := hashFile(name, *alg, buf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hashlimit:", err)
			os.Exit(1)
		}
		total += n
	}
	el := time.Since(start)
	single := float64(total) / el.Seconds()
	cores := runtime.GOMAXPROCS(0)
	fmt.Printf("bytes=%d one_core_seconds=%.3f one_core_MBps=%.0f cores=%d limit_MBps=%.0f limit_seconds=%.3f\n",
		total, el.Seconds(), single/1e6, cores, single*float64(cores)/1e6, el.Seconds()/float64(cores))
}

func hashFile(name, alg string, buf []byte) (int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var h hash.Hash = sha256.New()
	if alg == "blake3" {
		h = blake3.New(32, nil)
	}
	var off int64
	for {
		n, err := f.ReadAt(buf, off)
		h.Write(buf[:n])
		off += int64(n)
		if errors.Is(err, io.EOF) {
			return off, nil
		}
		if err != nil {
			return off, err
		}
	}
}
