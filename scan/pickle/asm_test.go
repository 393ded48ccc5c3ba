package pickle

import (
	"encoding/binary"
)

// asm assembles pickle opcodes for tests, so each bypass class is written
// out byte by byte as an attacker would write it.
type asm []byte

func (a asm) op(b ...byte) asm { return append(a, b...) }
func (a asm) proto(p byte) asm { return append(a, opProto, p) }
func (a asm) global(mod, name string) asm {
	return append(append(a, opGlobal), []byte(mod+"\n"+name+"\n")...)
}
func (a asm) unicode(s string) asm {
	if len(s) < 256 {
		return append(append(a, opShortBinUnicode, byte(len(s))), s...)
	}
	return a.binUnicode(s)
}
func (a asm) binUnicode(s string) asm {
	a = append(a, opBinUnicode)
	a = binary.LittleEndian.AppendUint32(a, uint32(len(s)))
	return append(a, s...)
}
func (a asm) shortBinString(s string) asm {
	return append(append(a, opShortBinString, byte(len(s))), s...)
}
func (a asm) binBytes(b []byte) asm {
	a = append(a, opBinBytes)
	a = binary.LittleEndian.AppendUint32(a, uint32(len(b)))
	return append(a, b...)
}
func (a asm) text(op byte, s string) asm { return append(append(a, op), []byte(s+"\n")...) }
func (a asm) binPut(i byte) asm          { return append(a, opBinPut, i) }
func (a asm) binGet(i byte) asm          { return append(a, opBinGet, i) }
func (a asm) frame(n uint64) asm {
	a = append(a, opFrame)
	return binary.LittleEndian.AppendUint64(a, n)
}
func (a asm) stop() asm { return append(a, opStop) }

// call1 calls the value on the stack with one string argument.
func (a asm) call1(arg string) asm { return a.unicode(arg).op(opTuple1, opReduce) }
