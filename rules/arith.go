package rules

import (
	"errors"
	"fmt"
	"math"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// fnNonZero guards the divisor of `/` and `%`: the rewrite turns `a / b`
// into `a / $nonzero(b)`, so a zero divisor is a rule error at the
// operator's position instead of +Inf (JSON null) or a VM panic.
const fnNonZero = "$nonzero"

var errDivZero = errors.New("division by zero")

var nonZero = expr.Function(fnNonZero, func(params ...any) (any, error) {
	if isZero(params[0]) {
		return nil, errDivZero
	}
	return params[0], nil
}, new(func(any) any))

func isZero(v any) bool {
	switch x := v.(type) {
	case int:
		return x == 0
	case int8:
		return x == 0
	case int16:
		return x == 0
	case int32:
		return x == 0
	case int64:
		return x == 0
	case uint:
		return x == 0
	case uint8:
		return x == 0
	case uint16:
		return x == 0
	case uint32:
		return x == 0
	case uint64:
		return x == 0
	case float32:
		return x == 0
	case float64:
		return x == 0
	}
	return false
}

// guardDivisor rewrites the right operand of a division or modulo.
func guardDivisor(n *ast.BinaryNode) {
	switch n.Operator {
	case "/", "%":
	default:
		return
	}
	if c, ok := n.Right.(*ast.CallNode); ok && isCall(c, fnNonZero) {
		return
	}
	callee := &ast.IdentifierNode{Value: fnNonZero}
	callee.SetLocation(n.Location())
	c := &ast.CallNode{Callee: callee, Arguments: []ast.Node{n.Right}}
	c.SetLocation(n.Location())
	n.Right = c
}

// checkFinite reports a result that holds NaN or ±Inf (10 ** 400,
// float("NaN")): JSON cannot carry them, and writing null would hide the
// failure. Lists and maps are searched, so a non-finite number inside a
// computed object is caught too.
func checkFinite(v any) error {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("result is not a finite number (%v)", x)
		}
	case float32:
		return checkFinite(float64(x))
	case []any:
		for _, e := range x {
			if err := checkFinite(e); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, e := range x {
			if err := checkFinite(e); err != nil {
				return err
			}
		}
	}
	return nil
}
