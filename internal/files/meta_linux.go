package files

import "syscall"

func metaOfStat(st *syscall.Stat_t) Meta {
	return Meta{
		Size:       st.Size,
		ModTime:    st.Mtim.Nano(),
		ChangeTime: st.Ctim.Nano(),
		Inode:      st.Ino,
		Device:     uint64(st.Dev),
		Mode:       modeType(uint32(st.Mode)),
	}
}
