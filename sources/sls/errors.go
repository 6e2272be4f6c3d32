package sls

import (
	"errors"
	"fmt"
	"strings"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
)

// slsError is an SDK error with a one-line message. The SDK's own Error()
// is indented JSON over several lines, which breaks line-based log
// pipelines; this keeps the code, message, HTTP status and request id.
type slsError struct {
	msg string
	err error
}

func (e *slsError) Error() string { return e.msg }
func (e *slsError) Unwrap() error { return e.err }

// oneLine returns err with a single-line message: SDK errors are rewritten,
// any other error has its line breaks folded.
func oneLine(err error) error {
	if err == nil {
		return nil
	}
	var se *sdk.Error
	var bre *sdk.BadResponseError
	switch {
	case errors.As(err, &se):
		msg := fmt.Sprintf("SLS %s: %s (HTTP %d", se.Code, fold(se.Message, 300), se.HTTPCode)
		if se.RequestID != "" {
			msg += ", request " + se.RequestID
		}
		return &slsError{msg: msg + ")", err: err}
	case errors.As(err, &bre):
		return &slsError{msg: fmt.Sprintf("SLS bad response (HTTP %d): %s", bre.HTTPCode, fold(bre.RespBody, 200)), err: err}
	}
	if s := err.Error(); strings.ContainsAny(s, "\r\n") {
		return &slsError{msg: fold(s, 500), err: err}
	}
	return err
}

// fold joins lines with spaces, squeezes runs of white space and cuts the
// text at max bytes.
func fold(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// problem is how an SLS error is classified: permanent ones name the
// attribute to fix and are retried slowly (a reload may fix them).
type problem struct {
	permanent bool
	attr      string
	hint      string
}

// classify sorts an SLS error into permanent (configuration or permission:
// retrying soon cannot help) and transient (5xx, throttling, network).
func classify(err error) problem {
	var se *sdk.Error
	if !errors.As(err, &se) {
		return problem{}
	}
	switch se.Code {
	case "ProjectNotExist":
		return problem{true, "project", "check project and the endpoint's region"}
	case "LogStoreNotExist":
		return problem{true, "logstore", "check logstore and project"}
	case "ConsumerGroupNotExist", "ConsumerGroupQuotaExceed":
		return problem{true, "consumer_group", "the group is missing and could not be created (at most 30 groups per logstore)"}
	case "Unauthorized", "SignatureNotMatch", "InvalidAccessKeyId", "SecurityTokenExpired", "InvalidSecurityToken":
		return problem{true, "access_key_id", "check the credentials (access_key_id/access_key_secret, credentials_file or the role)"}
	case "Forbidden", "ActionNotAllowed", "ProjectForbidden", "AccessDenied":
		return problem{true, "access_key_id", "the RAM policy needs log:ListConsumerGroup, CreateConsumerGroup, ConsumerGroupHeartBeat, GetConsumerGroupCheckPoint, ConsumerGroupUpdateCheckPoint, GetCursorOrData"}
	}
	if se.HTTPCode == 401 || se.HTTPCode == 403 && strings.Contains(strings.ToLower(se.Message), "denied") {
		return problem{true, "access_key_id", "access denied: check the credentials and the RAM policy"}
	}
	return problem{}
}

// explain returns err on one line, with a hint naming the attribute to
// check for the permanent errors users meet first.
func explain(err error) error {
	err = oneLine(err)
	if p := classify(err); p.permanent {
		return &slsError{msg: fmt.Sprintf("%s (%s: %s)", err, p.attr, p.hint), err: err}
	}
	return err
}

func isCode(err error, codes ...string) bool {
	var se *sdk.Error
	if !errors.As(err, &se) {
		return false
	}
	for _, c := range codes {
		if se.Code == c {
			return true
		}
	}
	return false
}

// errCode is the SLS error code of err, or "".
func errCode(err error) string {
	var se *sdk.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}
