package syslog

import "strings"

// facilityNames maps the names syslog tools use (rsyslog, logger) to codes.
var facilityNames = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "security": 4, "syslog": 5,
	"lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12,
	"audit": 13, "logaudit": 13, "alert": 14, "logalert": 14, "clock": 15,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// severityNames maps severity names and their common aliases to codes.
var severityNames = map[string]int{
	"emerg": 0, "emergency": 0, "panic": 0, "alert": 1, "crit": 2, "critical": 2,
	"err": 3, "error": 3, "warning": 4, "warn": 4, "notice": 5,
	"info": 6, "informational": 6, "debug": 7,
}

// parseFacility reads a facility name (case-insensitive) or number 0–23.
func parseFacility(v string) (int, bool) { return parseCode(v, facilityNames, 23) }

// parseSeverity reads a severity name (case-insensitive) or number 0–7.
func parseSeverity(v string) (int, bool) { return parseCode(v, severityNames, 7) }

func parseCode(v string, names map[string]int, max int) (int, bool) {
	if v == "" || len(v) > 16 {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		n := 0
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c < '0' || c > '9' || i >= 3 {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, n <= max
	}
	if n, ok := names[v]; ok {
		return n, true
	}
	n, ok := names[strings.ToLower(v)]
	return n, ok
}
