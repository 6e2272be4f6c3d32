package slsemu

import (
	"net"
	"net/http"
	"strconv"
	"strings"
)

// API names, used for request counting (Server.RequestCount) and for scoping
// faults (Fault.API).
const (
	APIGetProject          = "GetProject"
	APICreateProject       = "CreateProject"
	APIDeleteProject       = "DeleteProject"
	APIListLogStore        = "ListLogStore"
	APICreateLogStore      = "CreateLogStore"
	APIGetLogStore         = "GetLogStore"
	APIUpdateLogStore      = "UpdateLogStore"
	APIDeleteLogStore      = "DeleteLogStore"
	APIPutLogs             = "PutLogs"
	APIListShards          = "ListShards"
	APIGetCursor           = "GetCursor"
	APIGetCursorTime       = "GetCursorTime"
	APIPullLogs            = "PullLogs"
	APISplitShard          = "SplitShard"
	APIMergeShards         = "MergeShards"
	APIListConsumerGroup   = "ListConsumerGroup"
	APICreateConsumerGroup = "CreateConsumerGroup"
	APIUpdateConsumerGroup = "UpdateConsumerGroup"
	APIDeleteConsumerGroup = "DeleteConsumerGroup"
	APIHeartbeat           = "Heartbeat"
	APIUpdateCheckpoint    = "UpdateCheckpoint"
	APIGetCheckpoint       = "GetCheckpoint"
	APIUnknown             = "Unknown"
)

// route is a classified SLS request.
type route struct {
	api      string
	project  string
	logstore string
	shard    int // -1 when absent
	group    string
	hashKey  bool // PutLogs through /shards/route
	stuck    bool // fault: PullLogs answers with the request's cursor
}

// projectFromHost returns the first DNS label of host, port stripped.
func projectFromHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	i := strings.IndexByte(host, '.')
	if i <= 0 {
		return ""
	}
	return host[:i]
}

// classify maps method, path and query to an API. Unknown combinations get
// APIUnknown and a 404/405 error.
func classify(r *http.Request) (route, *Error) {
	rt := route{api: APIUnknown, project: projectFromHost(r.Host), shard: -1}
	path := strings.TrimPrefix(r.URL.Path, "/")
	var seg []string
	if path != "" {
		seg = strings.Split(strings.TrimSuffix(path, "/"), "/")
	}
	q := r.URL.Query()
	m := r.Method
	bad := func() (route, *Error) {
		return rt, errorf(http.StatusNotFound, CodeRequestNotSupported, "%s %s is not supported", m, r.URL.Path)
	}
	methodErr := func() (route, *Error) {
		return rt, errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method %s is not allowed on %s", m, r.URL.Path)
	}
	switch {
	case len(seg) == 0:
		switch m {
		case http.MethodGet:
			rt.api = APIGetProject
		case http.MethodPost:
			rt.api = APICreateProject
		case http.MethodDelete:
			rt.api = APIDeleteProject
		default:
			return methodErr()
		}
		return rt, nil
	case seg[0] != "logstores":
		return bad()
	case len(seg) == 1:
		switch m {
		case http.MethodGet:
			rt.api = APIListLogStore
		case http.MethodPost:
			rt.api = APICreateLogStore
		default:
			return methodErr()
		}
		return rt, nil
	}
	rt.logstore = seg[1]
	switch {
	case len(seg) == 2:
		switch m {
		case http.MethodGet:
			rt.api = APIGetLogStore
		case http.MethodPost:
			rt.api = APIPutLogs
		case http.MethodPut:
			rt.api = APIUpdateLogStore
		case http.MethodDelete:
			rt.api = APIDeleteLogStore
		default:
			return methodErr()
		}
		return rt, nil
	case seg[2] == "shards":
		return classifyShards(rt, seg, q.Get("type"), q.Get("action"), m, bad, methodErr)
	case seg[2] == "consumergroups":
		if len(seg) == 3 {
			switch m {
			case http.MethodGet:
				rt.api = APIListConsumerGroup
			case http.MethodPost:
				rt.api = APICreateConsumerGroup
			default:
				return methodErr()
			}
			return rt, nil
		}
		if len(seg) != 4 {
			return bad()
		}
		rt.group = seg[3]
		switch m {
		case http.MethodGet:
			rt.api = APIGetCheckpoint
		case http.MethodPut:
			rt.api = APIUpdateConsumerGroup
		case http.MethodDelete:
			rt.api = APIDeleteConsumerGroup
		case http.MethodPost:
			switch q.Get("type") {
			case "heartbeat":
				rt.api = APIHeartbeat
			case "checkpoint":
				rt.api = APIUpdateCheckpoint
			default:
				return rt, errorf(http.StatusBadRequest, CodeParameterInvalid, "type %q is not valid for a consumer group POST", q.Get("type"))
			}
		default:
			return methodErr()
		}
		return rt, nil
	}
	return bad()
}

func classifyShards(rt route, seg []string, typ, action, m string, bad, methodErr func() (route, *Error)) (route, *Error) {
	switch len(seg) {
	case 3:
		if m != http.MethodGet {
			return methodErr()
		}
		rt.api = APIListShards
		return rt, nil
	case 4:
	default:
		return bad()
	}
	switch seg[3] {
	case "route", "lb":
		// route?key= places by hash key; lb (the Python, Java and C SDKs'
		// default put) lets the server pick a shard, like POST /logstores/L.
		if m != http.MethodPost {
			return methodErr()
		}
		rt.api, rt.hashKey = APIPutLogs, seg[3] == "route"
		return rt, nil
	}
	id, err := strconv.Atoi(seg[3])
	if err != nil || id < 0 {
		return rt, errorf(http.StatusBadRequest, CodeParameterInvalid, "shard id %q is not valid", seg[3])
	}
	rt.shard = id
	switch m {
	case http.MethodGet:
		switch typ {
		case "cursor":
			rt.api = APIGetCursor
		case "cursor_time":
			rt.api = APIGetCursorTime
		case "logs", "log":
			rt.api = APIPullLogs
		default:
			return rt, errorf(http.StatusBadRequest, CodeParameterInvalid, "type %q is not valid for a shard GET", typ)
		}
	case http.MethodPost:
		switch action {
		case "split":
			rt.api = APISplitShard
		case "merge":
			rt.api = APIMergeShards
		default:
			return rt, errorf(http.StatusBadRequest, CodeParameterInvalid, "action %q is not valid for a shard POST", action)
		}
	default:
		return methodErr()
	}
	return rt, nil
}
