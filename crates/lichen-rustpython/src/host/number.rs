//! RustPython operations behind the number context functions.

use super::*;
use core::ffi::c_void;
use lichen_core::host::{BinaryOp, NumberHost, UnaryOp};
use malachite_bigint::{BigInt, Sign};
use num_traits::ToPrimitive;
use rustpython_vm::builtins::{PyComplex, PyInt, PyIntRef};

/// The value of an int, calling `__index__` on other objects.
fn index_value(vm: &VirtualMachine, obj: &PyObject) -> PyResult<PyIntRef> {
    obj.try_index(vm)
}

/// The value of an int; anything else is a `TypeError`.
fn int_value(vm: &VirtualMachine, obj: &PyObject) -> PyResult<PyIntRef> {
    match obj.downcast_ref::<PyInt>() {
        Some(i) => Ok(i.to_owned()),
        None => Err(vm.new_type_error("an integer is required")),
    }
}

/// `v` as a `T`, or `OverflowError` with CPython's message for `c_type`
/// (its 64-bit conversions say less than the others).
fn fit<T>(vm: &VirtualMachine, v: &BigInt, c_type: &str) -> PyResult<T>
where
    T: for<'a> TryFrom<&'a BigInt>,
{
    T::try_from(v).map_err(|_| {
        vm.new_overflow_error(match c_type {
            "long long" | "unsigned long long" => "int too big to convert".to_owned(),
            _ => format!("Python int too large to convert to C {c_type}"),
        })
    })
}

/// Like [`fit`] for an unsigned `T`, with CPython's messages for negatives.
fn fit_unsigned<T>(vm: &VirtualMachine, v: &BigInt, c_type: &str) -> PyResult<T>
where
    T: for<'a> TryFrom<&'a BigInt>,
{
    if v.sign() == Sign::Minus {
        return Err(vm.new_overflow_error(match c_type {
            "unsigned long long" => "can't convert negative int to unsigned".to_owned(),
            _ => format!("can't convert negative value to {c_type}"),
        }));
    }
    fit(vm, v, c_type)
}

/// The low 64 bits of `v` in two's complement.
fn mask_u64(v: &BigInt) -> u64 {
    let mut digits = v.iter_u64_digits();
    let low = digits.next().unwrap_or(0);
    if v.sign() == Sign::Minus {
        low.wrapping_neg()
    } else {
        low
    }
}

/// `v` as the nearest float, or `OverflowError` when it is out of range.
fn int_to_f64(vm: &VirtualMachine, v: &BigInt) -> PyResult<f64> {
    match v.to_f64() {
        Some(f) if f.is_finite() => Ok(f),
        _ => Err(vm.new_overflow_error("int too large to convert to float")),
    }
}

/// Runs a conversion of the object of `h`, `err` on failure.
fn convert<T>(vm: &VirtualMachine, h: HPy, err: T, f: impl FnOnce(&VirtualMachine, &PyObject) -> PyResult<T>) -> T {
    // SAFETY: the ABI requires a live handle.
    let obj = unsafe { h2o(h) };
    result_or(f(vm, obj), err)
}

fn new_int<T: Into<BigInt> + ToPrimitive>(vm: &VirtualMachine, v: T) -> HPy {
    o2h(vm.ctx.new_int(v).into())
}

fn binary(vm: &VirtualMachine, op: BinaryOp, a: &PyObject, b: &PyObject) -> PyResult {
    match op {
        BinaryOp::Add => vm._add(a, b),
        BinaryOp::Subtract => vm._sub(a, b),
        BinaryOp::Multiply => vm._mul(a, b),
        BinaryOp::MatrixMultiply => vm._matmul(a, b),
        BinaryOp::FloorDivide => vm._floordiv(a, b),
        BinaryOp::TrueDivide => vm._truediv(a, b),
        BinaryOp::Remainder => vm._mod(a, b),
        BinaryOp::Divmod => vm._divmod(a, b),
        BinaryOp::Lshift => vm._lshift(a, b),
        BinaryOp::Rshift => vm._rshift(a, b),
        BinaryOp::And => vm._and(a, b),
        BinaryOp::Xor => vm._xor(a, b),
        BinaryOp::Or => vm._or(a, b),
        BinaryOp::InPlaceAdd => vm._iadd(a, b),
        BinaryOp::InPlaceSubtract => vm._isub(a, b),
        BinaryOp::InPlaceMultiply => vm._imul(a, b),
        BinaryOp::InPlaceMatrixMultiply => vm._imatmul(a, b),
        BinaryOp::InPlaceFloorDivide => vm._ifloordiv(a, b),
        BinaryOp::InPlaceTrueDivide => vm._itruediv(a, b),
        BinaryOp::InPlaceRemainder => vm._imod(a, b),
        BinaryOp::InPlaceLshift => vm._ilshift(a, b),
        BinaryOp::InPlaceRshift => vm._irshift(a, b),
        BinaryOp::InPlaceAnd => vm._iand(a, b),
        BinaryOp::InPlaceXor => vm._ixor(a, b),
        BinaryOp::InPlaceOr => vm._ior(a, b),
    }
}

