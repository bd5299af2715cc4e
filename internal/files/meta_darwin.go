package files

import "syscall"

func metaOfStat(st *syscall.Stat_t) Meta {
	return Meta{
		Size:       st.Size,
		ModTime:    st.Mtimespec.Nano(),
		ChangeTime: st.Ctimespec.Nano(),
		Inode:      st.Ino,
		Device:     uint64(uint32(st.Dev)),
		Mode:       modeType(uint32(st.Mode)),
	}
}
