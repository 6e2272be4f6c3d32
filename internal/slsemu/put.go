package slsemu

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"strconv"

	sls "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/pierrec/lz4/v4"
)

// decodeBody decompresses a PutLogs body by its x-log-compresstype into
// exactly rawSize bytes.
func (s *Server) decodeBody(body []byte, compressType string, rawSize int) ([]byte, *Error) {
	if rawSize < 0 || rawSize > s.opts.MaxBodyBytes {
		return nil, errorf(http.StatusBadRequest, CodePostBodyTooLarge, "x-log-bodyrawsize %d is out of range [0, %d]", rawSize, s.opts.MaxBodyBytes)
	}
	switch compressType {
	case "":
		if len(body) != rawSize {
			return nil, errorf(http.StatusBadRequest, CodePostBodyInvalid, "body is %d bytes but x-log-bodyrawsize is %d", len(body), rawSize)
		}
		return body, nil
	case "lz4":
		out := make([]byte, rawSize)
		n, err := lz4.UncompressBlock(body, out)
		if err != nil || n != rawSize {
			return nil, errorf(http.StatusBadRequest, CodePostBodyUncompressError, "lz4 body does not decompress to %d bytes (got %d, err %v)", rawSize, n, err)
		}
		return out, nil
	case "zstd":
		_, dec, err := s.codecs()
		if err != nil {
			return nil, errorf(http.StatusInternalServerError, CodeInternalServerError, "zstd decoder: %v", err)
		}
		out, err := dec.DecodeAll(body, make([]byte, 0, rawSize))
		if err != nil || len(out) != rawSize {
			return nil, errorf(http.StatusBadRequest, CodePostBodyUncompressError, "zstd body does not decompress to %d bytes (got %d, err %v)", rawSize, len(out), err)
		}
		return out, nil
	case "deflate":
		zr, err := zlib.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, CodePostBodyUncompressError, "deflate body: %v", err)
		}
		defer zr.Close()
		out, err := io.ReadAll(io.LimitReader(zr, int64(rawSize)+1))
		if err != nil || len(out) != rawSize {
			return nil, errorf(http.StatusBadRequest, CodePostBodyUncompressError, "deflate body does not decompress to %d bytes (got %d, err %v)", rawSize, len(out), err)
		}
		return out, nil
	}
	return nil, errorf(http.StatusBadRequest, CodeInvalidCompressType, "compress type %q is not supported", compressType)
}

// validateLogGroup checks raw is a LogGroup with every required field
// (Log.Time, LogContent and LogTag Key/Value) and returns its log count.
func validateLogGroup(raw []byte) (int, *Error) {
	var lg sls.LogGroup
	if err := lg.Unmarshal(raw); err != nil {
		return 0, errorf(http.StatusBadRequest, CodePostBodyInvalid, "body is not a valid LogGroup: %v", err)
	}
	return len(lg.Logs), nil
}

func (s *Server) handlePutLogs(w http.ResponseWriter, r *http.Request, rt route, body []byte) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	rawHdr := r.Header.Get("x-log-bodyrawsize")
	if rawHdr == "" {
		return errorf(http.StatusBadRequest, CodeMissingBodyRawSize, "x-log-bodyrawsize header is missing")
	}
	rawSize, err := strconv.Atoi(rawHdr)
	if err != nil {
		return errorf(http.StatusBadRequest, CodeParameterInvalid, "x-log-bodyrawsize %q is not an integer", rawHdr)
	}
	raw, e := s.decodeBody(body, r.Header.Get("x-log-compresstype"), rawSize)
	if e != nil {
		return e
	}
	nLogs, e := validateLogGroup(raw)
	if e != nil {
		return e
	}
	key := ""
	if rt.hashKey {
		key = r.URL.Query().Get("key")
		if key == "" {
			return errorf(http.StatusBadRequest, CodeParameterInvalid, "hash key is missing")
		}
	}
	// newEntry copies raw, so nothing stored aliases the request body.
	if _, e := s.appendRaw(ls, -1, key, raw, nLogs); e != nil {
		return e
	}
	writeEmpty(w)
	return nil
}

// appendRaw stores a validated LogGroup in a shard chosen by id (≥0), hash
// key, or round-robin, and returns its cursor.
func (s *Server) appendRaw(ls *logstore, shardID int, key string, raw []byte, nLogs int) (int64, *Error) {
	e := newEntry(raw, s.now().Unix(), nLogs) // compress outside the lock
	ls.mu.Lock()
	defer ls.mu.Unlock()
	var sh *shard
	if shardID >= 0 {
		sh = ls.shard(shardID)
		if sh == nil {
			return 0, errorf(http.StatusBadRequest, CodeShardNotExist, "shard %d does not exist", shardID)
		}
		if sh.status != StatusReadWrite {
			return 0, errorf(http.StatusBadRequest, CodeShardReadOnly, "shard %d is read-only", shardID)
		}
	} else {
		var pe *Error
		if sh, pe = ls.pickShard(key); pe != nil {
			return 0, pe
		}
	}
	return sh.appendEntry(e), nil
}

// AppendLogGroup stores lg in a logstore, round-robin over its read-write
// shards, as PutLogs would, and returns the cursor it got. The CLI uses it to
// preload demo events.
func (s *Server) AppendLogGroup(projectName, logstoreName string, lg *sls.LogGroup) (string, error) {
	return s.AppendLogGroupToShard(projectName, logstoreName, -1, lg)
}

// AppendLogGroupToShard is AppendLogGroup into one shard (shard < 0 means
// round-robin).
func (s *Server) AppendLogGroupToShard(projectName, logstoreName string, shard int, lg *sls.LogGroup) (string, error) {
	ls, e := s.lookup(projectName, logstoreName)
	if e != nil {
		return "", e
	}
	raw, err := lg.Marshal()
	if err != nil {
		return "", fmt.Errorf("slsemu: marshal log group: %w", err)
	}
	cur, e := s.appendRaw(ls, shard, "", raw, len(lg.Logs))
	if e != nil {
		return "", e
	}
	return EncodeCursor(cur), nil
}

// AppendLogs stores logs as one LogGroup with the given topic and source.
func (s *Server) AppendLogs(projectName, logstoreName, topic, source string, logs []*sls.Log) (string, error) {
	lg := &sls.LogGroup{Logs: logs, Topic: strPtr(topic), Source: strPtr(source)}
	return s.AppendLogGroup(projectName, logstoreName, lg)
}
