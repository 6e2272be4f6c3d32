package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/forwarder/forwarder/engine"
)

type tapCmd struct {
	Admin  string  `default:"127.0.0.1:9598" help:"Admin address of the running forwarder."`
	Route  string  `help:"Show events as they leave the rules of this route."`
	Sink   string  `help:"Show events as they enter this sink (TYPE.NAME)."`
	Limit  int     `default:"0" help:"Stop after this many events (0: until interrupted)."`
	Sample float64 `default:"1" help:"Share of events to show, in (0, 1]."`
	Rate   int     `default:"1000" help:"At most this many events per second; the rest are skipped by the server, never waited for."`
	// AdminTokenFile as in run: the bearer token the admin server requires.
	AdminTokenFile string `help:"File holding the admin server's bearer token (run --admin-token-file)." type:"path"`
}

// Run streams the tap to stdout as NDJSON. The pipeline never waits for a
// slow reader: the forwarder skips events instead.
func (c *tapCmd) Run(e *env) error {
	if (c.Route == "") == (c.Sink == "") {
		return codeError{code: exitConfig, msg: "give exactly one of --route and --sink"}
	}
	q := url.Values{}
	if c.Route != "" {
		q.Set("route", c.Route)
	} else {
		q.Set("sink", c.Sink)
	}
	q.Set("limit", strconv.Itoa(c.Limit))
	q.Set("sample", strconv.FormatFloat(c.Sample, 'f', -1, 64))
	q.Set("rate", strconv.Itoa(c.Rate))
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.Admin+"/-/tap?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("tap: %w", err)
	}
	if c.AdminTokenFile != "" {
		tok, err := engine.ReadAdminToken(c.AdminTokenFile)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	client := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 10 * time.Second}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("tap: %w (is forwarder running with --admin %s?)", err, c.Admin)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("tap: %s: %s", resp.Status, b)
	}
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if _, werr := e.stdout.Write(line); werr != nil {
				return nil // stdout closed (piped into head): done
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("tap: %w", err)
		}
	}
}
