package filestore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// The record file format, version 1. All integers are big-endian.
//
//	offset size
//	0      4    magic "SESF"
//	4      1    format version (1)
//	5      8    Created, Unix milliseconds (int64)
//	13     8    Updated, Unix milliseconds (int64)
//	21     8    Expires, Unix milliseconds (int64)
//	29     8    Version (uint64)
//	37     4    length of UserID in bytes (uint32)
//	41     4    length of Data in bytes (uint32)
//	45     …    UserID, then Data
//	end-4  4    CRC-32C of every byte before it
//
// The lengths and the checksum make a truncated or altered file an error
// rather than a shorter record.
const (
	magic         = "SESF"
	formatVersion = 1
	headerSize    = 45
	trailerSize   = 4
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// encode returns the file contents for rec.
func encode(rec store.Record) ([]byte, error) {
	if len(rec.UserID) > math.MaxUint32 || len(rec.Data) > math.MaxUint32-len(rec.UserID)-headerSize-trailerSize {
		return nil, fmt.Errorf("filestore: record of %d bytes is too large for one file; keep less in the session", len(rec.Data))
	}
	b := make([]byte, headerSize, headerSize+len(rec.UserID)+len(rec.Data)+trailerSize)
	copy(b, magic)
	b[4] = formatVersion
	binary.BigEndian.PutUint64(b[5:], uint64(rec.Created.UnixMilli()))
	binary.BigEndian.PutUint64(b[13:], uint64(rec.Updated.UnixMilli()))
	binary.BigEndian.PutUint64(b[21:], uint64(rec.Expires.UnixMilli()))
	binary.BigEndian.PutUint64(b[29:], rec.Version)
	binary.BigEndian.PutUint32(b[37:], uint32(len(rec.UserID)))
	binary.BigEndian.PutUint32(b[41:], uint32(len(rec.Data)))
	b = append(b, rec.UserID...)
	b = append(b, rec.Data...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crcTable)), nil
}

// decode parses file contents written by encode. Every failure wraps
// store.ErrCorrupt: the file is not one this package wrote, or it was
// damaged (truncated, edited, written by a newer format version).
func decode(b []byte) (store.Record, error) {
	var rec store.Record
	if len(b) < headerSize+trailerSize {
		return rec, fmt.Errorf("%w: %d bytes is shorter than the header", store.ErrCorrupt, len(b))
	}
	if string(b[:4]) != magic {
		return rec, fmt.Errorf("%w: bad magic number", store.ErrCorrupt)
	}
	if b[4] != formatVersion {
		return rec, fmt.Errorf("%w: format version %d, this build reads %d", store.ErrCorrupt, b[4], formatVersion)
	}
	userLen := uint64(binary.BigEndian.Uint32(b[37:]))
	dataLen := uint64(binary.BigEndian.Uint32(b[41:]))
	if want := headerSize + userLen + dataLen + trailerSize; uint64(len(b)) != want {
		return rec, fmt.Errorf("%w: file is %d bytes, header says %d", store.ErrCorrupt, len(b), want)
	}
	body, sum := b[:len(b)-trailerSize], binary.BigEndian.Uint32(b[len(b)-trailerSize:])
	if crc32.Checksum(body, crcTable) != sum {
		return rec, fmt.Errorf("%w: checksum mismatch", store.ErrCorrupt)
	}
	rec.Created = time.UnixMilli(int64(binary.BigEndian.Uint64(b[5:]))).UTC()
	rec.Updated = time.UnixMilli(int64(binary.BigEndian.Uint64(b[13:]))).UTC()
	rec.Expires = time.UnixMilli(int64(binary.BigEndian.Uint64(b[21:]))).UTC()
	rec.Version = binary.BigEndian.Uint64(b[29:])
	rec.UserID = string(b[headerSize : headerSize+userLen])
	// b is the caller's own buffer (fresh from the file), so Data can
	// share it; the cap stops an append from overwriting the checksum.
	rec.Data = body[headerSize+userLen : len(body) : len(body)]
	return rec, nil
}
