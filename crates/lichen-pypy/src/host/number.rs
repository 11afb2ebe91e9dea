//! PyPy operations behind the number context functions. Arithmetic on the
//! ints and floats native code holds is done natively when the result is
//! Python's exactly (no overflow out of the held range, no division by zero,
//! no rounding question); anything else goes to PyPy, which raises what
//! Python raises.

use super::object::{check, Check};
use super::*;
use crate::callbacks::py;
use core::ffi::{c_int, c_void};
use lichen_abi::*;
use lichen_core::host::{BinaryOp, NumberHost, UnaryOp};

/// Ints a double holds exactly.
const EXACT: i64 = 1 << 53;

fn int_result(v: Option<i64>) -> Option<HPy> {
    table::from_int(v?)
}

/// Python's `a // b` for b != 0 (floor, not truncation).
fn floor_div(a: i64, b: i64) -> Option<i64> {
    let q = a.checked_div(b)?;
    Some(if a % b != 0 && ((a < 0) != (b < 0)) { q - 1 } else { q })
}

/// Python's `a % b` for b != 0 (the sign of b).
fn floor_mod(a: i64, b: i64) -> Option<i64> {
    let r = a.checked_rem(b)?;
    Some(if r != 0 && ((r < 0) != (b < 0)) { r + b } else { r })
}

fn int_op(op: BinaryOp, a: i64, b: i64) -> Option<HPy> {
    use BinaryOp::*;
    match op {
        Add | InPlaceAdd => int_result(a.checked_add(b)),
        Subtract | InPlaceSubtract => int_result(a.checked_sub(b)),
        Multiply | InPlaceMultiply => int_result(a.checked_mul(b)),
        FloorDivide | InPlaceFloorDivide if b != 0 => int_result(floor_div(a, b)),
        Remainder | InPlaceRemainder if b != 0 => int_result(floor_mod(a, b)),
        And | InPlaceAnd => int_result(Some(a & b)),
        Or | InPlaceOr => int_result(Some(a | b)),
        Xor | InPlaceXor => int_result(Some(a ^ b)),
        Lshift | InPlaceLshift if (0..64).contains(&b) => {
            let shifted = a.checked_shl(b as u32)?;
            int_result((shifted >> b == a).then_some(shifted))
        }
        Rshift | InPlaceRshift if b >= 0 => int_result(Some(a >> b.min(63))),
        TrueDivide | InPlaceTrueDivide if b != 0 && a.abs() <= EXACT && b.abs() <= EXACT => {
            Some(table::new_float(a as f64 / b as f64))
        }
        _ => None,
    }
}

fn float_op(op: BinaryOp, a: f64, b: f64) -> Option<HPy> {
    use BinaryOp::*;
    let v = match op {
        Add | InPlaceAdd => a + b,
        Subtract | InPlaceSubtract => a - b,
        Multiply | InPlaceMultiply => a * b,
        TrueDivide | InPlaceTrueDivide if b != 0.0 => a / b,
        _ => return None,
    };
    Some(table::new_float(v))
}

/// A number as a double, when both operands can be computed with exactly.
fn as_f64(k: Known) -> Option<f64> {
    match k {
        Known::Float(f) => Some(f),
        Known::Int(i) if (-EXACT..=EXACT).contains(&i) => Some(i as f64),
        _ => None,
    }
}

fn known_binary(op: BinaryOp, a: HPy, b: HPy) -> Option<HPy> {
    match (known(a), known(b)) {
        (Known::Int(x), Known::Int(y)) => int_op(op, x, y),
        (x @ (Known::Int(_) | Known::Float(_)), y @ (Known::Int(_) | Known::Float(_))) => {
            float_op(op, as_f64(x)?, as_f64(y)?)
        }
        _ => None,
    }
}

fn known_unary(op: UnaryOp, a: HPy) -> Option<HPy> {
    match (known(a), op) {
        (Known::Int(v), UnaryOp::Negative) => int_result(v.checked_neg()),
        (Known::Int(v), UnaryOp::Absolute) => int_result(v.checked_abs()),
        (Known::Int(v), UnaryOp::Invert) => int_result(Some(!v)),
        (Known::Int(_), UnaryOp::Positive | UnaryOp::Index | UnaryOp::Long) => Some(a),
        (Known::Int(v), UnaryOp::Float) => Some(table::new_float(v as f64)),
        (Known::Float(v), UnaryOp::Negative) => Some(table::new_float(-v)),
        (Known::Float(v), UnaryOp::Absolute) => Some(table::new_float(v.abs())),
        (Known::Float(_), UnaryOp::Positive | UnaryOp::Float) => Some(table::dup(a)),
        _ => None,
    }
}

crate::codes! {
    /// What `long_as_i64` asks PyPy to convert with (its `how`): CPython's
    /// `PyLong_AsLong` (`__index__` accepted), `PyLong_AsSsize_t` (an int
    /// required), `PyLong_AsVoidPtr`.
    pub enum Signed { Long = 0, Ssize = 1, Pointer = 2 }
}

