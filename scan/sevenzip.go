package scan

import (
	"io"

	"github.com/modelward/modelward/scan/sevenz"
)

var (
	sevenZipEncrypted   = sevenz.ErrEncrypted
	sevenZipUnsupported = sevenz.ErrUnsupportedMethod
	sevenZipLimit       = sevenz.ErrLimit
)

func (j *job) sevenZip(r io.ReaderAt, size int64, member []string, depth int) string {
	j.recognised = true
	lim := j.pol.Limits
	// A solid block is decoded from its start to reach each member, so
	// bound the bytes one member may cost by the compression ratio as well.
	maxEntry := lim.MaxDecompressedBytes
	if size > 0 && size < maxEntry/lim.MaxCompressionRatio {
		maxEntry = size * lim.MaxCompressionRatio
	}
	a, err := sevenz.Open(r, size, sevenz.Limits{MaxEntries: lim.MaxArchiveMembers, MaxEntryBytes: maxEntry})
	if err != nil {
		j.archiveError(member, err, "7z archive")
		return "7z"
	}
	var links []archiveLink
	defer func() { j.checkLinks(member, "7z", links) }()
	for i := range a.Entries {
		e := &a.Entries[i]
		if j.ctx.Err() != nil {
			break
		}
		j.checkMemberName(member, "7z", e.Name)
		if e.IsDir {
			continue
		}
		rc, err := a.Open(e)
		if err != nil {
			j.archiveError(child(member, e.Name), err, "7z member")
			continue
		}
		if e.Symlink {
			target, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget))
			rc.Close()
			if err != nil {
				j.archiveError(child(member, e.Name), err, "7z member")
				continue
			}
			links = append(links, archiveLink{name: e.Name, target: string(target)})
			continue
		}
		j.inspectStream(rc, int64(e.Size), child(member, e.Name), depth+1, memberRole("", e.Name))
		rc.Close()
	}
	return "7z"
}
