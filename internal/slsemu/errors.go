package slsemu

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error is an SLS API error: the HTTP status plus the {errorCode,
// errorMessage} body the SDK decodes into *sls.Error. Injected faults and the
// Server's Go methods return it too, so callers can inspect the code.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"errorCode"`
	Message string `json:"errorMessage"`
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

func errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// SLS error codes produced by the emulator (reference/sls-protocol.md §4).
const (
	CodeProjectNotExist          = "ProjectNotExist"
	CodeProjectAlreadyExist      = "ProjectAlreadyExist"
	CodeLogStoreNotExist         = "LogStoreNotExist"
	CodeLogStoreAlreadyExist     = "LogStoreAlreadyExist"
	CodeShardNotExist            = "ShardNotExist"
	CodeConsumerGroupNotExist    = "ConsumerGroupNotExist"
	CodeConsumerGroupExist       = "ConsumerGroupAlreadyExist"
	CodeConsumerGroupQuotaExceed = "ConsumerGroupQuotaExceed"
	CodeConsumerNotExist         = "ConsumerNotExist"
	CodeConsumerNotMatch         = "ConsumerNotMatch"
	CodeNotExistConsumerWithBody = "NotExistConsumerWithBody"
	CodeInvalidShardCheckPoint   = "InvalidShardCheckPoint"
	CodeInvalidCursor            = "InvalidCursor"
	CodeParameterInvalid         = "ParameterInvalid"
	CodeJSONInfoInvalid          = "JsonInfoInvalid"
	CodePostBodyInvalid          = "PostBodyInvalid"
	CodePostBodyTooLarge         = "PostBodyTooLarge"
	CodePostBodyUncompressError  = "PostBodyUncompressError"
	CodeInvalidCompressType      = "InvalidCompressType"
	CodeInvalidContentMD5        = "InvalidContentMD5"
	CodeShardReadOnly            = "ShardReadOnly"
	CodeSignatureNotMatch        = "SignatureNotMatch"
	CodeUnauthorized             = "Unauthorized"
	CodeRequestTimeTooSkewed     = "RequestTimeTooSkewed"
	CodeMissingDate              = "MissingDate"
	CodeMissingAPIVersion        = "MissingAPIVersion"
	CodeInvalidAPIVersion        = "InvalidAPIVersion"
	CodeMissingSignatureMethod   = "MissingSignatureMethod"
	CodeInvalidSignatureMethod   = "InvalidSignatureMethod"
	CodeMissAccessKeyID          = "MissAccessKeyId"
	CodeMissingBodyRawSize       = "MissingBodyRawSize"
	CodeInternalServerError      = "InternalServerError"
	CodeServerBusy               = "ServerBusy"
	CodeRequestNotSupported      = "RequestNotSupported"
	CodeMethodNotAllowed         = "MethodNotAllowed"
	CodeReadQuotaExceed          = "ReadQuotaExceed"
	CodeWriteQuotaExceed         = "WriteQuotaExceed"
	CodeShardReadQuotaExceed     = "ShardReadQuotaExceed"
	CodeLogStoreWithoutShard     = "LogStoreWithoutShard"
)

// writeError sends e as SLS's JSON error body. The request id header is set by
// the caller for every response.
func writeError(w http.ResponseWriter, e *Error) {
	body, _ := json.Marshal(e) // cannot fail: two strings
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// writeJSON sends v with status 200 and no Content-Encoding: the SDK cannot
// inflate JSON bodies.
func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, errorf(http.StatusInternalServerError, CodeInternalServerError, "encode response: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// writeEmpty sends an empty 200 response.
func writeEmpty(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}