crate::codes! {
    /// What `long_as_u64` asks PyPy to convert with: CPython's
    /// `PyLong_AsUnsignedLongLong` (an int required), its `...Mask` form
    /// (`__index__` accepted, no overflow), `PyLong_AsSize_t`.
    pub enum Unsigned { Long = 0, Mask = 1, Size = 2 }
}

/// The value of an int or bool native code holds.
fn held_int(h: HPy) -> Option<i64> {
    match known(h) {
        Known::Int(v) => Some(v),
        Known::Bool(b) => Some(b as i64),
        _ => None,
    }
}

fn as_signed(h: HPy, how: Signed) -> i64 {
    match held_int(h) {
        Some(v) => v,
        None => py!(long_as_i64(h._i, how as c_int)),
    }
}

fn as_unsigned(h: HPy, how: Unsigned) -> u64 {
    match held_int(h) {
        Some(v) if v >= 0 => v as u64,
        Some(v) if matches!(how, Unsigned::Mask) => v as u64,
        _ => py!(long_as_u64(h._i, how as c_int)),
    }
}

impl NumberHost for PyPy {
    fn long_from_i64(_held: LockHeld<'_>, v: i64) -> HPy {
        table::from_int(v).unwrap_or_else(|| h(py!(long_from_i64(v))))
    }

    fn long_from_u64(_held: LockHeld<'_>, v: u64) -> HPy {
        match i64::try_from(v).ok().and_then(table::from_int) {
            Some(h) => h,
            None => h(py!(long_from_u64(v))),
        }
    }

    fn long_as_i64(_held: LockHeld<'_>, h: HPy) -> i64 {
        as_signed(h, Signed::Long)
    }

    fn long_as_u64(_held: LockHeld<'_>, h: HPy) -> u64 {
        as_unsigned(h, Unsigned::Long)
    }

    fn long_as_u64_mask(_held: LockHeld<'_>, h: HPy) -> u64 {
        as_unsigned(h, Unsigned::Mask)
    }

    fn long_as_isize(_held: LockHeld<'_>, h: HPy) -> isize {
        as_signed(h, Signed::Ssize) as isize
    }

    fn long_as_usize(_held: LockHeld<'_>, h: HPy) -> usize {
        as_unsigned(h, Unsigned::Size) as usize
    }

    fn long_as_ptr(_held: LockHeld<'_>, h: HPy) -> *mut c_void {
        match as_signed(h, Signed::Pointer) {
            -1 if super::error::occurred() => core::ptr::null_mut(),
            v => v as usize as *mut c_void,
        }
    }

    fn long_as_f64(_held: LockHeld<'_>, h: HPy) -> f64 {
        match held_int(h) {
            Some(v) => v as f64,
            None => py!(long_as_f64(h._i)),
        }
    }

    fn float_from_f64(_held: LockHeld<'_>, v: f64) -> HPy {
        table::new_float(v)
    }

    fn float_as_f64(_held: LockHeld<'_>, h: HPy) -> f64 {
        match known(h) {
            Known::Float(v) => v,
            Known::Int(v) => v as f64,
            Known::Bool(b) => b as i64 as f64,
            _ => py!(float_as_f64(h._i)),
        }
    }

    fn bool_from_bool(_held: LockHeld<'_>, v: bool) -> HPy {
        bool_handle(v)
    }

    fn number_check(_held: LockHeld<'_>, h: HPy) -> bool {
        check(h, Check::Number)
    }

    fn binary_op(_held: LockHeld<'_>, op: BinaryOp, a: HPy, b: HPy) -> HPy {
        match known_binary(op, a, b) {
            Some(r) => r,
            None => h(py!(binary_op(op as c_int, a._i, b._i))),
        }
    }

    fn unary_op(_held: LockHeld<'_>, op: UnaryOp, a: HPy) -> HPy {
        match known_unary(op, a) {
            Some(r) => r,
            None => h(py!(unary_op(op as c_int, a._i))),
        }
    }

    fn power(_held: LockHeld<'_>, a: HPy, b: HPy, c: HPy, in_place: bool) -> HPy {
        h(py!(power(a._i, b._i, c._i, in_place as c_int)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_division_and_modulo_follow_python() {
        for (a, b) in [(7, 2), (-7, 2), (7, -2), (-7, -2), (6, 3), (-6, 3), (0, -5)] {
            let (q, r) = (floor_div(a, b).unwrap(), floor_mod(a, b).unwrap());
            assert_eq!(q * b + r, a, "{a} {b}");
            assert!(r == 0 || (r < 0) == (b < 0), "{a} {b}");
        }
        assert_eq!(floor_div(-7, 2), Some(-4));
        assert_eq!(floor_mod(-7, 2), Some(1));
        assert_eq!(floor_div(i64::MIN, -1), None);
    }
}
