// Command bigzip writes a PyTorch-style zip archive whose pickle is taken
// from a real torch.save file and whose tensor storage is a single member
// of any size. It is the input of the "cost follows the pickle bytes, not
// the file" benchmark: the same pickle in a 5 MB and a 5 GB archive.
//
//	go run ./bench/bigzip -from testdata/corpus/benign/torch/state_dict_float32.pt -size 5GiB -o /tmp/big.pt
package main

import (
	"archive/zip"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
)

func main() {
	from := flag.String("from", "", "a torch.save zip whose data.pkl is reused")
	size := flag.String("size", "5GiB", "size of the tensor storage member (KiB, MiB, GiB suffixes)")
	out := flag.String("o", "", "output file")
	flag.Parse()
	n, err := parseSize(*size)
	if err != nil || *from == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: bigzip -from MODEL.pt -size 5GiB -o OUT.pt")
		os.Exit(2)
	}
	if err := write(*from, *out, n); err != nil {
		fmt.Fprintln(os.Stderr, "bigzip:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suf, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suf) {
			s, mult = strings.TrimSuffix(s, suf), m
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v * mult, err
}

func write(from, out string, n int64) error {
	zr, err := zip.OpenReader(from)
	if err != nil {
		return err
	}
	defer zr.Close()
	fh, err := os.Create(out)
	if err != nil {
		return err
	}
	defer fh.Close()
	zw := zip.NewWriter(fh)
	prefix := ""
	for _, f := range zr.File {
		if path.Base(f.Name) == "data.pkl" {
			prefix = path.Dir(f.Name)
			if err := copyMember(zw, f); err != nil {
				return err
			}
		}
	}
	if prefix == "" {
		return fmt.Errorf("%s has no data.pkl", from)
	}
	crc := zeroCRC(n)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: prefix + "/data/big", Method: zip.Store,
		CRC32: crc, CompressedSize64: uint64(n), UncompressedSize64: uint64(n)})
	if err != nil {
		return err
	}
	if _, err := io.CopyN(w, zeros{}, n); err != nil {
		return err
	}
	return zw.Close()
}

func copyMember(zw *zip.Writer, f *zip.File) error {
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func zeroCRC(n int64) uint32 {
	buf := make([]byte, 1<<20)
	var c uint32
	for ; n > 0; n -= int64(len(buf)) {
		c = crc32.Update(c, crc32.IEEETable, buf[:min(n, int64(len(buf)))])
	}
	return c
}
