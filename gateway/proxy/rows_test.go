package proxy

import (
	"strings"
	"testing"
)

func TestReadRows(t *testing.T) {
	rows, err := ReadRows(strings.NewReader("a,b,c\n1,2,3\n0.5,-1e3,7\n"), 3, 10)
	if err != nil || len(rows) != 2 || rows[1][1] != -1000 {
		t.Fatalf("%v %v", rows, err)
	}
	if _, err := ReadRows(strings.NewReader("1,2,3\n\n4,x,6\n"), 3, 10); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("line numbers: %v", err)
	}
	for _, bad := range []string{"", "a,b,c\n", "1,2\n", "1,2,3\nx,y,z\n", "1,2,NaN\n", "1,2,Inf\n", "1,2,3\n4,5,6\n7,8,9\n", "\"1,2,3\n"} {
		if _, err := ReadRows(strings.NewReader(bad), 3, 2); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzReadRows(f *testing.F) {
	f.Add("pixel0,pixel1\n0,16\n3.5,7\n", 2)
	f.Add("1,2,3\n", 3)
	f.Add("\"a\",\"b\"\n1e38,1e39\n", 2)
	f.Fuzz(func(t *testing.T, data string, features int) {
		features = 1 + abs(features)%128
		rows, err := ReadRows(strings.NewReader(data), features, 1000)
		if err != nil {
			return
		}
		for _, r := range rows {
			if len(r) != features {
				t.Fatalf("row of %d values accepted for %d features", len(r), features)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