fn unary(vm: &VirtualMachine, op: UnaryOp, a: &PyObject) -> PyResult {
    match op {
        UnaryOp::Negative => vm._neg(a),
        UnaryOp::Positive => vm._pos(a),
        UnaryOp::Absolute => vm._abs(a),
        UnaryOp::Invert => vm._invert(a),
        UnaryOp::Index => a.try_index(vm).map(Into::into),
        // `int(a)` and `float(a)`, which is what PyNumber_Long and
        // PyNumber_Float compute (strings included).
        UnaryOp::Long => vm.ctx.types.int_type.as_object().call((a.to_owned(),), vm),
        UnaryOp::Float => vm.ctx.types.float_type.as_object().call((a.to_owned(),), vm),
    }
}

impl NumberHost for RustPython {
    fn long_from_i64(vm: &VirtualMachine, v: i64) -> HPy {
        new_int(vm, v)
    }

    fn long_from_u64(vm: &VirtualMachine, v: u64) -> HPy {
        new_int(vm, v)
    }

    fn long_as_i64(vm: &VirtualMachine, h: HPy) -> i64 {
        convert(vm, h, -1, |vm, o| fit(vm, index_value(vm, o)?.as_bigint(), "long long"))
    }

    fn long_as_u64(vm: &VirtualMachine, h: HPy) -> u64 {
        convert(vm, h, u64::MAX, |vm, o| fit_unsigned(vm, int_value(vm, o)?.as_bigint(), "unsigned long long"))
    }

    fn long_as_u64_mask(vm: &VirtualMachine, h: HPy) -> u64 {
        convert(vm, h, u64::MAX, |vm, o| Ok(mask_u64(index_value(vm, o)?.as_bigint())))
    }

    fn long_as_isize(vm: &VirtualMachine, h: HPy) -> isize {
        // PyLong_AsSsize_t takes ints only, without __index__.
        convert(vm, h, -1, |vm, o| fit(vm, int_value(vm, o)?.as_bigint(), "ssize_t"))
    }

    fn long_as_usize(vm: &VirtualMachine, h: HPy) -> usize {
        convert(vm, h, usize::MAX, |vm, o| fit_unsigned(vm, int_value(vm, o)?.as_bigint(), "size_t"))
    }

    fn long_as_ptr(vm: &VirtualMachine, h: HPy) -> *mut c_void {
        // As PyLong_AsVoidPtr: ints only, negative ones read as a C long,
        // others as an unsigned long.
        convert(vm, h, core::ptr::null_mut(), |vm, o| {
            let v = int_value(vm, o)?;
            let v = v.as_bigint();
            let address = if v.sign() == Sign::Minus {
                fit::<isize>(vm, v, "long")? as usize
            } else {
                fit::<usize>(vm, v, "unsigned long")?
            };
            Ok(address as *mut c_void)
        })
    }

    fn long_as_f64(vm: &VirtualMachine, h: HPy) -> f64 {
        convert(vm, h, -1.0, |vm, o| int_to_f64(vm, int_value(vm, o)?.as_bigint()))
    }

    fn float_from_f64(vm: &VirtualMachine, v: f64) -> HPy {
        o2h(vm.ctx.new_float(v).into())
    }

    fn float_as_f64(vm: &VirtualMachine, h: HPy) -> f64 {
        convert(vm, h, -1.0, |vm, o| Ok(o.try_float(vm)?.to_f64()))
    }

    fn bool_from_bool(vm: &VirtualMachine, v: bool) -> HPy {
        o2h(vm.ctx.new_bool(v).into())
    }

    fn number_check(_vm: &VirtualMachine, h: HPy) -> bool {
        // SAFETY: the ABI requires a live handle.
        let obj = unsafe { h2o(h) };
        let class = obj.class();
        let n = &class.slots.as_number;
        n.index.load().is_some()
            || n.int.load().is_some()
            || n.float.load().is_some()
            || obj.downcast_ref::<PyComplex>().is_some()
    }

    fn binary_op(vm: &VirtualMachine, op: BinaryOp, a: HPy, b: HPy) -> HPy {
        // SAFETY: both handles are live.
        let (a, b) = unsafe { (h2o(a), h2o(b)) };
        result_handle(binary(vm, op, a, b))
    }

    fn unary_op(vm: &VirtualMachine, op: UnaryOp, a: HPy) -> HPy {
        // SAFETY: the handle is live.
        let a = unsafe { h2o(a) };
        result_handle(unary(vm, op, a))
    }

    fn power(vm: &VirtualMachine, a: HPy, b: HPy, c: HPy, in_place: bool) -> HPy {
        // SAFETY: the handles are live (the core passes None for no modulus).
        let (a, b, c) = unsafe { (h2o(a), h2o(b), h2o(c)) };
        result_handle(if in_place { vm._ipow(a, b, c) } else { vm._pow(a, b, c) })
    }
}

